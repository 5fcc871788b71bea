/**
 * Task tokens for the local runner: aws-local-stepfunctions has no `.waitForTaskToken`, so the
 * runner issues a token per waiting state and parks the state on it until someone calls
 * sendTaskSuccess / sendTaskFailure here — the same calls, arguments and error names as the
 * Step Functions API (SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat), so code written
 * against TaskTokenClient behaves the same locally and in AWS. A runner resuming a parked wait after
 * a restart registers the token it issued before again (same token, deadline from the original
 * issue), so links and callbacks holding that token keep working.
 */
import { randomBytes } from 'node:crypto';
import type { TaskTokenClient } from '../../functions/adapters/workflow/task-callbacks.js';

/** Same names as the Step Functions API errors, so one `catch` handles both. */
export type TaskTokenErrorName = 'InvalidToken' | 'TaskTimedOut' | 'TaskDoesNotExist' | 'InvalidOutput';
export class TaskTokenError extends Error {
  constructor(name: TaskTokenErrorName, message: string) {
    super(message);
    this.name = name;
  }
}

/** Error a parked state fails with (matched by Retry/Catch like an SFN task error). */
export class TaskFailedError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

export interface PendingTask {
  token: string;
  executionName: string;
  stateName: string;
  issuedAt: Date;
}

interface Entry extends PendingTask {
  state: 'waiting' | 'closed';
  closedBecause?: string;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  afterAnswer?: () => Promise<void>;
}

export interface IssueOptions {
  executionName: string;
  stateName: string;
  /** Deadline, counted from `issuedAt`. */
  timeoutMs?: number;
  /**
   * Re-registers a token an earlier process issued (the runner resuming a parked wait): the same
   * token is accepted again, and its deadline still runs from `issuedAt`.
   */
  token?: string;
  issuedAt?: Date;
  /**
   * Awaited by sendTaskSuccess / sendTaskFailure before they return: the caller (the approval
   * engine, which then marks the callback as sent) only hears "done" once the runner has recorded
   * that the wait is over.
   */
  afterAnswer?: () => Promise<void>;
}

const PREFIX = 'lsfn1.';
const CLOSED_TTL_MS = 6 * 60 * 60 * 1000;
const MAX_OUTPUT_BYTES = 256 * 1024; // the Step Functions payload limit

export class TaskTokenBroker implements TaskTokenClient {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(t: PendingTask) => void>();

  /** Parks a state: resolves with the SendTaskSuccess output, rejects on failure/timeout/stop. */
  issue(meta: IssueOptions): { token: string; issuedAt: Date; result: Promise<unknown> } {
    if (meta.token !== undefined && (!wellFormed(meta.token) || this.entries.get(meta.token)?.state === 'waiting')) {
      throw new TaskTokenError('InvalidToken', 'cannot re-register this token');
    }
    const token = meta.token ?? PREFIX + randomBytes(48).toString('base64url');
    const issuedAt = meta.issuedAt ?? new Date();
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const result = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // The runner may never await `result` after an abort; don't let that surface as unhandled.
    result.catch(() => {});
    const entry: Entry = {
      token,
      executionName: meta.executionName,
      stateName: meta.stateName,
      issuedAt,
      state: 'waiting',
      resolve,
      reject,
      afterAnswer: meta.afterAnswer,
    };
    this.entries.set(token, entry);
    if (meta.timeoutMs !== undefined) {
      // A re-registered token keeps its original deadline (it may have passed while nobody ran).
      const left = Math.max(0, issuedAt.getTime() + meta.timeoutMs - Date.now());
      const timer = setTimeout(
        () =>
          this.close(entry, 'timed out', {
            error: new TaskFailedError('States.Timeout', `${meta.stateName} was not answered in time`),
          }),
        left,
      );
      timer.unref();
      result.finally(() => clearTimeout(timer)).catch(() => {});
    }
    for (const l of this.listeners) l(publicView(entry));
    return { token, issuedAt, result };
  }

  async sendTaskSuccess(token: string, output: unknown): Promise<void> {
    const entry = this.open(token);
    let value = output;
    if (typeof output === 'string') {
      try {
        value = JSON.parse(output);
      } catch {
        throw new TaskTokenError('InvalidOutput', 'output is not valid JSON');
      }
    }
    const json = JSON.stringify(value ?? null);
    if (Buffer.byteLength(json) > MAX_OUTPUT_BYTES) throw new TaskTokenError('InvalidOutput', 'output exceeds 256 KiB');
    const after = entry.afterAnswer;
    this.close(entry, 'succeeded', { value: JSON.parse(json) });
    await after?.();
  }

  async sendTaskFailure(token: string, error?: string, cause?: string): Promise<void> {
    const entry = this.open(token);
    const after = entry.afterAnswer;
    this.close(entry, 'failed', { error: new TaskFailedError(error || 'States.TaskFailed', cause ?? '') });
    await after?.();
  }

  async sendTaskHeartbeat(token: string): Promise<void> {
    this.open(token);
  }

  /** Tasks waiting right now (tests and the dev console; raw tokens stay in-process). */
  pending(filter: { executionName?: string; stateName?: string } = {}): PendingTask[] {
    return [...this.entries.values()]
      .filter((e) => e.state === 'waiting')
      .filter(
        (e) =>
          (!filter.executionName || e.executionName === filter.executionName) &&
          (!filter.stateName || e.stateName === filter.stateName),
      )
      .map(publicView);
  }

  /** Calls `listener` whenever a state starts waiting; returns an unsubscribe function. */
  onWaiting(listener: (t: PendingTask) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Closes one token (its state failed before it started waiting). */
  closeToken(token: string, reason: string): void {
    const e = this.entries.get(token);
    if (e) this.close(e, reason, { error: new TaskFailedError('States.Aborted', reason) });
  }

  /** Closes every token of a stopped execution (later calls get TaskTimedOut, as in AWS). */
  closeExecution(executionName: string, reason: string): void {
    for (const e of this.entries.values()) {
      if (e.executionName === executionName && e.state === 'waiting') {
        this.close(e, reason, { error: new TaskFailedError('States.Aborted', reason) });
      }
    }
  }

  private open(token: string): Entry {
    if (!wellFormed(token)) throw new TaskTokenError('InvalidToken', 'Invalid token');
    const entry = this.entries.get(token);
    // A well-formed token we don't know belongs to an execution of an earlier process (or was
    // made up): for the caller that is the same as a closed task.
    if (!entry) throw new TaskTokenError('TaskTimedOut', 'Task does not exist anymore');
    if (entry.state !== 'waiting') throw new TaskTokenError('TaskTimedOut', `Task already ${entry.closedBecause}`);
    return entry;
  }

  private close(entry: Entry, because: string, outcome: { value: unknown } | { error: Error }): void {
    if (entry.state !== 'waiting') return;
    entry.state = 'closed';
    entry.closedBecause = because;
    if ('error' in outcome) entry.reject(outcome.error);
    else entry.resolve(outcome.value);
    // Only "already <why>" is needed from here on: a burst of answered tasks must not keep closures alive.
    entry.resolve = entry.reject = noop;
    entry.afterAnswer = undefined;
    // Remembered for a while so a late second answer still reads "already decided".
    setTimeout(() => this.entries.delete(entry.token), CLOSED_TTL_MS).unref();
  }
}

const noop = () => {};
const wellFormed = (token: unknown): token is string =>
  typeof token === 'string' && token.startsWith(PREFIX) && token.length >= PREFIX.length + 32 && token.length <= 1024;
const publicView = (e: Entry): PendingTask => ({
  token: e.token,
  executionName: e.executionName,
  stateName: e.stateName,
  issuedAt: e.issuedAt,
});
