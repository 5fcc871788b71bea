/**
 * Lifetime totals -> increments. Meta reports lifetime counts per post; content_analytics stores
 * increments (see metrics.ts). Given the totals stored at the previous collection, the increment
 * is the difference. A total that went down (Meta revises counts, e.g. removed spam likes) yields
 * a 0 increment and the baseline stays at the highest total seen, so regaining the lost count is
 * not counted twice; the sums overstate by the revision until the total passes the old high, which
 * we accept over storing negative counts.
 */
import type { MetricName, MetricPoint } from './metrics.js';

export type LifetimeTotals = Partial<Record<MetricName, number>>;

export interface IncrementResult {
  /** Samples to store (zero increments are dropped: they add nothing to any sum). */
  points: MetricPoint[];
  /** Baseline to store for the next collection. */
  nextTotals: LifetimeTotals;
}

export function toIncrements(previous: LifetimeTotals, lifetime: MetricPoint[]): IncrementResult {
  const nextTotals: LifetimeTotals = { ...previous };
  const points: MetricPoint[] = [];
  for (const p of lifetime) {
    const before = previous[p.metric] ?? 0;
    const delta = p.value - before;
    nextTotals[p.metric] = Math.max(before, p.value);
    if (delta > 0) points.push({ ...p, value: delta });
  }
  return { points, nextTotals };
}
