/**
 * Ports used by image sourcing. Postgres adapters live in functions/adapters/limits/; in-memory
 * versions (for unit tests and single-process tools) in local/in-memory/sourcing-limits.ts.
 */

/** How one HTTP attempt ended (the api_usage.outcome values). */
export type UsageOutcome = 'success' | 'retryable_error' | 'error' | 'timeout' | 'network_error';

/** One HTTP attempt to a paid provider = one api_usage row. */
export interface UsageRecord {
  organizationId: string;
  /** The content request this call served, when there is one (uuid). */
  requestId?: string | null;
  provider: string;
  /** Endpoint template, e.g. `GET /v1/resources/{id}`; never a concrete URL (no ids, no tokens). */
  endpoint: string;
  method: string;
  /** HTTP status, or null when no response arrived. */
  statusCode: number | null;
  outcome: UsageOutcome;
  latencyMs: number;
  /** Provider credits this attempt consumed (0 unless a paid call succeeded). */
  credits: number;
  costUsd: number;
  /** 0 for the first attempt of a logical call, 1 for the first retry, ... */
  retryNumber: number;
  /** Short machine code for a failure (`http_503`, `timeout`, `ECONNRESET`, ...). */
  errorCode?: string | null;
}

/** Writes usage rows. Implementations add credits/cost to the tenant's monthly counter atomically. */
export interface UsageRecorder {
  record(row: UsageRecord): Promise<void>;
}

/** What a planned call is expected to cost, checked against the tenant's monthly allowance. */
export interface SpendEstimate {
  credits: number;
  costUsd: number;
}

/** Per-tenant monthly quota (credits and money). */
export interface QuotaGuard {
  /**
   * Resolves when the tenant may spend `estimate` this month; otherwise throws
   * AppError('quota_exceeded') whose message says which limit and by how much.
   */
  assertWithinQuota(orgId: string, estimate: SpendEstimate): Promise<void>;
}

/** A shared rate limiter (token bucket). */
export interface RateLimiter {
  /**
   * Takes one token, waiting for refill until `deadline` (epoch ms). Throws
   * AppError('rate_limited', retryable) when no token can be had by then, or the signal's reason
   * when aborted.
   */
  acquire(opts: { deadline: number; signal?: AbortSignal }): Promise<void>;
}
