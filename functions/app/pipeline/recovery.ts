/**
 * Restart recovery for the local runner, whose executions live in memory: every request a
 * previous process left non-terminal (mid-flight or waiting for approval) is re-driven as a new
 * run — the tasks are idempotent, so nothing is bought or rendered twice, and a waiting request
 * returns to its wait with the same approval steps, links and deadlines (nobody is mailed again)
 * — or, after repeated interruptions mid-flight, marked failed with the reason. Nothing stays
 * stuck. (In AWS executions are durable; this is never needed there.)
 */
import { and, count, eq, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import { contentApprovals, contentRequests, requestSteps } from '../../../db/schema/index.js';
import { withTenant, type Db } from '../../adapters/db/client.js';
import { executionNameFor, type WorkflowStarter } from '../../domain/ports.js';
import { canRedrive, isTerminal, terminalStatuses, type RequestStatus } from '../../domain/request-status.js';
import { AppError } from '../../shared/errors.js';
import { lockRequest, moveStatus } from './steps.js';

export interface RecoveryReport {
  redriven: Array<{ orgId: string; requestId: string; fromStatus: string; run: number }>;
  failed: Array<{ orgId: string; requestId: string; fromStatus: string; reason: string }>;
}

/**
 * Starts run `current + 1` of a request: status back to queued, failure cleared, the new
 * execution started and its name stored. Refuses when the request moved meanwhile.
 */
export async function startNewRun(db: Db, starter: WorkflowStarter, input: {
  orgId: string; requestId: string; expectedRun: number; note?: Record<string, unknown>;
  /**
   * Restart recovery only: the interrupted run's approval steps move to the new run with their
   * links, decisions and deadlines, so approvers keep the links they were mailed and nobody is
   * mailed again (the tasks find the steps already open or decided). A retry after a failure or
   * rejection starts the approvals afresh instead.
   */
  carryApprovals?: boolean;
}): Promise<{ run: number; executionName: string }> {
  const run = await withTenant(db, { orgId: input.orgId }, async (tx) => {
    const req = await lockRequest(tx, { orgId: input.orgId, requestId: input.requestId, run: input.expectedRun }, { allowTerminal: true });
    if (!canRedrive(req.status)) throw new AppError('invalid_state', `A ${req.status} request cannot run again`);
    const next = req.run + 1;
    if (input.carryApprovals) {
      await tx.update(contentApprovals).set({ run: next }).where(and(eq(contentApprovals.requestId, req.id), eq(contentApprovals.run, req.run)));
    }
    await moveStatus(tx, req, 'queued', { run: next, failure: null, rejectionReason: null, executionName: executionNameFor(req.id, next), executionArn: null });
    if (input.note) {
      await tx.insert(requestSteps).values({
        organizationId: input.orgId, requestId: input.requestId, run: next, step: 'recovered', status: 'succeeded',
        finishedAt: new Date(), durationMs: 0, detail: input.note,
      }).onConflictDoNothing();
    }
    return next;
  });
  const started = await starter.start({ orgId: input.orgId, requestId: input.requestId, run });
  if (started.executionArn) {
    await withTenant(db, { orgId: input.orgId }, (tx) => tx.update(contentRequests).set({ executionArn: started.executionArn })
      .where(and(eq(contentRequests.id, input.requestId), eq(contentRequests.run, run))));
  }
  return { run, executionName: started.executionName };
}

export interface RecoveryOptions {
  /** Owner connection: the scan crosses tenants (each re-drive then runs as its tenant). */
  ownerSql: postgres.Sql;
  db: Db;
  starter: WorkflowStarter;
  /** Restart re-drives per request before it is failed instead (a request that crashes the process). */
  maxRecoveries?: number;
  log?: (m: string) => void;
}

export async function recoverInterruptedRequests(opts: RecoveryOptions): Promise<RecoveryReport> {
  const maxRecoveries = opts.maxRecoveries ?? 3;
  const report: RecoveryReport = { redriven: [], failed: [] };
  const rows = await opts.ownerSql<{ id: string; organization_id: string; status: RequestStatus; run: number }[]>`
    SELECT id, organization_id, status, run FROM content_requests
    WHERE NOT (status::text = ANY(${[...terminalStatuses] as string[]}::text[]))
    ORDER BY created_at`;
  for (const r of rows) {
    const orgId = r.organization_id;
    try {
      // Only interruptions mid-flight count towards giving up: a request parked at its approval wait
      // crashes nothing, and is re-driven back to it after any number of restarts.
      const recovered = await withTenant(opts.db, { orgId }, async (tx) => {
        const [c] = await tx.select({ n: count() }).from(requestSteps).where(and(eq(requestSteps.requestId, r.id), eq(requestSteps.step, 'recovered'),
          sql`coalesce(${requestSteps.detail}->>'fromStatus', '') <> 'awaiting_approval'`));
        return c?.n ?? 0;
      });
      if (recovered >= maxRecoveries && r.status !== 'awaiting_approval') {
        const reason = `Interrupted by ${recovered + 1} restarts while ${r.status.replace('_', ' ')}; not re-driven again. Retry it when the cause is fixed.`;
        const marked = await withTenant(opts.db, { orgId }, async (tx) => {
          const req = await lockRequest(tx, { orgId, requestId: r.id, run: r.run }, { allowTerminal: true });
          if (isTerminal(req.status)) return false;
          await moveStatus(tx, req, 'failed', { failure: { state: 'Workflow', code: 'interrupted', message: reason, error: 'Local.Interrupted' } });
          return true;
        });
        if (marked) report.failed.push({ orgId, requestId: r.id, fromStatus: r.status, reason });
        continue;
      }
      const { run } = await startNewRun(opts.db, opts.starter, {
        orgId, requestId: r.id, expectedRun: r.run, note: { reason: 'restart', fromStatus: r.status, fromRun: r.run }, carryApprovals: true,
      });
      report.redriven.push({ orgId, requestId: r.id, fromStatus: r.status, run });
    } catch (e) {
      // One broken request must not keep the others stuck.
      opts.log?.(`recovery of request ${r.id} failed: ${(e as Error).message}`);
    }
  }
  return report;
}
