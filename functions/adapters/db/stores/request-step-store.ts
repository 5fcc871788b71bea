/**
 * The pipeline's view of a content request (the whole row, locked while a task moves it) and its
 * timeline (request_steps: one row per run and step, the latest attempt). Every function runs
 * in withTenant's transaction.
 */
import { and, desc, eq, or, sql } from 'drizzle-orm';
import { contentRequests, requestSteps } from '../../../../db/schema/index.js';
import type { RequestRef, StepName } from '../../../domain/pipeline.js';
import type { RequestStatus } from '../../../domain/request-status.js';
import type { Tx } from '../client.js';
import { patchRow, tenantRow } from '../tenant-rows.js';

export type RequestRow = typeof contentRequests.$inferSelect;
export type RequestPatch = Partial<typeof contentRequests.$inferInsert>;

/** The request, locked FOR UPDATE until the transaction ends. */
export async function selectRequestForUpdate(tx: Tx, ref: RequestRef): Promise<RequestRow | undefined> {
  const [req] = await tx
    .select()
    .from(contentRequests)
    .where(tenantRow(contentRequests, ref.orgId, ref.requestId))
    .for('update');
  return req;
}

/** Sets the request's status (and the `extra` columns), returning the row as it is now. */
export const updateRequest = (tx: Tx, requestId: string, status: RequestStatus, extra: RequestPatch = {}) =>
  patchRow(tx, contentRequests, eq(contentRequests.id, requestId), { status, ...extra });

/** Marks the step started; a retried or re-delivered task restarts it and counts the attempt. */
export async function openStep(tx: Tx, ref: RequestRef, step: StepName): Promise<void> {
  await tx
    .insert(requestSteps)
    .values({
      organizationId: ref.orgId,
      requestId: ref.requestId,
      run: ref.run,
      step,
      status: 'started',
      detail: { attempts: 1 },
    })
    .onConflictDoUpdate({
      target: [requestSteps.requestId, requestSteps.run, requestSteps.step],
      // The timeline shows the latest attempt and counts them.
      set: {
        status: 'started',
        startedAt: sql`now()`,
        finishedAt: null,
        durationMs: null,
        detail: sql`jsonb_build_object('attempts', coalesce((${requestSteps.detail}->>'attempts')::int, 1) + 1)`,
      },
    });
}

/** Closes a step (succeeded/failed/skipped) with its duration. No-op when it is not open. */
export async function closeStep(
  tx: Tx,
  ref: RequestRef,
  step: string,
  status: 'succeeded' | 'failed' | 'skipped',
  detail?: Record<string, unknown>,
): Promise<void> {
  await tx
    .update(requestSteps)
    .set({
      status,
      finishedAt: sql`clock_timestamp()`,
      durationMs: sql`greatest(0, round(extract(epoch from (clock_timestamp() - ${requestSteps.startedAt})) * 1000))::int`,
      detail: detail
        ? sql`coalesce(${requestSteps.detail}, '{}'::jsonb) || ${JSON.stringify(detail)}::jsonb`
        : requestSteps.detail,
    })
    .where(
      and(
        eq(requestSteps.requestId, ref.requestId),
        eq(requestSteps.run, ref.run),
        eq(requestSteps.step, step),
        eq(requestSteps.status, 'started'),
      ),
    );
}

/** The latest compliance verdict of the request (brief, master or final stage). */
export async function setRequestCompliance(tx: Tx, requestId: string, compliance: unknown): Promise<void> {
  await tx
    .update(contentRequests)
    .set({ compliance: compliance as RequestRow['compliance'], updatedAt: new Date() })
    .where(eq(contentRequests.id, requestId));
}

/** Records a step that opens once per run (publish, reject); a repeat is a no-op. */
export async function insertStepOnce(
  tx: Tx,
  ref: RequestRef,
  step: string,
  row: { status: 'started' | 'succeeded'; finishedAt?: Date; durationMs?: number; detail?: Record<string, unknown> },
): Promise<void> {
  await tx
    .insert(requestSteps)
    .values({ organizationId: ref.orgId, requestId: ref.requestId, run: ref.run, step, ...row })
    .onConflictDoNothing();
}

/** The step that broke in this run: the latest that recorded a failure or was left open (timeouts). */
export async function findBrokenStep(tx: Tx, ref: RequestRef): Promise<{ step: string } | undefined> {
  const [step] = await tx
    .select({ step: requestSteps.step })
    .from(requestSteps)
    .where(
      and(
        eq(requestSteps.requestId, ref.requestId),
        eq(requestSteps.run, ref.run),
        or(eq(requestSteps.status, 'failed'), eq(requestSteps.status, 'started')),
      ),
    )
    .orderBy(desc(requestSteps.startedAt))
    .limit(1);
  return step;
}

/** Closes every step of the run still open as failed, with its duration. */
export async function failOpenSteps(tx: Tx, ref: RequestRef): Promise<void> {
  await tx
    .update(requestSteps)
    .set({
      status: 'failed',
      finishedAt: sql`clock_timestamp()`,
      durationMs: sql`greatest(0, round(extract(epoch from (clock_timestamp() - ${requestSteps.startedAt})) * 1000))::int`,
    })
    .where(
      and(eq(requestSteps.requestId, ref.requestId), eq(requestSteps.run, ref.run), eq(requestSteps.status, 'started')),
    );
}
