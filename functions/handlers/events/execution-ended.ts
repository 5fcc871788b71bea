/**
 * Target of the "execution ended" rule: Step Functions reports an execution of the content
 * workflow that FAILED, TIMED_OUT or was ABORTED. Normally the workflow's own Catch ("Record
 * failure") has already marked the request failed and this is a no-op. It matters when that
 * could not happen: the database stayed away longer than Record failure's retries, the execution
 * hit its timeout, or someone aborted it from the console. Without it the request would sit in
 * its working status forever. EventBridge retries the delivery (and parks it in a dead-letter
 * queue after that), so a database outage only delays the visible failure.
 *
 * Locally the stack calls the same function when the runner reports a failed execution.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';
import { recordFailure } from '../../app/pipeline/tasks.js';
import { EXECUTION_ENDED_STATUSES } from '../../domain/pipeline.js';
import { services } from '../composition/root.js';
import { AppError, isAppError } from '../../shared/errors.js';
import { refSchema } from '../workflow/task.js';

const detailSchema = z.object({
  executionArn: z.string().optional(),
  status: z.enum(EXECUTION_ENDED_STATUSES),
  /** The execution input, as a JSON string (Step Functions sends it that way). */
  input: z.string(),
  error: z.string().nullish(),
  cause: z.string().nullish(),
});

export type ExecutionEndedDetail = z.input<typeof detailSchema>;

/** What the request shows: the execution's own error when it has one, else what happened to it. */
function errorOf(d: z.output<typeof detailSchema>): { Error: string; Cause: string } {
  if (d.error) return { Error: d.error, Cause: d.cause ?? '' };
  if (d.status === 'TIMED_OUT') return { Error: 'States.Timeout', Cause: 'The workflow ran past its time limit' };
  if (d.status === 'ABORTED') return { Error: 'States.Aborted', Cause: 'The workflow execution was stopped' };
  return { Error: 'States.ExecutionFailed', Cause: d.cause ?? 'The workflow execution failed' };
}

export async function executionEnded(
  detail: ExecutionEndedDetail,
): Promise<{ orgId: string; requestId: string; run: number; error: string }> {
  const d = detailSchema.safeParse(detail);
  if (!d.success)
    throw new AppError(
      'validation_failed',
      `execution status event: ${d.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  let input: unknown;
  try {
    input = JSON.parse(d.data.input);
  } catch {
    throw new AppError('validation_failed', 'execution status event: input is not JSON');
  }
  // Only the request reference matters; the input may carry more (e.g. a re-drive note).
  const o = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const ref = refSchema.safeParse({ orgId: o.orgId, requestId: o.requestId, run: o.run });
  if (!ref.success)
    throw new AppError('validation_failed', 'execution status event: input carries no request reference');
  // Idempotent and run-checked: a request already terminal, or moved on to a newer run, is left alone.
  const out = await recordFailure({ db: services.db() }, { ...ref.data, error: errorOf(d.data) });
  return { ...ref.data, error: out.error };
}

/**
 * Only failures that may pass (the database) are thrown, so EventBridge retries them. An event
 * that can never be applied (an execution started by hand with some other input) is logged and
 * dropped rather than retried for a day into the dead-letter queue.
 */
export const handler = async (
  event: EventBridgeEvent<'Step Functions Execution Status Change', ExecutionEndedDetail>,
) => {
  try {
    return await executionEnded(event.detail);
  } catch (e) {
    if (isAppError(e) && !e.retryable) {
      console.warn(
        JSON.stringify({
          level: 'WARN',
          message: 'execution status event ignored',
          reason: e.message,
          executionArn: event.detail?.executionArn,
        }),
      );
      return { ignored: e.message };
    }
    throw e;
  }
};
