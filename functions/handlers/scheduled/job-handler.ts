/**
 * Lambda entry shared by every scheduled job (each `<fn>.ts` here is one line around it).
 * EventBridge Scheduler invokes the function with the input built by `schedulerInput` in
 * schedules.ts: `{ "job": "<name>", "scheduledTime": "<aws.scheduler.scheduled-time>" }`. The
 * period key derives from the scheduled time, so a retried or duplicated delivery of the same
 * firing maps to the same background_jobs row and does nothing twice. A failed run throws, which
 * makes Lambda's async retry / the schedule's retry policy deliver it again (same period).
 */
import { runJob, type JobDeps, type JobRunResult } from '../../app/analytics/run-job.js';
import { AppError } from '../../shared/errors.js';
import { metricsCollector } from '../composition/jobs.js';
import { services } from '../composition/root.js';

/** What EventBridge Scheduler (or the local scheduler, or `npm run job`) sends. */
export interface ScheduledJobEvent {
  job?: string;
  /** ISO time the schedule fired. */
  scheduledTime?: string;
  /** Explicit period key (backfills); wins over scheduledTime. */
  period?: string;
  force?: boolean;
}

/** JSON log lines (CloudWatch-friendly). */
export const jobLog = (msg: string, data: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ level: 'info', msg, ...data, time: new Date().toISOString() }));

/** Dependencies from the composition root, created at first use. */
export function jobDepsFromEnv(jobName: string): JobDeps {
  const deps: JobDeps = { db: services.dbHandle(), log: jobLog };
  if (jobName === 'collect-metrics') {
    deps.collector = metricsCollector();
  }
  return deps;
}

export function makeJobHandler(jobName: string) {
  return async (event: ScheduledJobEvent = {}): Promise<JobRunResult> => {
    if (event.job && event.job !== jobName) {
      throw new AppError('validation_failed', `this function runs ${jobName}, not ${event.job}`);
    }
    const scheduledTime = event.scheduledTime ? new Date(event.scheduledTime) : undefined;
    if (scheduledTime && Number.isNaN(scheduledTime.getTime()))
      throw new AppError('validation_failed', `scheduledTime "${event.scheduledTime}" is not a time`);
    const r = await runJob(
      jobName,
      { scheduledTime, period: event.period, force: event.force },
      jobDepsFromEnv(jobName),
    );
    if (r.status === 'failed')
      throw new AppError('internal', `${jobName} ${r.periodKey} failed: ${r.error}`, { retryable: true });
    return r;
  };
}
