/**
 * Use cases: content requests. Creation is idempotent per (tenant, user, Idempotency-Key): the key
 * row is claimed with INSERT ... ON CONFLICT in the same transaction as the request row, so
 * concurrent replays wait on the unique index and then replay the stored response; exactly one
 * request exists. The workflow is started after commit; if that fails, the request is marked
 * failed with the reason (never left silently queued).
 */
import { createHash } from 'node:crypto';
import { withTenant, type Db, type TenantRead, type Tx } from '../adapters/db/client.js';
import {
  contentRequestDetail,
  contentRequestPage,
  type ContentRequestDetailRows,
  type ContentRequestPageFilter,
} from '../adapters/db/stores/content-request-reads.js';
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
  type SummaryRow,
} from '../adapters/db/stores/content-request-store.js';
import { findTemplate } from '../adapters/db/stores/template-store.js';
import { hasActiveWorkflow } from '../adapters/db/stores/workflow-store.js';
import type { ObjectStore } from '../adapters/storage/object-store.js';
import type { Brief, ImageSpec } from '../domain/brand-types.js';
import type { Adjustment } from '../domain/rendering/types.js';
import type { WorkflowStarter } from '../domain/ports.js';
import { canCancel, userRetryableStatuses, type RequestStatus } from '../domain/request-status.js';
import { AppError, type FieldProblem } from '../shared/errors.js';
import { logError } from '../shared/http/log.js';
import { audit, type ActorContext } from './audit.js';
import { iso, isoReq } from './dto-dates.js';
import { decodeCursor, encodeCursor } from './pagination.js';

export const IDEMPOTENCY_TTL_HOURS = 24;
export const VARIANT_URL_TTL_SECONDS = 300;

/** A request as the list and every write return it (exported for the API bench's floor, like `toDetail`). */
export const toSummary = (r: SummaryRow) => ({
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

/** A page of the tenant's requests (read through `readAsTenant`: the gate travels with it). */
export function listContentRequests(
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
): TenantRead<{ items: ContentRequestSummary[]; nextCursor: string | null }> {
  const filter: ContentRequestPageFilter = {
    rows: q.limit + 1,
    after: decodeCursor(q.cursor),
    status: q.status,
    brandId: q.brandId,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
    q: q.q,
  };
  return (c) => {
    const read = contentRequestPage(c, orgId, filter);
    return {
      queries: read.queries,
      map: async (results) => {
        const rows = await read.map(results);
        const more = rows.length > q.limit;
        const page = more ? rows.slice(0, q.limit) : rows;
        const last = page.at(-1);
        return {
          items: page.map(toSummary),
          nextCursor: more && last ? encodeCursor({ t: last.ts, id: last.id }) : null,
        };
      },
    };
  };
}

const toMaster = (m: ContentRequestDetailRows['masters'][number]) => ({
  ...m,
  complianceScore: m.complianceScore ?? null,
  complianceDecision: m.complianceDecision ?? null,
});

/**
 * Status, timeline, the sourced images (one per layout group) + variants (short-lived URLs),
 * how the images were sourced and what that cost, compliance and approvals. Task tokens never leave.
 * Read through `readAsTenant`: the gate and every read travel together.
 */
export function getContentRequest(orgId: string, store: ObjectStore, id: string): TenantRead<ContentRequestDetail> {
  return (c) => {
    const read = contentRequestDetail(c, orgId, id);
    return { queries: read.queries, map: async (results) => toDetail(await read.map(results), store) };
  };
}

/** The detail body from its rows (exported for the API bench's floor, which must answer the same body). */
export async function toDetail(
  { request: r, steps, masters, variants, approvals, sourcing, usage, decisions }: ContentRequestDetailRows,
  store: Pick<ObjectStore, 'presignGet'>,
) {
  if (!r) throw new AppError('not_found', 'Content request not found');
  const urlExpiresAt = new Date(Date.now() + VARIANT_URL_TTL_SECONDS * 1000).toISOString();
  return {
    ...toSummary(r),
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
      // A group is its row as selected, with the money columns as numbers.
      groups: sourcing.map((g) => ({ ...g, credits: Number(g.credits), costUsd: Number(g.costUsd) })),
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
export type ContentRequestDetail = Awaited<ReturnType<typeof toDetail>>;

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
