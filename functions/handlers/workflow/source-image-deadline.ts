/**
 * The "Source image" task's deadline: how long sourcing may run within one invocation. (Its image
 * source is built by the composition root, functions/handlers/composition/freepik.ts.)
 */
import type { TaskContext } from './task.js';

/**
 * Time kept back from the Lambda's remaining time: storing what was bought, recording the step
 * and answering Step Functions must fit after the last Freepik call or poll.
 */
export const SOURCING_SAFETY_MS = 15_000;

/**
 * When sourcing must stop: the invocation's remaining time less the safety margin. Past it, a
 * pending Mystic task is left running (its id is stored) and the task fails retryable, so the state
 * machine's retry resumes it instead of the Lambda being killed with the generation unpaid-for
 * lost. No context (a direct call): no deadline beyond the client's own.
 */
export function sourcingDeadline(context?: TaskContext, now = Date.now()): number | undefined {
  if (!context) return undefined;
  return now + Math.max(1_000, context.getRemainingTimeInMillis() - SOURCING_SAFETY_MS);
}
