/**
 * Assembles the dashboard numbers from rollup rows: totals, the zero-filled daily trend, the split
 * by platform, rates. Pure, so the arithmetic is unit tested without a database.
 */
import { engagementRate, engagementsOf, zeroTotals, type MetricTotals } from './metrics.js';
import { daysBetween } from './periods.js';

export interface DailyPlatformInput extends MetricTotals {
  day: string;
  platform: string;
}

export interface TotalsView extends MetricTotals {
  engagements: number;
  engagementRate: number | null;
}
export interface TrendPoint {
  day: string;
  impressions: number;
  reach: number;
  engagements: number;
  clicks: number;
  engagementRate: number | null;
}
export interface PlatformSlice {
  platform: string;
  impressions: number;
  reach: number;
  engagements: number;
  clicks: number;
  engagementRate: number | null;
}

const add = (a: MetricTotals, b: MetricTotals): MetricTotals => ({
  impressions: a.impressions + b.impressions,
  reach: a.reach + b.reach,
  likes: a.likes + b.likes,
  comments: a.comments + b.comments,
  shares: a.shares + b.shares,
  saves: a.saves + b.saves,
  clicks: a.clicks + b.clicks,
  videoViews: a.videoViews + b.videoViews,
});

export function totalsView(t: MetricTotals): TotalsView {
  const engagements = engagementsOf(t);
  return { ...t, engagements, engagementRate: engagementRate(engagements, t.impressions) };
}

export function summarize(
  rows: DailyPlatformInput[],
  from: Date,
  to: Date,
): { totals: TotalsView; trend: TrendPoint[]; byPlatform: PlatformSlice[] } {
  let total = zeroTotals();
  const byDay = new Map<string, MetricTotals>();
  const byPlatform = new Map<string, MetricTotals>();
  for (const r of rows) {
    total = add(total, r);
    byDay.set(r.day, add(byDay.get(r.day) ?? zeroTotals(), r));
    byPlatform.set(r.platform, add(byPlatform.get(r.platform) ?? zeroTotals(), r));
  }
  const trend = daysBetween(from, to).map((day) => {
    const t = totalsView(byDay.get(day) ?? zeroTotals());
    return {
      day,
      impressions: t.impressions,
      reach: t.reach,
      engagements: t.engagements,
      clicks: t.clicks,
      engagementRate: t.engagementRate,
    };
  });
  const platforms = [...byPlatform.entries()]
    .map(([platform, m]) => {
      const t = totalsView(m);
      return {
        platform,
        impressions: t.impressions,
        reach: t.reach,
        engagements: t.engagements,
        clicks: t.clicks,
        engagementRate: t.engagementRate,
      };
    })
    .sort((a, b) => b.impressions - a.impressions || a.platform.localeCompare(b.platform));
  return { totals: totalsView(total), trend, byPlatform: platforms };
}

export interface ComplianceDay {
  day: string;
  requests: number;
  passed: number;
  review: number;
  rejected: number;
  avgScore: number | null;
}
export interface ComplianceView {
  totals: {
    requests: number;
    passed: number;
    review: number;
    rejected: number;
    passRate: number | null;
    avgScore: number | null;
  };
  trend: (ComplianceDay & { passRate: number | null })[];
  topFindings: { check: string; count: number }[];
}

const rate = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null);

export function complianceView(
  days: ComplianceDay[],
  topFindings: { check: string; count: number }[],
  from: Date,
  to: Date,
): ComplianceView {
  const byDay = new Map(days.map((d) => [d.day, d]));
  let requests = 0,
    passed = 0,
    review = 0,
    rejected = 0,
    scoreSum = 0,
    scored = 0;
  for (const d of days) {
    requests += d.requests;
    passed += d.passed;
    review += d.review;
    rejected += d.rejected;
    if (d.avgScore !== null) {
      scoreSum += d.avgScore * d.requests;
      scored += d.requests;
    }
  }
  return {
    totals: {
      requests,
      passed,
      review,
      rejected,
      passRate: rate(passed, requests),
      avgScore: scored ? Math.round((scoreSum / scored) * 100) / 100 : null,
    },
    trend: daysBetween(from, to).map((day) => {
      const d = byDay.get(day) ?? { day, requests: 0, passed: 0, review: 0, rejected: 0, avgScore: null };
      return { ...d, passRate: rate(d.passed, d.requests) };
    }),
    topFindings,
  };
}

/** Money: credits to 4 places, USD to 6 (the column scales), so JS sums never show float noise. */
export const roundTo = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;

export interface BudgetView {
  budgetUsd: number | null;
  budgetRemainingUsd: number | null;
  /** Fraction of the monthly budget spent (may exceed 1). */
  budgetUsed: number | null;
  creditQuota: number | null;
  creditsRemaining: number | null;
}

export function budgetView(
  spentUsd: number,
  credits: number,
  budgetUsd: number | null,
  creditQuota: number | null,
): BudgetView {
  return {
    budgetUsd,
    budgetRemainingUsd: budgetUsd === null ? null : roundTo(Math.max(0, budgetUsd - spentUsd), 6),
    budgetUsed: budgetUsd === null || budgetUsd <= 0 ? null : Math.round((spentUsd / budgetUsd) * 10_000) / 10_000,
    creditQuota,
    creditsRemaining: creditQuota === null ? null : roundTo(Math.max(0, creditQuota - credits), 4),
  };
}
