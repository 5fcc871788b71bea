/** The quota and rate-limit decisions shared by the Postgres and in-memory adapters. */
import type { SpendEstimate } from '../../domain/sourcing-ports.js';
import { AppError } from '../../shared/errors.js';

export interface QuotaState {
  /** Monthly credit allowance; null = unlimited. */
  creditQuota: number | null;
  /** Monthly budget in USD; null = unlimited. */
  budgetUsd: number | null;
  usedCredits: number;
  usedUsd: number;
}

const EPS = 1e-9;

/**
 * Throws AppError('quota_exceeded') when the allowance is used up or `estimate` would cross it.
 * A used-up allowance stops even free calls (stock downloads still count against Freepik's caps).
 */
export function quotaVerdict(s: QuotaState, estimate: SpendEstimate): void {
  if (s.creditQuota !== null) {
    if (s.usedCredits >= s.creditQuota - EPS || s.usedCredits + estimate.credits > s.creditQuota + EPS) {
      throw new AppError(
        'quota_exceeded',
        `Monthly image credit quota reached: ${fmt(s.usedCredits)} of ${fmt(s.creditQuota)} credits used this month` +
          (estimate.credits ? `, this image needs ${fmt(estimate.credits)}` : ''),
        {
          detail: { limit: 'credits', used: s.usedCredits, quota: s.creditQuota, needed: estimate.credits },
        },
      );
    }
  }
  if (s.budgetUsd !== null) {
    if (s.usedUsd >= s.budgetUsd - EPS || s.usedUsd + estimate.costUsd > s.budgetUsd + EPS) {
      throw new AppError(
        'quota_exceeded',
        `Monthly image budget reached: $${s.usedUsd.toFixed(2)} of $${s.budgetUsd.toFixed(2)} spent this month` +
          (estimate.costUsd ? `, this image costs $${estimate.costUsd.toFixed(4)}` : ''),
        {
          detail: { limit: 'budget_usd', used: s.usedUsd, quota: s.budgetUsd, needed: estimate.costUsd },
        },
      );
    }
  }
}

const fmt = (n: number) => String(Math.round(n * 10000) / 10000);

/** No token could be had before the deadline: retryable (the workflow may try again later). */
export const rateLimitedError = (key: string, waitMs: number) =>
  new AppError(
    'rate_limited',
    `The shared Freepik rate limit is exhausted (next token in ~${Math.ceil(waitMs / 1000)} s)`,
    {
      retryable: true,
      detail: { bucket: key, waitMs },
      headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) },
    },
  );
