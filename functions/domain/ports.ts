/**
 * Ports the domain owns. Adapters implement them (AWS or local); unit tests use in-memory fakes.
 */

/** Starts/stops the content workflow for a request (Step Functions in AWS, the local runner locally). */
export interface WorkflowStarter {
  /**
   * Starts run `run` of the request. The execution name is derived from (requestId, run), so a
   * duplicate start of the same run is refused by the engine rather than run twice.
   */
  start(input: {
    orgId: string;
    requestId: string;
    run: number;
  }): Promise<{ executionName: string; executionArn?: string }>;
  /** Stops a running execution; resolves quietly if it already finished. */
  stop(input: { executionName: string; executionArn?: string; reason: string }): Promise<void>;
}

/** Derives the execution name (<= 80 chars, [A-Za-z0-9-_]). */
export const executionNameFor = (requestId: string, run: number) => `req-${requestId}-r${run}`;

/**
 * Time, injectable so tests never wait for real: sourcing deadlines, rate-limit waits, approval
 * due dates and webhook timestamps all read it.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
