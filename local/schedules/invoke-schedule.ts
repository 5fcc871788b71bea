/**
 * Runs a schedule's Lambda handler in-process with the event EventBridge Scheduler would send:
 * the `run` for startLocalScheduler under `npm start`. The handler module is loaded by its `fn`,
 * exactly like the deployed function's entry.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { JobRunResult } from '../../functions/app/analytics/run-job.js';
import type { ScheduleDef } from '../../functions/handlers/scheduled/schedules.js';
import type { ScheduledJobEvent } from '../../functions/handlers/scheduled/job-handler.js';

const JOB_HANDLERS_DIR = new URL('../../functions/handlers/scheduled/', import.meta.url);

export async function invokeSchedule(
  schedule: Pick<ScheduleDef, 'name' | 'fn'>,
  scheduledTime: Date,
): Promise<JobRunResult> {
  const ts = fileURLToPath(new URL(`${schedule.fn}.ts`, JOB_HANDLERS_DIR));
  const file = existsSync(ts) ? ts : ts.replace(/\.ts$/, '.js');
  const mod = (await import(pathToFileURL(file).href)) as { handler: (e: ScheduledJobEvent) => Promise<JobRunResult> };
  return mod.handler({ job: schedule.name, scheduledTime: scheduledTime.toISOString() });
}
