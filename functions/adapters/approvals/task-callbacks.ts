/**
 * The approval engine's callback port over a Step Functions-shaped client: the SFN API in AWS or
 * the local runner's TaskTokenBroker (same method names, same error names). A task that is no
 * longer waiting (TaskTimedOut / InvalidToken / TaskDoesNotExist) means someone already answered
 * it, or it timed out and escalated: reported as `already_decided`, never as a failure.
 */
import { isTaskClosedError, type TaskTokenClient } from '../workflow/task-callbacks.js';
import type { CallbackResult, TaskCallbacks } from '../../domain/approvals/ports.js';

/** What the port needs of the task-token API (no heartbeats). */
export type TaskCallbackClient = Pick<TaskTokenClient, 'sendTaskSuccess' | 'sendTaskFailure'>;

export function createCallbackPort(client: TaskCallbackClient): TaskCallbacks {
  const guard = async (fn: () => Promise<void>): Promise<CallbackResult> => {
    try {
      await fn();
      return 'sent';
    } catch (e) {
      if (isTaskClosedError(e)) return 'already_decided';
      throw e;
    }
  };
  return {
    sendSuccess: (token, output) => guard(() => client.sendTaskSuccess(token, output)),
    sendFailure: (token, error, cause) => guard(() => client.sendTaskFailure(token, error, cause)),
  };
}
