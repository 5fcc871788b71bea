/**
 * Task tokens for the local runner: aws-local-stepfunctions has no `.waitForTaskToken`, so the
 * runner issues a token per waiting state and parks the state on it until someone calls
 * sendTaskSuccess / sendTaskFailure here — the same calls, arguments and error names as the
 * Step Functions API (SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat), so code written
 * against TaskCallbacks behaves the same locally and in AWS.
 */
import { randomBytes } from 'node:crypto';
import type { TaskCallbacks } from './task-callbacks.js';

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
}

const PREFIX = 'lsfn1.';
const CLOSED_TTL_MS = 6 * 60 * 60 * 1000;
const MAX_OUTPUT_BYTES = 256 * 1024; // the Step Functions payload limit

export class TaskTokenBroker implements TaskCallbacks {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(t: PendingTask) => void>();

  /** Parks a state: resolves with the SendTaskSuccess output, rejects on failure/timeout/stop. */
  issue(meta: { executionName: string; stateName: string; timeoutMs?: number }): { token: string; result: Promise<unknown> } {
    const token = PREFIX + randomBytes(48).toString('base64url');
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const result = new Promise<unknown>((res, rej) => { resolve = res; reject = rej; });
    // The runner may never await `result` after an abort; don't let that surface as unhandled.
    result.catch(() => {});
    const entry: Entry = { token, executionName: meta.executionName, stateName: meta.stateName, issuedAt: new Date(), state: 'waiting', resolve, reject };
    this.entries.set(token, entry);
    if (meta.timeoutMs !== undefined) {
      const timer = setTimeout(() => this.close(entry, 'timed out', new TaskFailedError('States.Timeout', `${meta.stateName} was not answered in time`)), meta.timeoutMs);
      timer.unref();
      result.finally(() => clearTimeout(timer)).catch(() => {});
    }
    for (const l of this.listeners) l(publicView(entry));
    return { token, result };
  }

  async sendTaskSuccess(token: string, output: unknown): Promise<void> {
    const entry = this.open(token);
    let value = output;
    if (typeof output === 'string') {
      try { value = JSON.parse(output); } catch { throw new TaskTokenError('InvalidOutput', 'output is not valid JSON'); }
    }
    const json = JSON.stringify(value ?? null);
    if (Buffer.byteLength(json) > MAX_OUTPUT_BYTES) throw new TaskTokenError('InvalidOutput', 'output exceeds 256 KiB');
    this.close(entry, 'succeeded');
    entry.resolve(JSON.parse(json));
  }

  async sendTaskFailure(token: string, error?: string, cause?: string): Promise<void> {
    const entry = this.open(token);
    this.close(entry, 'failed', new TaskFailedError(error || 'States.TaskFailed', cause ?? ''));
  }

  async sendTaskHeartbeat(token: string): Promise<void> {
    this.open(token);
  }

  /** Tasks waiting right now (tests and the dev console; raw tokens stay in-process). */
  pending(filter: { executionName?: string; stateName?: string } = {}): PendingTask[] {
    return [...this.entries.values()]
      .filter((e) => e.state === 'waiting')
      .filter((e) => (!filter.executionName || e.executionName === filter.executionName) && (!filter.stateName || e.stateName === filter.stateName))
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
    if (e) this.close(e, reason, new TaskFailedError('States.Aborted', reason));
  }

  /** Closes every token of a stopped execution (later calls get TaskTimedOut, as in AWS). */
  closeExecution(executionName: string, reason: string): void {
    for (const e of this.entries.values()) {
      if (e.executionName === executionName && e.state === 'waiting') {
        this.close(e, reason, new TaskFailedError('States.Aborted', reason));
      }
    }
  }

  private open(token: string): Entry {
    if (typeof token !== 'string' || !token.startsWith(PREFIX) || token.length < PREFIX.length + 32 || token.length > 1024) {
      throw new TaskTokenError('InvalidToken', 'Invalid token');
    }
    const entry = this.entries.get(token);
    // A well-formed token we don't know belongs to an execution of an earlier process (or was
    // made up): for the caller that is the same as a closed task.
    if (!entry) throw new TaskTokenError('TaskTimedOut', 'Task does not exist anymore');
    if (entry.state !== 'waiting') throw new TaskTokenError('TaskTimedOut', `Task already ${entry.closedBecause}`);
    return entry;
  }

  private close(entry: Entry, because: string, error?: Error): void {
    if (entry.state !== 'waiting') return;
    entry.state = 'closed';
    entry.closedBecause = because;
    if (error) entry.reject(error);
    // Remembered for a while so a late second answer still reads "already decided".
    setTimeout(() => this.entries.delete(entry.token), CLOSED_TTL_MS).unref();
  }
}

const publicView = (e: Entry): PendingTask => ({ token: e.token, executionName: e.executionName, stateName: e.stateName, issuedAt: e.issuedAt });
