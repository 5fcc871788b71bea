/**
 * Restart recovery for the local runner (in AWS executions are durable; this is never needed
 * there). Every request a previous process left non-terminal continues where it stood:
 *  - with a checkpoint (the runner wrote one for every state it entered), the same execution is
 *    resumed in the same state: a request waiting for approval goes straight back to its wait
 *    (same task token, approvals, links and deadlines; no task runs, so no new timeline entry,
 *    status change or email), one caught working runs that step again (tasks are idempotent);
 *  - without one (the process died before writing it, or the data predates checkpoints), the same
 *    run is re-driven from the state of its interrupted step, and the timeline says so once per
 *    run (a `recovered` entry counting the restarts).
 * A step decided while the previous process went away (decision committed, its answer never
 * sent) gets its answer delivered to the resumed wait now.
 * `run` stays what a user did (submit, retry); a restart never adds one. A request found working
 * at the same place by more than `maxRecoveries` restarts is failed with the reason instead: one
 * that crashes the process must not loop. A parked wait crashes nothing and is never counted.
 */
import { and, eq, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import { contentRequests, requestSteps } from '../../db/schema/index.js';
import { withTenant, type Db } from '../../functions/adapters/db/client.js';
import { executionNameFor, type WorkflowStarter } from '../../functions/domain/ports.js';
import { canRedrive, isTerminal, terminalStatuses, type RequestStatus } from '../../functions/domain/request-status.js';
import { AppError } from '../../functions/shared/errors.js';
import { lockRequest, moveStatus } from '../../functions/app/pipeline/steps.js';

/** What recovery needs from the local runner. */
export interface RestartableWorkflow extends WorkflowStarter {
  /** Starts run `run` at `from.state` with that state's input (same name as a normal start). */
  start(
    input: { orgId: string; requestId: string; run: number },
    from?: { state: string; input: unknown },
  ): Promise<{ executionName: string; executionArn?: string }>;
  /** Executions the previous process left, by checkpoint. */
  saved(): Promise<
    Array<{ executionName: string; state: string; waiting: boolean; interruptions: number; resumable: boolean }>
  >;
  resume(names: Iterable<string>): Promise<Map<string, { state: string; waiting: boolean } | Error>>;
  /** Drops a checkpoint that will not be resumed. */
  forget(executionName: string): void;
  /** An execution this process runs already (started through the API while recovery ran). */
  describe(executionName: string): { status: string } | undefined;
}

export interface RecoveryReport {
  /** Continued from their checkpoint (`waiting`: parked at their task token again). */
  resumed: Array<{ orgId: string; requestId: string; run: number; status: string; state: string; waiting: boolean }>;
  /** No usable checkpoint: the same run re-driven from `state`. */
  redriven: Array<{ orgId: string; requestId: string; run: number; fromStatus: string; state: string }>;
  failed: Array<{ orgId: string; requestId: string; fromStatus: string; reason: string }>;
  /** Approval steps decided while the process went away, whose answer was delivered now. */
  answered: Array<{ orgId: string; requestId: string; approvalId: string }>;
  ms: number;
}

interface ReEntry {
  state: string;
  input?: (r: { platforms: string[] }) => Record<string, unknown>;
}

/**
 * Where a request without a checkpoint re-enters the workflow: the state of the step its status
 * names, with the input that state reads (every one reads only the request ref, except the Map,
 * which iterates Check compliance's `result.platforms`; the request's platforms are exactly that).
 * test/integration/workflow/definition.test.ts holds this table to the synthesized definition.
 */
export const REENTRY: Record<
  Exclude<RequestStatus, 'published' | 'rejected' | 'changes_requested' | 'failed' | 'cancelled'>,
  ReEntry
> = {
  queued: { state: 'Validate brief' },
  validating: { state: 'Validate brief' },
  sourcing: { state: 'Source image' },
  composing: { state: 'Compose master' },
  checking: { state: 'Check compliance' },
  rendering: { state: 'Render variants', input: (r) => ({ result: { platforms: r.platforms } }) },
  // The approval loop again: decided steps are read back (Approval.AlreadyDecided), the open one
  // waits again with its links, deadline and approvers as they were; nobody is mailed twice.
  awaiting_approval: { state: 'Start approvals' },
  approved: { state: 'Publish' },
  publishing: { state: 'Publish' },
};

/**
 * Starts run `current + 1` of a request: status back to queued, failure cleared, the new
 * execution started and its name stored. Refuses when the request moved meanwhile. (What a user's
 * retry does; a restart never calls it.)
 */
export async function startNewRun(
  db: Db,
  starter: WorkflowStarter,
  input: {
    orgId: string;
    requestId: string;
    expectedRun: number;
  },
): Promise<{ run: number; executionName: string }> {
  const run = await withTenant(db, { orgId: input.orgId }, async (tx) => {
    const req = await lockRequest(
      tx,
      { orgId: input.orgId, requestId: input.requestId, run: input.expectedRun },
      { allowTerminal: true },
    );
    if (!canRedrive(req.status)) throw new AppError('invalid_state', `A ${req.status} request cannot run again`);
    const next = req.run + 1;
    await moveStatus(tx, req, 'queued', {
      run: next,
      failure: null,
      rejectionReason: null,
      executionName: executionNameFor(req.id, next),
      executionArn: null,
    });
    return next;
  });
  const started = await starter.start({ orgId: input.orgId, requestId: input.requestId, run });
  if (started.executionArn) {
    await withTenant(db, { orgId: input.orgId }, (tx) =>
      tx
        .update(contentRequests)
        .set({ executionArn: started.executionArn })
        .where(and(eq(contentRequests.id, input.requestId), eq(contentRequests.run, run))),
    );
  }
  return { run, executionName: started.executionName };
}

export interface RecoveryOptions {
  /** Owner connection: the scan crosses tenants (each change then runs as its tenant). */
  ownerSql: postgres.Sql;
  db: Db;
  runner: RestartableWorkflow;
  /** Restarts that may find a request working at the same place before it is failed instead. */
  maxRecoveries?: number;
  /**
   * Sends the recorded answer of a decided approval step to its waiting task (the approval
   * engine's sendStepCallback). Without it a step decided just before the process went away waits
   * for its deadline, whose escalation reads the answer.
   */
  deliverDecision?: (orgId: string, approvalId: string) => Promise<unknown>;
  log?: (m: string) => void;
}

interface Row {
  id: string;
  organization_id: string;
  status: RequestStatus;
  run: number;
  platforms: string[];
  interrupted: number | null;
}

export async function recoverInterruptedRequests(opts: RecoveryOptions): Promise<RecoveryReport> {
  const started = performance.now();
  const maxRecoveries = opts.maxRecoveries ?? 3;
  const report: RecoveryReport = { resumed: [], redriven: [], failed: [], answered: [], ms: 0 };
  // One scan; the `recovered` entry of the current run (restarts so far) only matters without a checkpoint.
  const rows = await opts.ownerSql<Row[]>`
    SELECT r.id, r.organization_id, r.status, r.run, r.platforms, (s.detail->>'interrupted')::int AS interrupted
    FROM content_requests r
    LEFT JOIN request_steps s ON s.request_id = r.id AND s.run = r.run AND s.step = 'recovered'
    WHERE NOT (r.status::text = ANY(${[...terminalStatuses] as string[]}::text[]))
    ORDER BY r.created_at`;
  const saved = new Map((await opts.runner.saved()).map((s) => [s.executionName, s]));
  const live = new Set<string>();

  const toResume: Row[] = [];
  for (const r of rows) {
    const name = executionNameFor(r.id, r.run);
    live.add(name);
    const cp = saved.get(name);
    if (!cp?.resumable) continue;
    if (!cp.waiting && cp.interruptions >= maxRecoveries) {
      await giveUp(opts, report, r, cp.interruptions + 1);
      opts.runner.forget(name);
      continue;
    }
    toResume.push(r);
  }
  const resumed = await opts.runner.resume(toResume.map((r) => executionNameFor(r.id, r.run)));
  const fallback = new Set(rows.filter((r) => !saved.get(executionNameFor(r.id, r.run))?.resumable));
  for (const r of toResume) {
    const res = resumed.get(executionNameFor(r.id, r.run));
    if (res && !(res instanceof Error)) {
      report.resumed.push({ orgId: r.organization_id, requestId: r.id, run: r.run, status: r.status, ...res });
    } else {
      opts.log?.(`request ${r.id}: checkpoint not resumable (${res?.message}); re-driving its step`);
      fallback.add(r);
    }
  }

  for (const r of fallback) {
    if (report.failed.some((f) => f.requestId === r.id) || opts.runner.describe(executionNameFor(r.id, r.run)))
      continue;
    try {
      await redrive(opts, report, r, maxRecoveries);
    } catch (e) {
      // One broken request must not keep the others stuck.
      opts.log?.(`recovery of request ${r.id} failed: ${(e as Error).message}`);
    }
  }
  // Checkpoints of executions whose request ended or moved on (a cancel or retry raced the shutdown).
  for (const name of saved.keys()) if (!live.has(name)) opts.runner.forget(name);
  if (opts.deliverDecision && report.resumed.some((r) => r.waiting)) await deliverDecided(opts, report);
  report.ms = Math.round(performance.now() - started);
  return report;
}

/** Decided steps of waiting requests whose answer never went out (the process died in between). */
async function deliverDecided(opts: RecoveryOptions, report: RecoveryReport): Promise<void> {
  const waiting = report.resumed.filter((r) => r.waiting).map((r) => r.requestId);
  const rows = await opts.ownerSql<{ organization_id: string; request_id: string; id: string }[]>`
    SELECT a.organization_id, a.request_id, a.id FROM content_approvals a
    JOIN content_requests r ON r.id = a.request_id AND r.run = a.run
    WHERE a.request_id = ANY(${waiting}::uuid[]) AND r.status = 'awaiting_approval'
      AND a.status <> 'pending' AND a.callback_sent_at IS NULL AND a.task_token_enc IS NOT NULL`;
  for (const a of rows) {
    try {
      await opts.deliverDecision!(a.organization_id, a.id);
      report.answered.push({ orgId: a.organization_id, requestId: a.request_id, approvalId: a.id });
    } catch (e) {
      opts.log?.(`request ${a.request_id}: the decided approval step could not be answered: ${(e as Error).message}`);
    }
  }
}

/** No usable checkpoint: the same run again from the state of the interrupted step. */
async function redrive(opts: RecoveryOptions, report: RecoveryReport, r: Row, maxRecoveries: number): Promise<void> {
  const orgId = r.organization_id;
  const entry = REENTRY[r.status as keyof typeof REENTRY];
  const parked = r.status === 'awaiting_approval';
  const interrupted = (r.interrupted ?? 0) + (parked ? 0 : 1);
  if (!parked && interrupted > maxRecoveries) {
    await giveUp(opts, report, r, interrupted);
    return;
  }
  await withTenant(opts.db, { orgId }, (tx) =>
    tx
      .insert(requestSteps)
      .values({
        organizationId: orgId,
        requestId: r.id,
        run: r.run,
        step: 'recovered',
        status: 'succeeded',
        finishedAt: new Date(),
        durationMs: 0,
        detail: { reason: 'restart', fromStatus: r.status, resumedAt: entry.state, restarts: 1, interrupted },
      })
      .onConflictDoUpdate({
        target: [requestSteps.requestId, requestSteps.run, requestSteps.step],
        set: {
          finishedAt: new Date(),
          detail: sql`${requestSteps.detail} || jsonb_build_object('fromStatus', ${r.status}::text, 'resumedAt', ${entry.state}::text,
        'restarts', coalesce((${requestSteps.detail}->>'restarts')::int, 0) + 1, 'interrupted', ${interrupted}::int)`,
        },
      }),
  );
  await opts.runner.start(
    { orgId, requestId: r.id, run: r.run },
    {
      state: entry.state,
      input: { orgId, requestId: r.id, run: r.run, ...entry.input?.({ platforms: r.platforms }) },
    },
  );
  report.redriven.push({ orgId, requestId: r.id, run: r.run, fromStatus: r.status, state: entry.state });
}

async function giveUp(opts: RecoveryOptions, report: RecoveryReport, r: Row, restarts: number): Promise<void> {
  const orgId = r.organization_id;
  const reason = `Interrupted by ${restarts} restarts while ${r.status.replace('_', ' ')}; not re-driven again. Retry it when the cause is fixed.`;
  const marked = await withTenant(opts.db, { orgId }, async (tx) => {
    const req = await lockRequest(tx, { orgId, requestId: r.id, run: r.run }, { allowTerminal: true });
    if (isTerminal(req.status)) return false;
    await moveStatus(tx, req, 'failed', {
      failure: { state: 'Workflow', code: 'interrupted', message: reason, error: 'Local.Interrupted' },
    });
    return true;
  }).catch((e: Error) => {
    opts.log?.(`request ${r.id} could not be marked failed: ${e.message}`);
    return false;
  });
  if (marked) report.failed.push({ orgId, requestId: r.id, fromStatus: r.status, reason });
}
