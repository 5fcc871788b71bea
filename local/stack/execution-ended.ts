/**
 * Locally, plays the EventBridge rule "execution ended" of the AWS stack: when the runner reports
 * an execution that FAILED or TIMED_OUT, the same handler as in AWS
 * (functions/handlers/events/execution-ended.ts) makes sure its request shows the failure. Like
 * EventBridge it retries delivery with backoff (a database that is away comes back), for about
 * ten minutes; a process that dies meanwhile is covered by the restart recovery. Aborted
 * executions are left out: locally they come from cancellation (the request is already
 * cancelled). Shutdown is not an end at all: the runner reports those executions suspended, and
 * the next start resumes them where they stood.
 */
import type { WorkflowEvent } from '../workflow/local-runner.js';
import type { ExecutionEndedDetail } from '../../functions/handlers/events/execution-ended.js';
import { isAppError } from '../../functions/shared/errors.js';

export interface ExecutionEndedBridgeOptions {
  describe(executionName: string): { status: string; input: unknown; error?: string; cause?: string } | undefined;
  deliver(detail: ExecutionEndedDetail): Promise<unknown>;
  log?: (m: string) => void;
  /** Delivery attempts (default 20: 0.5 s doubling to 30 s, about ten minutes in all). */
  attempts?: number;
  firstDelayMs?: number;
}

export interface ExecutionEndedBridge {
  onEvent(e: WorkflowEvent): void;
  /** Waits for deliveries in progress (tests); `stop` first to cut their retries short. */
  drain(): Promise<void>;
  stop(): void;
}

export function bridgeExecutionEnded(opts: ExecutionEndedBridgeOptions): ExecutionEndedBridge {
  const pending = new Set<Promise<void>>();
  let stopped = false;
  const attempts = opts.attempts ?? 20;
  const first = opts.firstDelayMs ?? 500;

  async function deliver(detail: ExecutionEndedDetail, name: string): Promise<void> {
    for (let i = 1; ; i++) {
      try {
        await opts.deliver(detail);
        return;
      } catch (e) {
        if (stopped || i >= attempts || (isAppError(e) && !e.retryable)) {
          opts.log?.(
            `execution ${name} ended (${detail.status}) but its request could not be updated: ${(e as Error).message}`,
          );
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(30_000, first * 2 ** (i - 1))).unref?.());
      }
    }
  }

  return {
    onEvent(e) {
      if (e.type !== 'execution_failed' || stopped) return;
      const info = opts.describe(e.executionName);
      if (!info || (info.status !== 'FAILED' && info.status !== 'TIMED_OUT')) return;
      const detail: ExecutionEndedDetail = {
        status: info.status,
        input: JSON.stringify(info.input),
        error: info.error ?? e.error,
        cause: info.cause ?? e.cause,
      };
      const p: Promise<void> = deliver(detail, e.executionName).finally(() => pending.delete(p));
      pending.add(p);
    },
    async drain() {
      await Promise.allSettled([...pending]);
    },
    stop() {
      stopped = true;
    },
  };
}
