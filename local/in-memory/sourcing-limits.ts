/**
 * In-memory implementations of the sourcing ports, for unit tests and single-process tools.
 * They behave like the Postgres ones (same errors, same arithmetic) but hold state in this process.
 */
import type { Clock } from '../../functions/domain/ports.js';
import type {
  QuotaGuard,
  RateLimiter,
  SpendEstimate,
  UsageRecord,
  UsageRecorder,
} from '../../functions/domain/sourcing-ports.js';
import { monthKey } from '../../functions/domain/sourcing.js';
import { realClock } from '../../functions/adapters/limits/clock.js';
import { quotaVerdict, rateLimitedError } from '../../functions/adapters/limits/rules.js';

export interface MemoryUsageRecorder extends UsageRecorder {
  rows: UsageRecord[];
  /** Month-to-date spend per org (the usage_counters equivalent). */
  spent(orgId: string, month?: string): { credits: number; costUsd: number; calls: number };
}

export function createMemoryUsageRecorder(clock: Pick<Clock, 'now'> = realClock): MemoryUsageRecorder {
  const rows: UsageRecord[] = [];
  const counters = new Map<string, { credits: number; costUsd: number; calls: number }>();
  return {
    rows,
    async record(row) {
      rows.push({ ...row });
      const k = `${row.organizationId}|${monthKey(new Date(clock.now()))}`;
      const c = counters.get(k) ?? { credits: 0, costUsd: 0, calls: 0 };
      counters.set(k, { credits: c.credits + row.credits, costUsd: c.costUsd + row.costUsd, calls: c.calls + 1 });
    },
    spent(orgId, month = monthKey(new Date(clock.now()))) {
      return counters.get(`${orgId}|${month}`) ?? { credits: 0, costUsd: 0, calls: 0 };
    },
  };
}

/** Quota from fixed limits per org against a MemoryUsageRecorder's counters. */
export function createMemoryQuotaGuard(
  limits: Record<string, { monthlyCreditQuota?: number | null; monthlyBudgetUsd?: number | null }>,
  usage: Pick<MemoryUsageRecorder, 'spent'>,
): QuotaGuard {
  return {
    async assertWithinQuota(orgId: string, estimate: SpendEstimate) {
      const l = limits[orgId] ?? {};
      const s = usage.spent(orgId);
      quotaVerdict(
        {
          creditQuota: l.monthlyCreditQuota ?? null,
          budgetUsd: l.monthlyBudgetUsd ?? null,
          usedCredits: s.credits,
          usedUsd: s.costUsd,
        },
        estimate,
      );
    },
  };
}

/** A token bucket in memory (capacity, refill per second), waiting with the given clock. */
export function createMemoryTokenBucket(opts: {
  capacity: number;
  refillPerSecond: number;
  clock?: Clock;
  key?: string;
}): RateLimiter & { tokens(): number } {
  const clock = opts.clock ?? realClock;
  let tokens = opts.capacity;
  let at = clock.now();
  const refill = () => {
    const now = clock.now();
    tokens = Math.min(opts.capacity, tokens + ((now - at) / 1000) * opts.refillPerSecond);
    at = now;
  };
  return {
    tokens: () => {
      refill();
      return tokens;
    },
    async acquire({ deadline, signal }) {
      for (;;) {
        refill();
        if (tokens >= 1) {
          tokens -= 1;
          return;
        }
        const waitMs = Math.ceil(((1 - tokens) / opts.refillPerSecond) * 1000);
        if (clock.now() + waitMs > deadline) throw rateLimitedError(opts.key ?? 'memory', waitMs);
        await clock.sleep(waitMs, signal);
      }
    },
  };
}
