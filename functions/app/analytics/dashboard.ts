/**
 * Read use cases behind GET .../analytics/dashboard, .../analytics/content/{requestId} and
 * .../usage. Each runs in the caller's tenant transaction (RLS) and reads rollups only.
 */
import type { Tx } from '../../adapters/db/client.js';
import * as q from '../../adapters/analytics/dashboard-queries.js';
import {
  budgetView,
  complianceView,
  roundTo,
  summarize,
  type BudgetView,
  type ComplianceView,
  type PlatformSlice,
  type TotalsView,
  type TrendPoint,
} from '../../domain/analytics/dashboard.js';
import { engagementRate } from '../../domain/analytics/metrics.js';
import {
  addDays,
  addHours,
  dayKey,
  daysBetween,
  isRangeProblem,
  MAX_RANGE_DAYS,
  resolveDayRange,
  startOfDay,
  startOfMonth,
} from '../../domain/analytics/periods.js';
import { AppError } from '../../shared/errors.js';

export interface RangeQuery {
  from?: string;
  to?: string;
  brandId?: string;
  /** Spend is part of the dashboard only for roles that may read usage (usage:read). */
  includeSpend?: boolean;
}

function rangeOrThrow(input: { from?: string; to?: string }, now: Date) {
  const r = resolveDayRange(input, now);
  if (isRangeProblem(r))
    throw new AppError('validation_failed', r.message, { fields: [{ path: r.path, message: r.message }] });
  return r;
}

export interface Dashboard {
  range: { from: string; to: string; days: number };
  brandId: string | null;
  /** When the content rollup last completed (numbers include samples up to that hour). */
  dataAsOf: string | null;
  /** The last successful run of each rollup the dashboard reads (null: never ran). */
  rollups: { job: RollupJob; lastRunAt: string | null; periodKey: string | null }[];
  /** What the range shows includes the local stack's demo data. */
  demo: boolean;
  totals: TotalsView;
  trend: TrendPoint[];
  byPlatform: PlatformSlice[];
  topContent: (q.TopContentRow & { engagementRate: number | null })[];
  compliance: ComplianceView;
  /** null when the caller's role may not read usage. */
  spend:
    | ({
        month: string;
        monthToDate: { calls: number; credits: number; costUsd: number };
        trend: q.SpendDayRow[];
        rangeCostUsd: number;
      } & BudgetView)
    | null;
}

export const TOP_CONTENT_LIMIT = 5;

/** The rollups behind the dashboard's numbers: content (charts, top content), compliance, spend. */
export const DASHBOARD_ROLLUPS = ['rollup-content-hourly', 'rollup-brand-compliance', 'rollup-usage'] as const;
export type RollupJob = (typeof DASHBOARD_ROLLUPS)[number];

export async function getDashboard(tx: Tx, input: RangeQuery, now: Date = new Date()): Promise<Dashboard> {
  const range = rangeOrThrow(input, now);
  const { from, to } = range;
  const monthStart = startOfMonth(now);
  const b = await q.bundle(tx, {
    daily: q.dailyByPlatformSql(from, to, input.brandId),
    top: q.topContentSql(from, to, TOP_CONTENT_LIMIT, input.brandId),
    complianceDays: q.complianceDaysSql(from, to, input.brandId),
    findings: q.complianceFindingsSql(from, to, input.brandId),
    lastJob: q.lastJobSuccessSql('rollup-content-hourly'),
    rollups: q.lastJobRunsSql(DASHBOARD_ROLLUPS),
    demo: q.demoDataSql(from, to, input.brandId),
    spend: input.includeSpend ? q.spendByDaySql(from, to) : undefined,
    mtd: input.includeSpend ? q.monthToDateSql(monthStart) : undefined,
  });
  const s = summarize(q.mapDaily(b.daily), from, to);
  return {
    range: { from: dayKey(from), to: dayKey(to), days: range.days },
    brandId: input.brandId ?? null,
    dataAsOf: q.mapLastJob(b.lastJob)?.finishedAt ?? null,
    rollups: rollupRuns(q.mapJobRuns(b.rollups)),
    demo: q.mapDemoData(b.demo),
    ...s,
    topContent: q
      .mapTopContent(b.top)
      .map((t) => ({ ...t, engagementRate: engagementRate(t.engagements, t.impressions) })),
    compliance: complianceView(q.mapComplianceDays(b.complianceDays), q.mapFindings(b.findings), from, to),
    spend: input.includeSpend
      ? spendOf(q.mapSpend(b.spend ?? []), q.mapMonthToDate(b.mtd ?? [], monthStart), from, to)
      : null,
  };
}

const rollupRuns = (runs: ReturnType<typeof q.mapJobRuns>): Dashboard['rollups'] =>
  DASHBOARD_ROLLUPS.map((job) => ({
    job,
    lastRunAt: runs.get(job)?.finishedAt ?? null,
    periodKey: runs.get(job)?.periodKey ?? null,
  }));

function spendOf(
  spendRows: q.SpendDayRow[],
  mtd: q.MonthToDate,
  from: Date,
  to: Date,
): NonNullable<Dashboard['spend']> {
  const byDay = new Map(spendRows.map((r) => [r.day, r]));
  return {
    month: mtd.month,
    monthToDate: { calls: mtd.calls, credits: roundTo(mtd.credits, 4), costUsd: roundTo(mtd.costUsd, 6) },
    trend: daysBetween(from, to).map((day) => byDay.get(day) ?? { day, calls: 0, credits: 0, costUsd: 0 }),
    rangeCostUsd: roundTo(
      spendRows.reduce((a, r) => a + r.costUsd, 0),
      6,
    ),
    ...budgetView(mtd.costUsd, mtd.credits, mtd.monthlyBudgetUsd, mtd.monthlyCreditQuota),
  };
}

export interface ContentAnalytics {
  request: {
    id: string;
    brandId: string;
    headline: string | null;
    status: string;
    platforms: string[];
    createdAt: string;
    publishedAt: string | null;
  };
  range: { from: string; to: string; days: number };
  totals: TotalsView;
  trend: TrendPoint[];
  byPlatform: PlatformSlice[];
  variants: (q.VariantRow & { engagements: number; engagementRate: number | null })[];
  /** The last 48 hours, hour by hour (hours without samples are absent). */
  last48h: { hour: string; impressions: number; engagements: number }[];
}

export async function getContentAnalytics(
  tx: Tx,
  requestId: string,
  input: { from?: string; to?: string },
  now: Date = new Date(),
): Promise<ContentAnalytics> {
  const req = await q.requestHeader(tx, requestId);
  if (!req) throw new AppError('not_found', 'Content request not found');
  // Default range: from the request's creation (at most a year back) to today.
  const to = input.to ?? dayKey(startOfDay(now));
  const created = startOfDay(req.createdAt);
  const earliest = addDays(startOfDay(now), -(MAX_RANGE_DAYS - 1));
  const from = input.from ?? dayKey(created.getTime() < earliest.getTime() ? earliest : created);
  const range = rangeOrThrow({ from, to }, now);
  const b = await q.bundle(tx, {
    daily: q.requestDailySql(requestId, range.from, range.to),
    variants: q.requestVariantsSql(requestId, range.from, range.to),
    hourly: q.requestHourlySql(requestId, addHours(now, -48)),
  });
  const [daily, variants, hourly] = [q.mapDaily(b.daily), q.mapVariants(b.variants), q.mapHourly(b.hourly)];
  const s = summarize(daily, range.from, range.to);
  return {
    request: { ...req, createdAt: req.createdAt.toISOString(), publishedAt: req.publishedAt?.toISOString() ?? null },
    range: { from: dayKey(range.from), to: dayKey(range.to), days: range.days },
    ...s,
    variants: variants.map((v) => {
      const engagements = v.likes + v.comments + v.shares + v.saves;
      return { ...v, engagements, engagementRate: engagementRate(engagements, v.impressions) };
    }),
    last48h: hourly,
  };
}

export interface UsageReport {
  month: string;
  /** When the usage rollup last completed: byEndpoint includes calls up to then. */
  summarizedAt: string | null;
  totals: { calls: number; failures: number; retries: number; credits: number; costUsd: number };
  byEndpoint: q.EndpointUsageRow[];
  /** Live counters (updated on every paid call) against the plan's limits. */
  quota: { calls: number; credits: number; costUsd: number } & BudgetView;
}

export async function getUsage(tx: Tx, now: Date = new Date()): Promise<UsageReport> {
  const month = startOfMonth(now);
  const b = await q.bundle(tx, {
    usage: q.usageByEndpointSql(month, startOfDay(now)),
    mtd: q.monthToDateSql(month),
    lastJob: q.lastJobSuccessSql('rollup-usage'),
  });
  const byEndpoint = q
    .mapUsage(b.usage)
    .map((r) => ({ ...r, credits: roundTo(r.credits, 4), costUsd: roundTo(r.costUsd, 6) }));
  const mtd = q.mapMonthToDate(b.mtd, month);
  const asOf = q.mapLastJob(b.lastJob);
  const sum = (k: 'calls' | 'failures' | 'retries' | 'credits' | 'costUsd') => byEndpoint.reduce((a, r) => a + r[k], 0);
  return {
    month: mtd.month,
    summarizedAt: asOf?.finishedAt ?? null,
    totals: {
      calls: sum('calls'),
      failures: sum('failures'),
      retries: sum('retries'),
      credits: roundTo(sum('credits'), 4),
      costUsd: roundTo(sum('costUsd'), 6),
    },
    byEndpoint,
    quota: {
      calls: mtd.calls,
      credits: roundTo(mtd.credits, 4),
      costUsd: roundTo(mtd.costUsd, 6),
      ...budgetView(mtd.costUsd, mtd.credits, mtd.monthlyBudgetUsd, mtd.monthlyCreditQuota),
    },
  };
}
