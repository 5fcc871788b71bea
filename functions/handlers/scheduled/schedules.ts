/**
 * Every scheduled job, defined once. The CDK app (infra) creates one Lambda per `fn`
 * (functions/handlers/scheduled/<fn>.ts, export `handler`) and one EventBridge Scheduler schedule
 * per entry (ScheduleExpression = `expression`, timezone UTC, target input = `schedulerInput(s)`);
 * under `npm start` the local scheduler (local/schedules/scheduler.ts) evaluates the same
 * expressions. `npm run job -- <name>` runs one now.
 *
 * Offsets: rollups run a few minutes past the hour so the hour they cover is complete; the view
 * refresh follows them; partition maintenance and VACUUM run at night (UTC).
 */
import { jobCatalog, type JobName } from '../../domain/analytics/job-catalog.js';

export interface ScheduleDef {
  /** Schedule and job name (unique; background_jobs.job_name). */
  name: JobName;
  /** EventBridge Scheduler expression, UTC: `rate(1 hour)` or `cron(min hour dom month dow year)`. */
  expression: string;
  /** Handler module: functions/handlers/scheduled/<fn>.ts exporting `handler`. */
  fn: string;
  description: string;
  /** The period key a firing at `now` covers (background_jobs.period_key). */
  periodOf(now: Date): string;
  /** Suggested Lambda timeout in seconds. */
  timeoutSeconds: number;
  /** Suggested Lambda memory in MB. */
  memoryMb: number;
}

const def = (name: JobName, expression: string, timeoutSeconds = 300, memoryMb = 512): ScheduleDef => {
  const job = jobCatalog[name];
  return {
    name,
    expression,
    fn: name,
    description: job.description,
    periodOf: (now) => job.defaultPeriod(now).key,
    timeoutSeconds,
    memoryMb,
  };
};

export const schedules: ScheduleDef[] = [
  def('collect-metrics', 'cron(50 * * * ? *)', 600),
  def('rollup-content-hourly', 'cron(5 * * * ? *)', 600, 1024),
  def('rollup-usage', 'cron(10 * * * ? *)'),
  def('rollup-brand-compliance', 'cron(15 * * * ? *)'),
  def('refresh-materialized-views', 'cron(20 * * * ? *)'),
  def('rollup-content-daily', 'cron(30 0 * * ? *)', 900, 1024),
  def('maintain-partitions', 'cron(0 2 * * ? *)'),
  def('vacuum-analyze', 'cron(30 3 * * ? *)', 900),
];

/**
 * The target input for EventBridge Scheduler. `<aws.scheduler.scheduled-time>` is a context
 * attribute the scheduler substitutes, so retries of one firing carry the same time (same period).
 */
export const schedulerInput = (s: Pick<ScheduleDef, 'name'>): string =>
  JSON.stringify({ job: s.name, scheduledTime: '<aws.scheduler.scheduled-time>' });

/** The same input as an object (CDK `ScheduleTargetInput.fromObject`). */
export const schedulerInputObject = (s: Pick<ScheduleDef, 'name'>): { job: string; scheduledTime: string } => ({
  job: s.name,
  scheduledTime: '<aws.scheduler.scheduled-time>',
});
