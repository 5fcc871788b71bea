/**
 * Runs a schedule's Lambda handler in-process with the event EventBridge Scheduler would send:
 * the `run` for startLocalScheduler under `npm start`. The handler module is loaded by its `fn`,
 * exactly like the deployed function's entry.
 */
import type { JobRunResult } from '../../app/analytics/run-job.js';
import type { ScheduleDef } from './schedules.js';
import type { ScheduledJobEvent } from './job-handler.js';

export async function invokeSchedule(schedule: Pick<ScheduleDef, 'name' | 'fn'>, scheduledTime: Date): Promise<JobRunResult> {
  const mod = (await import(`./${schedule.fn}.js`)) as { handler: (e: ScheduledJobEvent) => Promise<JobRunResult> };
  return mod.handler({ job: schedule.name, scheduledTime: scheduledTime.toISOString() });
}
