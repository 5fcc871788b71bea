/**
 * The content-request reads of the API's hottest routes (the list and the detail), written as SQL
 * once: each column aliased to the name the API returns, so the rows come out of postgres.js
 * already shaped and nothing maps them column by column per request. The queries are built on the
 * connection of a gated read (adapters/db/client.ts `gatedTenantRead`) and sent with the gate and
 * the tenant settings in one round trip; RLS applies (the tenant is set by then), and every query
 * also filters on the organization so it uses the tenant's indexes.
 */
import type { Brief, ImageSpec } from '../../../domain/brand-types.js';
import type { RequestStatus } from '../../../domain/request-status.js';
import type { ReadConnection, TenantReads } from '../client.js';

/** A content request as the list and the detail return it (dates as PostgreSQL returns them). */
export interface ContentRequestRow {
  id: string;
  brandId: string;
  templateId: string | null;
  workflowId: string | null;
  requestedBy: string;
  status: RequestStatus;
  brief: Brief;
  image: ImageSpec;
  platforms: string[];
  run: number;
  failure: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ContentRequestPageFilter {
  /** Rows to read (the page size + 1 tells whether there is a next page). */
  rows: number;
  after?: { t: string; id: string };
  status?: readonly string[];
  brandId?: string;
  from?: Date;
  to?: Date;
  /** Web-search syntax over headline and body. */
  q?: string;
}

const SUMMARY = `id, brand_id as "brandId", template_id as "templateId", workflow_id as "workflowId",
  requested_by as "requestedBy", status, brief, image_spec as "image", platforms, run, failure,
  created_at as "createdAt", updated_at as "updatedAt"`;
/** The keyset cursor's timestamp as text with microseconds (a JS Date would drop them). */
const CURSOR_TS = `to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ts`;
/** Named statements where the connection allows them (not through RDS Proxy: see `connect`). */
const PREPARED = { prepare: true } as const;

/** One page of a tenant's requests, newest first, with each row's cursor timestamp. */
export function contentRequestPage(
  c: ReadConnection,
  orgId: string,
  f: ContentRequestPageFilter,
): TenantReads<(ContentRequestRow & { ts: string })[]> {
  const params: unknown[] = [orgId];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  let where = 'organization_id = $1';
  if (f.status) where += ` and status = any(${p(f.status)}::request_status[])`;
  if (f.brandId) where += ` and brand_id = ${p(f.brandId)}::uuid`;
  if (f.from) where += ` and created_at >= ${p(f.from.toISOString())}::timestamptz`;
  if (f.to) where += ` and created_at < ${p(f.to.toISOString())}::timestamptz`;
  if (f.q) where += ` and search @@ websearch_to_tsquery('simple', ${p(f.q)})`;
  if (f.after) where += ` and (created_at, id) < (${p(f.after.t)}::timestamptz, ${p(f.after.id)}::uuid)`;
  // NULLS LAST matches content_requests_org_created_idx exactly; plain DESC (NULLS FIRST) would
  // not, and PostgreSQL would sort the whole tenant instead of reading a page of index entries.
  const text = `select ${SUMMARY}, ${CURSOR_TS} from content_requests where ${where}
    order by created_at desc nulls last, id desc nulls last limit ${p(f.rows)}`;
  return {
    queries: [c.unsafe(text, params as never[], PREPARED)],
    map: ([rows]) => rows as unknown as (ContentRequestRow & { ts: string })[],
  };
}

export interface ContentRequestDetailRows {
  request:
    | (ContentRequestRow & {
        compliance: unknown;
        manifest: unknown;
        rejectionReason: string | null;
        publishedAt: Date | null;
      })
    | undefined;
  steps: {
    run: number;
    step: string;
    status: string;
    startedAt: Date;
    finishedAt: Date | null;
    durationMs: number | null;
    detail: unknown;
  }[];
  masters: {
    id: string;
    aspectGroup: string;
    covers: string[];
    source: string;
    width: number;
    height: number;
    license: unknown;
    complianceScore: number | null;
    complianceDecision: string | null;
  }[];
  variants: {
    id: string;
    platform: string;
    width: number;
    height: number;
    format: string;
    bytes: number;
    sha256: string;
    s3Key: string;
    complianceScore: number | null;
    complianceDecision: string | null;
    findings: unknown;
    adjustments: unknown;
  }[];
  approvals: {
    id: string;
    run: number;
    stepIndex: number;
    stepName: string;
    status: string;
    dueAt: Date | null;
    decidedAt: Date | null;
    outcomeReason: string | null;
  }[];
  sourcing: {
    aspectGroup: string;
    platforms: string[];
    status: string;
    source: string;
    assetId: string | null;
    plan: unknown;
    candidatesConsidered: number;
    downloads: number;
    generations: number;
    credits: string;
    costUsd: string;
    attempts: unknown;
  }[];
  /** Every Freepik HTTP attempt made for the request (searches, previews, downloads, generations, retries). */
  usage: { calls: number; credits: string; costUsd: string; failed: number };
  decisions: {
    approvalId: string;
    approverId: string;
    decision: string;
    comment: string | null;
    createdAt: Date;
  }[];
}

/** The detail's eight reads, each taking ($1 org id, $2 request id), in the order `contentRequestDetail` maps them. */
export const CONTENT_REQUEST_DETAIL_SQL = [
  `select ${SUMMARY}, compliance, manifest, rejection_reason as "rejectionReason", published_at as "publishedAt"
    from content_requests where organization_id = $1 and id = $2`,
  `select run, step, status, started_at as "startedAt", finished_at as "finishedAt", duration_ms as "durationMs", detail
    from request_steps where organization_id = $1 and request_id = $2 order by run, started_at`,
  `select id, aspect_group as "aspectGroup", covers, source, width, height, license,
      compliance_score as "complianceScore", compliance_decision as "complianceDecision"
    from generated_assets where organization_id = $1 and request_id = $2 order by created_at`,
  `select id, platform, width, height, format, bytes, sha256, s3_key as "s3Key", compliance_score as "complianceScore",
      compliance_decision as "complianceDecision", findings, adjustments
    from asset_variants where organization_id = $1 and request_id = $2 order by platform`,
  `select id, run, step_index as "stepIndex", step_name as "stepName", status, due_at as "dueAt",
      decided_at as "decidedAt", outcome_reason as "outcomeReason"
    from content_approvals where organization_id = $1 and request_id = $2 order by run, step_index`,
  `select aspect_group as "aspectGroup", platforms, status, source, generated_asset_id as "assetId", plan,
      candidates_considered as "candidatesConsidered", downloads, generations, credits, cost_usd as "costUsd", attempts
    from request_sourcing where organization_id = $1 and request_id = $2 order by created_at`,
  `select count(*)::int as calls, coalesce(sum(credits), 0)::text as credits, coalesce(sum(cost_usd), 0)::text as "costUsd",
      (count(*) filter (where outcome <> 'success'))::int as failed
    from api_usage where organization_id = $1 and request_id = $2`,
  `select d.approval_id as "approvalId", d.approver_id as "approverId", d.decision, d.comment, d.created_at as "createdAt"
    from approval_decisions d
    join content_approvals a on a.id = d.approval_id and a.organization_id = d.organization_id
    where d.organization_id = $1 and a.request_id = $2 order by d.created_at`,
];

/**
 * Everything the detail shows, in eight independent queries sent together. The approval decisions
 * are joined on the request rather than read by approval id, so they need no earlier reply.
 */
export function contentRequestDetail(
  c: ReadConnection,
  orgId: string,
  id: string,
): TenantReads<ContentRequestDetailRows> {
  const params = [orgId, id];
  const queries = CONTENT_REQUEST_DETAIL_SQL.map((text) => c.unsafe(text, params, PREPARED));
  return {
    queries,
    map: ([[request], steps, masters, variants, approvals, sourcing, [usage], decisions]) =>
      ({
        request,
        steps,
        masters,
        variants,
        approvals,
        sourcing,
        usage,
        decisions,
      }) as unknown as ContentRequestDetailRows,
  };
}
