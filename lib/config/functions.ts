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
 * - `signin`: SIGN_IN_URL, the Cognito hosted sign-in for the dashboard page
 * - `links`: PUBLIC_BASE_URL for links in mail and pages (the approval services need it)
 */
export type Need =
  | 'db'
  | 'bucket:read'
  | 'bucket:write'
  | 'bucket:readwrite'
  | 'bucket:manage'
  | 'workflow:start'
  | 'workflow:decide'
  | 'fieldKey'
  | 'events'
  | 'mail'
  | 'freepik'
  | 'signin'
  | 'links';

export interface FunctionNeeds {
  readonly needs: readonly Need[];
  /**
   * Why the function carries sharp's native binaries (installed for the Lambda architecture;
   * functions without this get none, and the bundle test proves their code never imports sharp):
   * - `renders`: draws images; `decodes`: verifies/measures images (pixel limits, dimensions);
   * - `unused-import`: imports sharp without using it. A defect to remove, listed by the bundle test.
   */
  readonly sharp?: 'renders' | 'decodes' | 'unused-import';
  /** Packages installed next to the bundle instead of bundled. */
  readonly nodeModules?: readonly string[];
  /** Project folders copied next to the bundle (project-relative `from` -> bundle-relative `to`). */
  readonly copyDirs?: ReadonlyArray<{ from: string; to: string }>;
  readonly group?: FunctionGroup;
}

/**
 * Rendering: sharp's native binaries, plus the shipped fonts, which the renderer resolves next to
 * the bundled entry (functions/adapters/render/fonts.ts: `<bundle>/fonts/`): Inter and the coverage
 * data from the project, the fallback fonts (Arabic, CJK, emoji) from their npm packages.
 */
const RENDERING: Pick<FunctionNeeds, 'sharp' | 'copyDirs'> = {
  sharp: 'renders',
  copyDirs: [
    { from: 'functions/adapters/render/fonts', to: 'fonts' },
    { from: 'node_modules/@expo-google-fonts/noto-sans-arabic/400Regular', to: 'fonts' },
    { from: 'node_modules/@expo-google-fonts/noto-sans-arabic/700Bold', to: 'fonts' },
    { from: 'node_modules/@expo-google-fonts/noto-sans-sc/400Regular', to: 'fonts' },
    { from: 'node_modules/@fontsource/noto-color-emoji/files', to: 'fonts' },
  ],
};

/** API handler modules (`fn` of functions/handlers/api/routes.ts). */
export const API_FUNCTIONS: Record<string, FunctionNeeds> = {
  system: { needs: [] },
  orgs: { needs: ['db'] },
  members: { needs: ['db'] },
  brands: { needs: ['db', 'bucket:read'] },
  // Presigned PUT (upload), HEAD/GET to verify the upload, DELETE on soft-delete cleanup. Confirm
  // decodes the upload with sharp under a pixel limit (functions/app/assets.ts).
  assets: { needs: ['db', 'bucket:manage'], sharp: 'decodes' },
  // The preview route renders one preset (sharp + fonts) from a brand asset, writing nothing.
  templates: { needs: ['db', 'bucket:read'], ...RENDERING, group: 'render' },
  'approval-workflows': { needs: ['db'] },
  'content-requests': { needs: ['db', 'bucket:read', 'workflow:start'] },
  activity: { needs: ['db'] },
  // Review links (auth 'link'): shows variants (presigned GETs), records decisions, resumes the
  // workflow (SendTask*), mails delegates a fresh link.
  approvals: { needs: ['db', 'workflow:decide', 'bucket:read', 'mail', 'links', 'fieldKey'] },
  // Tenant webhook endpoints: the signing secret is sealed with the field key.
  webhooks: { needs: ['db', 'fieldKey', 'links'] },
  analytics: { needs: ['db'] },
  // The HTML shell and the sign-in callback. The /dev/ routes (fn 'dev') are local-only: their
  // handler lives in local/servers/dev-routes.ts and no function is made for it.
  'dashboard-pages': { needs: ['signin'] },
};

/** Routes that exist only under `npm start` (fn 'dev', local/servers/dev-routes.ts; 404 outside APP_MODE=local): not deployed. */
export const isLocalOnlyRoute = (r: { path: string }) => r.path === '/dev' || r.path.startsWith('/dev/');

/** Workflow tasks (TaskName of functions/domain/pipeline.ts -> TASK_HANDLERS). */
// Every task parses dbEnv + storageEnv at cold start (functions/handlers/workflow/task.ts), so
// each gets the bucket, read-only unless it writes.
export const WORKFLOW_FUNCTIONS: Record<string, FunctionNeeds> = {
  validateBrief: { needs: ['db', 'bucket:read'] },
  sourceImage: { needs: ['db', 'bucket:readwrite', 'freepik'], sharp: 'decodes' },
  composeMaster: { needs: ['db', 'bucket:readwrite'], ...RENDERING, group: 'render' },
  checkMaster: { needs: ['db', 'bucket:read'], ...RENDERING, group: 'render' },
  renderVariant: { needs: ['db', 'bucket:readwrite'], ...RENDERING, group: 'render' },
  decide: { needs: ['db', 'bucket:read'] },
  // The approval loop (approval-step.ts): stores the task token sealed with the field key (the
  // approvals function opens it to answer), issues links and queues the approvers' mail in the
  // outbox (sent by approval-outbox).
  awaitApproval: { needs: ['db', 'bucket:read', 'links', 'fieldKey'] },
  publish: { needs: ['db', 'bucket:readwrite', 'events', 'fieldKey', 'links'] },
  recordRejection: { needs: ['db', 'bucket:read', 'links'] },
  recordFailure: { needs: ['db', 'bucket:read'] },
};

/** Scheduled job handler modules (`fn` of functions/handlers/scheduled/schedules.ts). */
export const JOB_FUNCTIONS: Record<string, FunctionNeeds> = {
  // Meta Graph tokens are stored encrypted per tenant.
  'collect-metrics': { needs: ['db', 'fieldKey'] },
};

/**
 * Jobs of the approval engine, which live outside the analytics schedule table. Same Scheduler
 * wiring (retry policy, DLQ); their handlers ignore the input.
 */
export interface InfraJob {
  readonly name: string;
  readonly expression: string;
  readonly entry: string;
  readonly description: string;
  readonly needs: FunctionNeeds;
}
export const APPROVAL_JOBS: readonly InfraJob[] = [
  {
    name: 'approval-outbox',
    expression: 'rate(1 minute)',
    entry: 'functions/handlers/workflow/approval-outbox.ts',
    description: 'Sends pending outbox emails (approval links, reminders) through SES',
    needs: { needs: ['db', 'mail', 'links'] },
  },
  {
    name: 'approval-reminders',
    expression: 'rate(5 minutes)',
    entry: 'functions/handlers/workflow/approval-reminders.ts',
    description: 'Queues due approval reminders with fresh links',
    needs: { needs: ['db', 'links'] },
  },
  {
    name: 'publish-webhook-retry',
    expression: 'rate(1 minute)',
    entry: 'functions/handlers/workflow/publish-webhook-retry.ts',
    description: 'Retries webhook deliveries whose backoff elapsed',
    needs: { needs: ['db', 'fieldKey', 'links'] },
  },
];

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

/** Marks a request failed when its workflow execution ended without saying so (see the handler). */
export const EXECUTION_ENDED_HANDLER = 'functions/handlers/events/execution-ended.ts';
export const EXECUTION_ENDED_NEEDS: FunctionNeeds = { needs: ['db'], group: 'events' };

export const MIGRATE_HANDLER = 'functions/handlers/migrate/handler.ts';
