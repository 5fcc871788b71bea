/**
 * Content requests of the current tenant and the idempotency keys of their creation (every
 * function runs in withTenant's transaction).
 */
import { and, eq, sql } from 'drizzle-orm';
import { contentApprovals, contentRequests, idempotencyKeys } from '../../../../db/schema/index.js';
import type { Brief, ImageSpec } from '../../../domain/brand-types.js';
import type { FailureRecord } from '../../../domain/pipeline.js';
import type { Tx } from '../client.js';
import { tenantRow } from '../tenant-rows.js';

/** The columns of a request as its summary shows it. */
export const summaryCols = {
  id: contentRequests.id,
  brandId: contentRequests.brandId,
  templateId: contentRequests.templateId,
  workflowId: contentRequests.workflowId,
  requestedBy: contentRequests.requestedBy,
  status: contentRequests.status,
  brief: contentRequests.brief,
  image: contentRequests.imageSpec,
  platforms: contentRequests.platforms,
  run: contentRequests.run,
  failure: contentRequests.failure,
  createdAt: contentRequests.createdAt,
  updatedAt: contentRequests.updatedAt,
};
export type SummaryRow = {
  [K in keyof typeof summaryCols]:
    | (typeof summaryCols)[K]['_']['data']
    | ((typeof summaryCols)[K]['_']['notNull'] extends true ? never : null);
};

/** A request's summary plus its current execution, locked for the rest of the transaction with `forUpdate`. */
export async function findRequest(tx: Tx, orgId: string, id: string, opts: { forUpdate?: boolean } = {}) {
  const q = tx
    .select({
      ...summaryCols,
      executionName: contentRequests.executionName,
      executionArn: contentRequests.executionArn,
    })
    .from(contentRequests)
    .where(tenantRow(contentRequests, orgId, id));
  const [r] = opts.forUpdate ? await q.for('update') : await q;
  return r;
}

export async function insertRequest(
  tx: Tx,
  row: {
    organizationId: string;
    brandId: string;
    templateId: string | null;
    workflowId: string | null;
    requestedBy: string;
    brief: Brief;
    imageSpec: ImageSpec;
    platforms: string[];
  },
): Promise<SummaryRow> {
  const [r] = await tx
    .insert(contentRequests)
    .values({ ...row, run: 1 })
    .returning(summaryCols);
  return r;
}

/** Run `run` of the request (not a later one it has moved on to). */
const runOf = (orgId: string, requestId: string, run: number) =>
  and(tenantRow(contentRequests, orgId, requestId), eq(contentRequests.run, run));

/** Records the execution of run `run` (a request that has moved on to a later run is left alone). */
export async function recordExecution(
  tx: Tx,
  orgId: string,
  requestId: string,
  run: number,
  exec: { executionName: string; executionArn: string | null },
): Promise<void> {
  await tx
    .update(contentRequests)
    .set(exec)
    .where(runOf(orgId, requestId, run));
}

/**
 * Fails run `run` of a request that is still queued (its execution never started, so the failure
 * has no Step Functions error name).
 */
export async function failQueuedRun(
  tx: Tx,
  orgId: string,
  requestId: string,
  run: number,
  failure: Omit<FailureRecord, 'error'>,
): Promise<void> {
  await tx
    .update(contentRequests)
    .set({ status: 'failed', failure, updatedAt: new Date() })
    .where(and(runOf(orgId, requestId, run), eq(contentRequests.status, 'queued')));
}

/** Cancels the request and ends its open review steps (their links stop working). */
export async function cancelRequestAndReviews(tx: Tx, orgId: string, id: string): Promise<void> {
  await tx
    .update(contentRequests)
    .set({ status: 'cancelled', updatedAt: new Date() })
    .where(eq(contentRequests.id, id));
  await tx
    .update(contentApprovals)
    .set({ status: 'cancelled', outcomeReason: 'request cancelled', updatedAt: new Date() })
    .where(
      and(
        eq(contentApprovals.organizationId, orgId),
        eq(contentApprovals.requestId, id),
        eq(contentApprovals.status, 'pending'),
      ),
    );
}

/** Queues run `run` afresh: no failure, rejection or execution of the run before. */
export async function requeueAsRun(tx: Tx, id: string, run: number): Promise<void> {
  await tx
    .update(contentRequests)
    .set({
      status: 'queued',
      run,
      failure: null,
      rejectionReason: null,
      executionName: null,
      executionArn: null,
      updatedAt: new Date(),
    })
    .where(eq(contentRequests.id, id));
}

export interface IdempotencyKeyRef {
  orgId: string;
  userId: string;
  key: string;
}

/** The key's row: one per organization, user and key. */
const keyOf = ({ orgId, userId, key }: IdempotencyKeyRef) =>
  and(eq(idempotencyKeys.organizationId, orgId), eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key));

/**
 * Claims the key, or (an expired key) re-claims it. False when a live claim exists: a concurrent
 * claimer blocks on the unique index until the first transaction ends, then gets false too.
 */
export async function claimIdempotencyKey(
  tx: Tx,
  ref: IdempotencyKeyRef,
  route: string,
  requestHash: string,
  ttlHours: number,
): Promise<boolean> {
  const claimed = await tx.execute<{ id: string }>(sql`
    insert into idempotency_keys (organization_id, user_id, key, route, request_hash, expires_at)
    values (${ref.orgId}, ${ref.userId}, ${ref.key}, ${route}, ${requestHash},
      now() + make_interval(hours => ${ttlHours}))
    on conflict (organization_id, user_id, key) do update set
      route = excluded.route, request_hash = excluded.request_hash, response_status = null, response_body = null,
      created_at = now(), expires_at = excluded.expires_at
    where idempotency_keys.expires_at < now()
    returning id`);
  return claimed.length > 0;
}

export async function findIdempotencyKey(tx: Tx, ref: IdempotencyKeyRef) {
  const [prev] = await tx.select().from(idempotencyKeys).where(keyOf(ref));
  return prev;
}

/** The response a replay with this key gets. */
export async function storeIdempotentResponse(
  tx: Tx,
  ref: IdempotencyKeyRef,
  status: number,
  body: unknown,
): Promise<void> {
  await tx.update(idempotencyKeys).set({ responseStatus: status, responseBody: body }).where(keyOf(ref));
}
