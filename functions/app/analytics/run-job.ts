/**
 * Runs one scheduled job for one period, exactly once per (job, period) however often it is
 * delivered: the background_jobs row is claimed first (INSERT ... ON CONFLICT DO NOTHING
 * RETURNING); a duplicate delivery finds the row and does nothing; a failed run is recorded
 * (status failed, error) and the next delivery of the same period re-takes it (attempts + 1).
 */
import type { DbHandle } from '../../adapters/db/client.js';
import { createJobLedger } from '../../adapters/analytics/job-ledger.js';
import { parsePeriodKey } from '../../domain/analytics/periods.js';
import { AppError } from '../../shared/errors.js';
import { jobByName, jobNames, type JobContext } from './jobs.js';

export interface RunJobOptions {
  /** Period key (hour 2025-01-31T13, day 2025-01-31 or month 2025-01); default: the job's period for `scheduledTime`. */
  period?: string;
  /** When the schedule fired (EventBridge Scheduler's <aws.scheduler.scheduled-time>); default now. */
  scheduledTime?: Date;
  /** Run again even though the period already succeeded (same row, attempts + 1). */
  force?: boolean;
  now?: Date;
}

export interface JobDeps {
  db: DbHandle;
  log?: (msg: string, data?: Record<string, unknown>) => void;
  collector?: JobContext['collector'];
}

export interface JobRunResult {
  job: string;
  periodKey: string;
  status: 'succeeded' | 'skipped' | 'failed';
  /** Why it ran or was skipped (first_delivery, retry_after_failure, already_succeeded, ...). */
  reason: string;
  jobId: string;
  attempts: number;
  result?: Record<string, unknown>;
  error?: string;
}

export async function runJob(name: string, opts: RunJobOptions, deps: JobDeps): Promise<JobRunResult> {
  const job = jobByName(name);
  if (!job) throw new AppError('not_found', `unknown job "${name}"; jobs: ${jobNames.join(', ')}`);
  const now = opts.now ?? new Date();
  const period = opts.period !== undefined ? parsePeriodKey(opts.period) : job.defaultPeriod(opts.scheduledTime ?? now);
  if (!period) {
    throw new AppError(
      'validation_failed',
      `"${opts.period}" is not a period key (YYYY-MM-DDTHH, YYYY-MM-DD or YYYY-MM)`,
      { fields: [{ path: 'period', message: 'not a period key' }] },
    );
  }
  const log = deps.log ?? (() => {});
  const ledger = createJobLedger(deps.db.sql);
  const claim = await ledger.claim(job.name, period.key, { force: opts.force, now });
  const base = {
    job: job.name,
    periodKey: period.key,
    jobId: claim.jobId,
    attempts: claim.attempts,
    reason: claim.decision.reason,
  };
  if (!claim.claimed) {
    log('job skipped', { job: job.name, period: period.key, reason: claim.decision.reason });
    return { ...base, status: 'skipped' };
  }
  try {
    const result = await job.run({ period, now, db: deps.db, log, collector: deps.collector });
    await ledger.succeed(claim.jobId, result);
    log('job succeeded', { job: job.name, period: period.key, attempts: claim.attempts });
    return { ...base, status: 'succeeded', result };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await ledger.fail(claim.jobId, message).catch(() => {});
    log('job failed', { job: job.name, period: period.key, attempts: claim.attempts, error: message });
    return { ...base, status: 'failed', error: message };
  }
}
