/**
 * Use cases: content requests. Creation is idempotent per (tenant, user, Idempotency-Key): the key
 * row is claimed with INSERT ... ON CONFLICT in the same transaction as the request row, so
 * concurrent replays wait on the unique index and then replay the stored response; exactly one
 * request exists. The workflow is started after commit; if that fails, the request is marked
 * failed with the reason (never left silently queued).
 */
import { createHash } from 'node:crypto';
import { and, asc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { withTenant, type Db, type Tx } from '../adapters/db/client.js';
import { findBrand } from '../adapters/db/stores/brand-store.js';
import {
  cancelRequestAndReviews,
  claimIdempotencyKey,
  failQueuedRun,
  findIdempotencyKey,
  findRequest,
  insertRequest,
  recordExecution,
  requeueAsRun,
  storeIdempotentResponse,
  summaryCols,
  type SummaryRow,
} from '../adapters/db/stores/content-request-store.js';
import { findTemplate } from '../adapters/db/stores/template-store.js';
import { hasActiveWorkflow } from '../adapters/db/stores/workflow-store.js';
import type { ObjectStore } from '../adapters/storage/object-store.js';
// The list and detail reads below still query directly: the API read-path work moves them into a
// store of their own (then these schema and drizzle imports go).
import {
  apiUsage,
  approvalDecisions,
  assetVariants,
  contentApprovals,
  contentRequests,
  generatedAssets,
  requestSourcing,
  requestSteps,
} from '../../db/schema/index.js';
import type { Brief, ImageSpec } from '../domain/brand-types.js';
import type { Adjustment } from '../domain/rendering/types.js';
import type { WorkflowStarter } from '../domain/ports.js';
import { canCancel, userRetryableStatuses, type RequestStatus } from '../domain/request-status.js';
import { AppError, type FieldProblem } from '../shared/errors.js';
import { logError } from '../shared/http/log.js';
import { audit, type ActorContext } from './audit.js';
import { iso, isoReq } from './dto-dates.js';
import { decodeCursor, encodeCursor } from './pagination.js';
import { cursorTs } from '../adapters/db/keyset.js';

export const IDEMPOTENCY_TTL_HOURS = 24;
export const VARIANT_URL_TTL_SECONDS = 300;

const toSummary = (r: SummaryRow) => ({
  id: r.id,
  brandId: r.brandId,
  templateId: r.templateId ?? null,
  workflowId: r.workflowId ?? null,
  requestedBy: r.requestedBy,
  status: r.status,
  brief: r.brief,
  image: r.image,
  platforms: r.platforms,
  run: r.run,
  failure: (r.failure ?? null) as Record<string, unknown> | null,
  createdAt: isoReq(r.createdAt),
  updatedAt: isoReq(r.updatedAt),
});
export type ContentRequestSummary = ReturnType<typeof toSummary>;

export interface CreateContentRequestInput {
  brandId: string;
  templateId?: string;
  brief: Brief;
  image: ImageSpec;
  platforms: string[];
  approvalWorkflowId?: string;
}

/** Key order does not change the meaning of a JSON body, so it must not change the hash. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
export const requestHash = (route: string, body: unknown) =>
  createHash('sha256').update(route).update('\n').update(canonical(body)).digest('hex');

async function loadRequest(tx: Tx, orgId: string, id: string, forUpdate = false) {
  const r = await findRequest(tx, orgId, id, { forUpdate });
  if (!r) throw new AppError('not_found', 'Content request not found');
  return r;
}

/** Cross-references of a new request: brand live, template of that brand, workflow active. */
async function resolveRefs(
  tx: Tx,
  orgId: string,
  input: CreateContentRequestInput,
): Promise<{ workflowId: string | null }> {
  const problems: FieldProblem[] = [];
  const brand = await findBrand(tx, orgId, input.brandId);
  if (!brand) problems.push({ path: 'body.brandId', message: 'no such brand' });
  else if (!brand.isActive) problems.push({ path: 'body.brandId', message: 'the brand is inactive' });
  if (input.templateId) {
    const t = await findTemplate(tx, orgId, input.templateId);
    if (!t?.isActive) problems.push({ path: 'body.templateId', message: 'no such active template' });
    else if (t.brandId !== input.brandId)
      problems.push({ path: 'body.templateId', message: 'belongs to another brand' });
    else if (t.platforms.length) {
      input.platforms.forEach((p, i) => {
        if (!t.platforms.includes(p))
          problems.push({ path: `body.platforms[${i}]`, message: `the template is not made for ${p}` });
      });
    }
  }
  const workflowId = input.approvalWorkflowId ?? brand?.defaultWorkflowId ?? null;
  if (workflowId) {
    const w = await hasActiveWorkflow(tx, orgId, workflowId);
    if (!w)
      problems.push({
        path: input.approvalWorkflowId ? 'body.approvalWorkflowId' : 'body.brandId',
        message: 'no such active approval workflow',
      });
  }
  if (problems.length)
    throw new AppError('validation_failed', 'The request refers to things that cannot be used', { fields: problems });
  return { workflowId };
}

export interface CreateResult {
  status: number;
  body: ContentRequestSummary;
  replayed: boolean;
}

export async function createContentRequest(
  db: Db,
  ctx: ActorContext & { userId: string },
  workflow: WorkflowStarter,
  input: CreateContentRequestInput,
  idempotencyKey?: string,
): Promise<CreateResult> {
  const route = 'POST /v1/orgs/{orgId}/content-requests';
  const hash = requestHash(route, input);
  type Outcome =
    | { replay: { status: number; body: ContentRequestSummary }; created?: undefined }
    | { created: ContentRequestSummary; replay?: undefined };
  const outcome = await withTenant(db, { orgId: ctx.orgId, userId: ctx.userId }, async (tx): Promise<Outcome> => {
    if (idempotencyKey) {
      // A concurrent claimer blocks in the claim until the first transaction ends, then sees its
      // committed row below.
      const ref = { orgId: ctx.orgId, userId: ctx.userId, key: idempotencyKey };
      if (!(await claimIdempotencyKey(tx, ref, route, hash, IDEMPOTENCY_TTL_HOURS))) {
        const prev = await findIdempotencyKey(tx, ref);
        if (!prev || prev.route !== route || prev.requestHash !== hash) {
          throw new AppError('idempotency_conflict', 'This Idempotency-Key was used with a different request body');
        }
        if (prev.responseStatus == null)
          throw new AppError('conflict', 'The first request with this Idempotency-Key is still being processed');
        return { replay: { status: prev.responseStatus, body: prev.responseBody as ContentRequestSummary } };
      }
    }
    const { workflowId } = await resolveRefs(tx, ctx.orgId, input);
    const row = await insertRequest(tx, {
      organizationId: ctx.orgId,
      brandId: input.brandId,
      templateId: input.templateId ?? null,
      workflowId,
      requestedBy: ctx.userId,
      brief: input.brief,
      imageSpec: input.image,
      platforms: input.platforms,
    });
    await audit(tx, ctx, {
      action: 'content_request.create',
      resourceType: 'content_request',
      resourceId: row.id,
      details: { brandId: input.brandId, platforms: input.platforms, idempotencyKey: idempotencyKey ?? null },
    });
    const body = toSummary(row);
    if (idempotencyKey) await storeResponse(tx, ctx, idempotencyKey, 202, body);
    return { created: body };
  });
  if (outcome.replay) return { status: outcome.replay.status, body: outcome.replay.body, replayed: true };
  const body = await startRun(db, ctx, workflow, outcome.created!.id, 1, idempotencyKey);
  return { status: 202, body, replayed: false };
}

async function storeResponse(
  tx: Tx,
  ctx: ActorContext & { userId: string },
  key: string,
  status: number,
  body: unknown,
) {
  await storeIdempotentResponse(tx, { orgId: ctx.orgId, userId: ctx.userId, key }, status, body);
}

/**
 * Starts run `run` and records the execution; on failure marks the request failed with the reason
 * (and updates the stored idempotent response so a replay tells the same story).
 */
async function startRun(
  db: Db,
  ctx: ActorContext & { userId: string },
  workflow: WorkflowStarter,
  requestId: string,
  run: number,
  idempotencyKey?: string,
): Promise<ContentRequestSummary> {
  try {
    const exec = await workflow.start({ orgId: ctx.orgId, requestId, run });
    return await withTenant(db, { orgId: ctx.orgId, userId: ctx.userId }, async (tx) => {
      await recordExecution(tx, ctx.orgId, requestId, run, {
        executionName: exec.executionName,
        executionArn: exec.executionArn ?? null,
      });
      return toSummary(await loadRequest(tx, ctx.orgId, requestId));
    });
  } catch (e) {
    logError('workflow start failed', e, { requestId, run });
    const message = e instanceof AppError ? e.message : 'The workflow could not be started; retry the request';
    return withTenant(db, { orgId: ctx.orgId, userId: ctx.userId }, async (tx) => {
      await failQueuedRun(tx, ctx.orgId, requestId, run, {
        state: 'StartExecution',
        code: 'workflow_start_failed',
        message,
      });
      await audit(tx, ctx, {
        action: 'content_request.start_failed',
        resourceType: 'content_request',
        resourceId: requestId,
        details: { run },
      });
      const body = toSummary(await loadRequest(tx, ctx.orgId, requestId));
      if (idempotencyKey) await storeResponse(tx, ctx, idempotencyKey, 202, body);
      return body;
    });
  }
}

export async function listContentRequests(
  tx: Tx,
  orgId: string,
  q: {
    limit: number;
    cursor?: string;
    status?: RequestStatus[];
    brandId?: string;
    from?: string;
    to?: string;
    q?: string;
  },
) {
  const c = decodeCursor(q.cursor);
  const where: SQL[] = [eq(contentRequests.organizationId, orgId)];
  if (q.status) where.push(inArray(contentRequests.status, q.status));
  if (q.brandId) where.push(eq(contentRequests.brandId, q.brandId));
  if (q.from) where.push(gte(contentRequests.createdAt, new Date(q.from)));
  if (q.to) where.push(lt(contentRequests.createdAt, new Date(q.to)));
  if (q.q) where.push(sql`${contentRequests.search} @@ websearch_to_tsquery('simple', ${q.q})`);
  if (c) where.push(sql`(${contentRequests.createdAt}, ${contentRequests.id}) < (${c.t}::timestamptz, ${c.id}::uuid)`);
  const rows = await tx
    .select({ ...summaryCols, ts: cursorTs(contentRequests.createdAt) })
    .from(contentRequests)
    .where(and(...where))
    // NULLS LAST matches content_requests_org_created_idx exactly; plain DESC (NULLS FIRST) would
    // not, and PostgreSQL would sort the whole tenant instead of reading 21 index entries.
    .orderBy(sql`${contentRequests.createdAt} desc nulls last`, sql`${contentRequests.id} desc nulls last`)
    .limit(q.limit + 1);
  const more = rows.length > q.limit;
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => toSummary(r)),
    nextCursor: more && last ? encodeCursor({ t: last.ts, id: last.id }) : null,
  };
}

const toMaster = (m: {
  id: string;
  aspectGroup: string;
  covers: string[];
  source: string;
  width: number;
  height: number;
  license: unknown;
  complianceScore: number | null;
  complianceDecision: string | null;
}) => ({ ...m, complianceScore: m.complianceScore ?? null, complianceDecision: m.complianceDecision ?? null });

/**
 * Status, timeline, the sourced images (one per layout group) + variants (short-lived URLs),
 * how the images were sourced and what that cost, compliance and approvals. Task tokens never leave.
 */
export async function getContentRequest(tx: Tx, orgId: string, store: ObjectStore, id: string) {
  // All reads are independent: issued together they share round trips on the transaction's connection.
  const [[r], steps, masters, variants, approvals, sourcing, [usage]] = await Promise.all([
    tx
      .select({
        ...summaryCols,
        compliance: contentRequests.compliance,
        manifest: contentRequests.manifest,
        rejectionReason: contentRequests.rejectionReason,
        publishedAt: contentRequests.publishedAt,
      })
      .from(contentRequests)
      .where(and(eq(contentRequests.organizationId, orgId), eq(contentRequests.id, id))),
    tx
      .select()
      .from(requestSteps)
      .where(and(eq(requestSteps.organizationId, orgId), eq(requestSteps.requestId, id)))
      .orderBy(asc(requestSteps.run), asc(requestSteps.startedAt)),
    tx
      .select({
        id: generatedAssets.id,
        aspectGroup: generatedAssets.aspectGroup,
        covers: generatedAssets.covers,
        source: generatedAssets.source,
        width: generatedAssets.width,
        height: generatedAssets.height,
        license: generatedAssets.license,
        complianceScore: generatedAssets.complianceScore,
        complianceDecision: generatedAssets.complianceDecision,
      })
      .from(generatedAssets)
      .where(and(eq(generatedAssets.organizationId, orgId), eq(generatedAssets.requestId, id)))
      .orderBy(asc(generatedAssets.createdAt)),
    tx
      .select()
      .from(assetVariants)
      .where(and(eq(assetVariants.organizationId, orgId), eq(assetVariants.requestId, id)))
      .orderBy(asc(assetVariants.platform)),
    tx
      .select({
        id: contentApprovals.id,
        run: contentApprovals.run,
        stepIndex: contentApprovals.stepIndex,
        stepName: contentApprovals.stepName,
        status: contentApprovals.status,
        dueAt: contentApprovals.dueAt,
        decidedAt: contentApprovals.decidedAt,
        outcomeReason: contentApprovals.outcomeReason,
      })
      .from(contentApprovals)
      .where(and(eq(contentApprovals.organizationId, orgId), eq(contentApprovals.requestId, id)))
      .orderBy(asc(contentApprovals.run), asc(contentApprovals.stepIndex)),
    tx
      .select()
      .from(requestSourcing)
      .where(and(eq(requestSourcing.organizationId, orgId), eq(requestSourcing.requestId, id)))
      .orderBy(asc(requestSourcing.createdAt)),
    // Every Freepik HTTP attempt made for this request (searches, previews, downloads, generations, retries).
    tx
      .select({
        calls: sql<number>`count(*)::int`,
        credits: sql<string>`coalesce(sum(${apiUsage.credits}), 0)::text`,
        costUsd: sql<string>`coalesce(sum(${apiUsage.costUsd}), 0)::text`,
        failed: sql<number>`(count(*) filter (where ${apiUsage.outcome} <> 'success'))::int`,
      })
      .from(apiUsage)
      .where(and(eq(apiUsage.organizationId, orgId), eq(apiUsage.requestId, id))),
  ]);
  if (!r) throw new AppError('not_found', 'Content request not found');
  const decisions = approvals.length
    ? await tx
        .select({
          approvalId: approvalDecisions.approvalId,
          approverId: approvalDecisions.approverId,
          decision: approvalDecisions.decision,
          comment: approvalDecisions.comment,
          createdAt: approvalDecisions.createdAt,
        })
        .from(approvalDecisions)
        .where(
          and(
            eq(approvalDecisions.organizationId, orgId),
            inArray(
              approvalDecisions.approvalId,
              approvals.map((a) => a.id),
            ),
          ),
        )
        .orderBy(asc(approvalDecisions.createdAt))
    : [];
  const urlExpiresAt = new Date(Date.now() + VARIANT_URL_TTL_SECONDS * 1000).toISOString();
  return {
    ...toSummary(r as SummaryRow),
    timeline: steps.map((s) => ({
      run: s.run,
      step: s.step,
      status: s.status,
      startedAt: isoReq(s.startedAt),
      finishedAt: iso(s.finishedAt),
      durationMs: s.durationMs ?? null,
      detail: s.detail ?? null,
    })),
    master: masters[0] ? toMaster(masters[0]) : null,
    masters: masters.map(toMaster),
    sourcing: {
      groups: sourcing.map((g) => ({
        aspectGroup: g.aspectGroup,
        platforms: g.platforms,
        status: g.status,
        source: g.source,
        assetId: g.generatedAssetId ?? null,
        plan: g.plan ?? null,
        candidatesConsidered: g.candidatesConsidered,
        downloads: g.downloads,
        generations: g.generations,
        credits: Number(g.credits),
        costUsd: Number(g.costUsd),
        attempts: g.attempts,
      })),
      usage: {
        calls: usage?.calls ?? 0,
        failedCalls: usage?.failed ?? 0,
        credits: Number(usage?.credits ?? 0),
        costUsd: Number(usage?.costUsd ?? 0),
      },
    },
    variants: await Promise.all(
      variants.map(async (v) => ({
        id: v.id,
        platform: v.platform,
        width: v.width,
        height: v.height,
        format: v.format,
        bytes: v.bytes,
        sha256: v.sha256,
        complianceScore: v.complianceScore ?? null,
        complianceDecision: v.complianceDecision ?? null,
        findings: v.findings ?? null,
        adjustments: (v.adjustments ?? null) as Adjustment[] | null,
        url: await store.presignGet(v.s3Key, VARIANT_URL_TTL_SECONDS),
        urlExpiresAt,
      })),
    ),
    compliance: r.compliance ?? null,
    approvals: approvals.map((a) => ({
      ...a,
      dueAt: iso(a.dueAt),
      decidedAt: iso(a.decidedAt),
      outcomeReason: a.outcomeReason ?? null,
      decisions: decisions
        .filter((d) => d.approvalId === a.id)
        .map((d) => ({
          approverId: d.approverId,
          decision: d.decision,
          comment: d.comment ?? null,
          createdAt: isoReq(d.createdAt),
        })),
    })),
    manifest: r.manifest ?? null,
    rejectionReason: r.rejectionReason ?? null,
    publishedAt: iso(r.publishedAt),
  };
}

/** Cancels a request that has not finished; stops its execution after the commit. */
export async function cancelContentRequest(
  db: Db,
  ctx: ActorContext & { userId: string },
  workflow: WorkflowStarter,
  id: string,
): Promise<ContentRequestSummary> {
  const { body, exec } = await withTenant(db, { orgId: ctx.orgId, userId: ctx.userId }, async (tx) => {
    const r = await loadRequest(tx, ctx.orgId, id, true);
    if (!canCancel(r.status))
      throw new AppError('invalid_state', `A ${r.status} request cannot be cancelled`, {
        detail: { status: r.status },
      });
    await cancelRequestAndReviews(tx, ctx.orgId, id);
    await audit(tx, ctx, {
      action: 'content_request.cancel',
      resourceType: 'content_request',
      resourceId: id,
      details: { from: r.status, run: r.run },
    });
    return {
      body: toSummary(await loadRequest(tx, ctx.orgId, id)),
      exec: r.executionName ? { executionName: r.executionName, executionArn: r.executionArn ?? undefined } : undefined,
    };
  });
  if (exec) {
    // The cancel is recorded either way; workflow tasks refuse to move a cancelled request.
    await workflow
      .stop({ ...exec, reason: `cancelled by user ${ctx.userId}` })
      .catch((e) => logError('workflow stop failed', e, { requestId: id }));
  }
  return body;
}

/**
 * Re-drives a request as run+1 from failed, cancelled, rejected or changes_requested (the run
 * ended without publishing). The master image of earlier runs is reused by the pipeline.
 */
export async function retryContentRequest(
  db: Db,
  ctx: ActorContext & { userId: string },
  workflow: WorkflowStarter,
  id: string,
): Promise<ContentRequestSummary> {
  const run = await withTenant(db, { orgId: ctx.orgId, userId: ctx.userId }, async (tx) => {
    const r = await loadRequest(tx, ctx.orgId, id, true);
    if (!userRetryableStatuses.includes(r.status)) {
      throw new AppError(
        'invalid_state',
        `A ${r.status} request cannot be retried (only ${userRetryableStatuses.join(', ')})`,
        { detail: { status: r.status } },
      );
    }
    const next = r.run + 1;
    await requeueAsRun(tx, id, next);
    await audit(tx, ctx, {
      action: 'content_request.retry',
      resourceType: 'content_request',
      resourceId: id,
      details: { from: r.status, run: next },
    });
    return next;
  });
  return startRun(db, ctx, workflow, id, run);
}
