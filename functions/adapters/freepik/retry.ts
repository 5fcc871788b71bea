/**
 * The retry loop shared by API calls and downloads: retries only transient failures
 * (AppError 'upstream_unavailable' with retryable), waits Retry-After when given or full-jitter
 * backoff otherwise, and never sleeps past the deadline: if the next wait would cross it, the call
 * fails now (retryable, so the workflow may try again later).
 */
import { fullJitterDelay } from '../../domain/sourcing.js';
import type { Clock } from '../../domain/ports.js';
import { AppError, isAppError, isTransientError } from '../../shared/errors.js';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  backoff: { baseMs: number; maxMs: number };
  /** A Retry-After longer than this is not waited for. */
  maxRetryAfterMs: number;
}

export interface RetryContext {
  /** Epoch ms after which no attempt starts and no wait ends. */
  deadline: number;
  signal?: AbortSignal;
  clock: Clock;
  random: () => number;
  /** Names the operation in the final error (an endpoint template). */
  label: string;
}

// Errors that already mean "gave up" (deadline, retries spent) must not be retried again.
const final = new WeakSet<AppError>();
// Only provider outages: a denied rate-limit take (also transient) has already waited for its token.
const isRetriedHere = (e: unknown): e is AppError =>
  isTransientError(e) && isAppError(e) && e.code === 'upstream_unavailable' && !final.has(e);

/** Runs `attempt(retryNumber)` until it succeeds, fails permanently, or retries/deadline run out. */
export async function withRetries<T>(
  policy: RetryPolicy,
  rc: RetryContext,
  attempt: (retryNumber: number) => Promise<T>,
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (!isRetriedHere(e)) throw e;
      const attempts = n + 1;
      if (n >= policy.maxRetries) throw exhausted(rc.label, attempts, e, 'retries_exhausted');
      const retryAfterMs = typeof e.detail?.retryAfterMs === 'number' ? e.detail.retryAfterMs : undefined;
      if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) {
        throw exhausted(rc.label, attempts, e, 'retry_after_too_long', retryAfterMs);
      }
      const delay = retryAfterMs ?? fullJitterDelay(n, policy.backoff, rc.random);
      if (rc.clock.now() + delay >= rc.deadline) throw exhausted(rc.label, attempts, e, 'deadline', retryAfterMs);
      await rc.clock.sleep(delay, rc.signal);
    }
  }
}

/** The error a caller sees when Freepik stayed unavailable: retryable, with what was tried. */
export function exhausted(
  label: string,
  attempts: number,
  last: AppError | undefined,
  reason: string,
  retryAfterMs?: number,
): AppError {
  const why =
    reason === 'deadline'
      ? 'before the deadline'
      : reason === 'retry_after_too_long'
        ? `(it asked to wait ${Math.round((retryAfterMs ?? 0) / 1000)} s)`
        : `after ${attempts} attempts`;
  const err = new AppError('upstream_unavailable', `Freepik is unavailable: ${label} did not succeed ${why}`, {
    retryable: true,
    detail: {
      endpoint: label,
      attempts,
      reason,
      lastStatus: last?.detail?.status ?? null,
      lastError: last?.detail?.reason ?? last?.message,
      retryAfterMs,
    },
    headers: retryAfterMs !== undefined ? { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) } : undefined,
    cause: last,
  });
  final.add(err);
  return err;
}
