/**
 * Job ledger rules (background_jobs, unique on (job_name, period_key)). A delivery first tries to
 * INSERT the (job, period) row; when the row exists this decides what the delivery may do. Pure.
 */
export type JobStatus = 'running' | 'succeeded' | 'failed';

export interface JobRow {
  id: string;
  status: JobStatus;
  attempts: number;
  startedAt: Date;
}

export type ClaimDecision =
  | { action: 'skip'; reason: 'already_succeeded' | 'in_progress' }
  | { action: 'retake'; reason: 'retry_after_failure' | 'stale_run' | 'forced' };

/** A run still 'running' after this long is taken to have died (Lambda timeout is far shorter). */
export const STALE_RUN_MS = 30 * 60_000;

export function decideClaim(
  existing: JobRow,
  now: Date,
  opts: { force?: boolean; staleAfterMs?: number } = {},
): ClaimDecision {
  const staleAfter = opts.staleAfterMs ?? STALE_RUN_MS;
  if (existing.status === 'running') {
    if (now.getTime() - existing.startedAt.getTime() >= staleAfter) return { action: 'retake', reason: 'stale_run' };
    return { action: 'skip', reason: 'in_progress' };
  }
  if (existing.status === 'failed') return { action: 'retake', reason: 'retry_after_failure' };
  if (opts.force) return { action: 'retake', reason: 'forced' };
  return { action: 'skip', reason: 'already_succeeded' };
}
