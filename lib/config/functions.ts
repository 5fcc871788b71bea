/**
 * What each function needs, decided once per handler (least privilege is a decision, not a
 * default). The app stack turns every need into one `bind*()` call on the function; the infra
 * tests fail when a handler appears in the route table, the workflow or the schedules without an
 * entry here, so nobody ships with a guessed permission set.
 */
import type { FunctionGroup } from './stages.js';

/**
 * - `db`: RDS Proxy as svp_app (IAM token), DATABASE_URL / DATABASE_READ_URL
 * - `bucket:<mode>`: the asset bucket, exact object actions (see AppFunction.bindBucket)
 * - `workflow:start`: StartExecution/StopExecution on the content workflow
 * - `workflow:decide`: SendTaskSuccess/Failure/Heartbeat (the approval-decision function only)
 * - `fieldKey`: KMS GenerateDataKey/Decrypt on the field-encryption key
 * - `events`: PutEvents on the product's event bus
 * - `mail`: SES SendEmail through the stage's identity
 * - `freepik`: the Freepik base URL and API key secret
 * - `auth`: JWT issuer/audience/JWKS of the user pool (handlers that verify tokens themselves)
 * - `links`: PUBLIC_BASE_URL for links in mail and pages
 */
export type Need =
  | 'db'
  | 'bucket:read' | 'bucket:write' | 'bucket:readwrite' | 'bucket:manage'
  | 'workflow:start' | 'workflow:decide'
  | 'fieldKey' | 'events' | 'mail' | 'freepik' | 'auth' | 'links';

export interface FunctionNeeds {
  readonly needs: readonly Need[];
  /** Renders or decodes images: sharp's native binaries are installed for it (nothing else gets them). */
  readonly sharp?: boolean;
  /** Packages installed next to the bundle (read from disk at runtime, e.g. font files). */
  readonly nodeModules?: readonly string[];
  readonly group?: FunctionGroup;
  readonly reservedConcurrency?: number;
}

/** Fonts the renderer reads with sharp's `fontfile` (shipped, never system fonts). */
const FONT_PACKAGES = ['@expo-google-fonts/inter'];
const RENDERING: Pick<FunctionNeeds, 'sharp' | 'nodeModules'> = { sharp: true, nodeModules: FONT_PACKAGES };

/** API handler modules (`fn` of functions/handlers/api/routes.ts). */
export const API_FUNCTIONS: Record<string, FunctionNeeds> = {
  system: { needs: [] },
  orgs: { needs: ['db'] },
  members: { needs: ['db'] },
  brands: { needs: ['db', 'bucket:read'] },
  // Presigned PUT (upload), HEAD/GET to verify the upload, DELETE on soft-delete cleanup.
  assets: { needs: ['db', 'bucket:manage'] },
  // The preview route renders one preset (sharp) from a brand asset, without writing anything.
  templates: { needs: ['db', 'bucket:read'], ...RENDERING, group: 'render' },
  'approval-workflows': { needs: ['db'] },
  'content-requests': { needs: ['db', 'bucket:read', 'workflow:start'] },
  activity: { needs: ['db'] },
  // Review links (auth 'link'): shows variants (presigned GETs), records decisions, resumes the
  // workflow (SendTask*), mails delegates a fresh link.
  approvals: { needs: ['db', 'workflow:decide', 'bucket:read', 'mail', 'links'] },
};

/** Workflow tasks (TaskName of functions/domain/pipeline.ts -> TASK_HANDLERS). */
export const WORKFLOW_FUNCTIONS: Record<string, FunctionNeeds> = {
  validateBrief: { needs: ['db'] },
  sourceImage: { needs: ['db', 'bucket:readwrite', 'freepik'] },
  composeMaster: { needs: ['db', 'bucket:readwrite'], ...RENDERING, group: 'render' },
  checkMaster: { needs: ['db', 'bucket:read'], ...RENDERING, group: 'render' },
  renderVariant: { needs: ['db', 'bucket:readwrite'], ...RENDERING, group: 'render' },
  checkVariant: { needs: ['db', 'bucket:read'], ...RENDERING, group: 'render' },
  decide: { needs: ['db'] },
  awaitApproval: { needs: ['db', 'mail', 'links', 'fieldKey'] },
  publish: { needs: ['db', 'bucket:readwrite', 'events', 'fieldKey', 'links'] },
  recordRejection: { needs: ['db'] },
  recordFailure: { needs: ['db'] },
};

/** Scheduled job handler modules (`fn` of functions/handlers/scheduled/schedules.ts). */
export const JOB_FUNCTIONS: Record<string, FunctionNeeds> = {};

/** Needs of a job fn that has no entry yet: DB rollups only. */
export const DEFAULT_JOB_NEEDS: FunctionNeeds = { needs: ['db'] };
/** Needs of an API fn that has no entry yet: the database, nothing else. */
export const DEFAULT_API_NEEDS: FunctionNeeds = { needs: ['db'] };
/** Needs of a workflow task that has no entry yet. */
export const DEFAULT_WORKFLOW_NEEDS: FunctionNeeds = { needs: ['db'] };

/**
 * The API fn that records approval decisions (answers the review links) — the only holder of
 * states:SendTask*. Named here so that grant can never drift to another function.
 */
export const APPROVAL_DECISION_FN = 'approvals';

/** Handler answering `content.published` on the event bus (webhooks/notifications), when it exists. */
export const CONTENT_PUBLISHED_HANDLER = 'functions/handlers/events/content-published.ts';
export const CONTENT_PUBLISHED_NEEDS: FunctionNeeds = { needs: ['db', 'fieldKey', 'links'], group: 'events' };

export const MIGRATE_HANDLER = 'functions/handlers/migrate/handler.ts';
