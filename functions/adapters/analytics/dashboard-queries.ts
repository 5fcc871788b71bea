/**
 * The dashboard's reads. Every query runs inside withTenant (RLS) and reads rollups only:
 * analytics_brand_daily (the tenant view over the materialized view), content_analytics_daily /
 * _hourly through tenant-leading indexes, brand_compliance_analytics, daily_usage_summaries and
 * usage_counters. Raw content_analytics is never scanned here, so latency does not grow with it.
 * Numbers come back as JS numbers (bigint sums fit easily in 2^53 at our volumes).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { dayKey } from '../../domain/analytics/periods.js';

const d = (x: Date) => dayKey(x);
const brandFilter = (col: SQL, brandId?: string) => (brandId ? sql` AND ${col} = ${brandId}::uuid` : sql``);
const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export interface DailyPlatformRow {
  day: string; platform: string;
  impressions: number; reach: number; likes: number; comments: number; shares: number; saves: number; clicks: number; videoViews: number;
}

/** Per day and platform sums for the range (from the materialized view). */
export async function dailyByPlatform(tx: Tx, from: Date, to: Date, brandId?: string): Promise<DailyPlatformRow[]> {
  const rows = await tx.execute<Record<string, unknown>>(sql`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, platform,
      sum(impressions)::float8 AS impressions, sum(reach)::float8 AS reach, sum(likes)::float8 AS likes,
      sum(comments)::float8 AS comments, sum(shares)::float8 AS shares, sum(saves)::float8 AS saves,
      sum(clicks)::float8 AS clicks, sum(video_views)::float8 AS video_views
    FROM analytics_brand_daily
    WHERE day >= ${d(from)}::date AND day <= ${d(to)}::date${brandFilter(sql`brand_id`, brandId)}
    GROUP BY day, platform ORDER BY day, platform`);
  return rows.map((r) => ({
    day: String(r.day), platform: String(r.platform), impressions: n(r.impressions), reach: n(r.reach), likes: n(r.likes),
    comments: n(r.comments), shares: n(r.shares), saves: n(r.saves), clicks: n(r.clicks), videoViews: n(r.video_views),
  }));
}

export interface TopContentRow {
  requestId: string; brandId: string; brandName: string | null; headline: string | null; status: string | null;
  impressions: number; reach: number; engagements: number; clicks: number;
}

/** The requests with most engagements in the range (index-only scan of the covering index). */
export async function topContent(tx: Tx, from: Date, to: Date, limit: number, brandId?: string): Promise<TopContentRow[]> {
  const rows = await tx.execute<Record<string, unknown>>(sql`
    WITH top AS (
      SELECT request_id, brand_id, sum(impressions)::float8 AS impressions, sum(reach)::float8 AS reach,
        sum(likes + comments + shares + saves)::float8 AS engagements, sum(clicks)::float8 AS clicks
      FROM content_analytics_daily
      WHERE organization_id = app.current_org() AND day >= ${d(from)}::date AND day <= ${d(to)}::date${brandFilter(sql`brand_id`, brandId)}
      GROUP BY request_id, brand_id
      ORDER BY engagements DESC, impressions DESC, request_id
      LIMIT ${limit})
    SELECT top.*, r.brief->>'headline' AS headline, r.status::text AS status, b.name AS brand_name
    FROM top LEFT JOIN content_requests r ON r.id = top.request_id LEFT JOIN brand_profiles b ON b.id = top.brand_id
    ORDER BY top.engagements DESC, top.impressions DESC, top.request_id`);
  return rows.map((r) => ({
    requestId: String(r.request_id), brandId: String(r.brand_id), brandName: (r.brand_name as string) ?? null,
    headline: (r.headline as string) ?? null, status: (r.status as string) ?? null,
    impressions: n(r.impressions), reach: n(r.reach), engagements: n(r.engagements), clicks: n(r.clicks),
  }));
}

export interface ComplianceDayRow { day: string; requests: number; passed: number; review: number; rejected: number; avgScore: number | null }

export async function complianceByDay(tx: Tx, from: Date, to: Date, brandId?: string): Promise<{ days: ComplianceDayRow[]; topFindings: { check: string; count: number }[] }> {
  const days = await tx.execute<Record<string, unknown>>(sql`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(requests)::int AS requests, sum(passed)::int AS passed,
      sum(review)::int AS review, sum(rejected)::int AS rejected,
      (sum(avg_score * requests) / nullif(sum(requests) FILTER (WHERE avg_score IS NOT NULL), 0))::float8 AS avg_score
    FROM brand_compliance_analytics
    WHERE organization_id = app.current_org() AND day >= ${d(from)}::date AND day <= ${d(to)}::date${brandFilter(sql`brand_id`, brandId)}
    GROUP BY day ORDER BY day`);
  const findings = await tx.execute<Record<string, unknown>>(sql`
    SELECT f->>'check' AS check, sum((f->>'count')::int)::int AS count
    FROM brand_compliance_analytics, jsonb_array_elements(top_findings) AS f
    WHERE organization_id = app.current_org() AND day >= ${d(from)}::date AND day <= ${d(to)}::date${brandFilter(sql`brand_id`, brandId)}
    GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5`);
  return {
    days: days.map((r) => ({ day: String(r.day), requests: n(r.requests), passed: n(r.passed), review: n(r.review), rejected: n(r.rejected), avgScore: r.avg_score === null ? null : Math.round(n(r.avg_score) * 100) / 100 })),
    topFindings: findings.map((r) => ({ check: String(r.check), count: n(r.count) })),
  };
}

export interface SpendDayRow { day: string; calls: number; credits: number; costUsd: number }

export async function spendByDay(tx: Tx, from: Date, to: Date): Promise<SpendDayRow[]> {
  const rows = await tx.execute<Record<string, unknown>>(sql`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(calls)::int AS calls, sum(credits)::text AS credits, sum(cost_usd)::text AS cost_usd
    FROM daily_usage_summaries
    WHERE organization_id = app.current_org() AND day >= ${d(from)}::date AND day <= ${d(to)}::date
    GROUP BY day ORDER BY day`);
  return rows.map((r) => ({ day: String(r.day), calls: n(r.calls), credits: n(r.credits), costUsd: n(r.cost_usd) }));
}

export interface MonthToDate {
  month: string;
  calls: number; credits: number; costUsd: number;
  monthlyCreditQuota: number | null; monthlyBudgetUsd: number | null;
}

/** The live month-to-date counters (maintained by the metering code on every paid call) and the plan's limits. */
export async function monthToDate(tx: Tx, monthStart: Date): Promise<MonthToDate> {
  const [r] = await tx.execute<Record<string, unknown>>(sql`
    SELECT o.monthly_credit_quota, o.monthly_budget_usd::text AS budget,
      coalesce(u.calls, 0) AS calls, coalesce(u.credits, 0)::text AS credits, coalesce(u.cost_usd, 0)::text AS cost_usd
    FROM organizations o LEFT JOIN usage_counters u ON u.organization_id = o.id AND u.month = ${d(monthStart)}::date
    WHERE o.id = app.current_org()`);
  return {
    month: d(monthStart).slice(0, 7),
    calls: n(r?.calls), credits: n(r?.credits), costUsd: n(r?.cost_usd),
    monthlyCreditQuota: r?.monthly_credit_quota === null || r?.monthly_credit_quota === undefined ? null : n(r.monthly_credit_quota),
    monthlyBudgetUsd: r?.budget === null || r?.budget === undefined ? null : n(r.budget),
  };
}

export interface EndpointUsageRow { provider: string; endpoint: string; calls: number; failures: number; retries: number; credits: number; costUsd: number; avgLatencyMs: number }

/** Month-to-date usage by provider and endpoint, from the daily summaries. */
export async function usageByEndpoint(tx: Tx, monthStart: Date, to: Date): Promise<EndpointUsageRow[]> {
  const rows = await tx.execute<Record<string, unknown>>(sql`
    SELECT provider, endpoint, sum(calls)::int AS calls, sum(failures)::int AS failures, sum(retries)::int AS retries,
      sum(credits)::text AS credits, sum(cost_usd)::text AS cost_usd,
      round(sum(avg_latency_ms::numeric * calls) / nullif(sum(calls), 0))::int AS avg_latency_ms
    FROM daily_usage_summaries
    WHERE organization_id = app.current_org() AND day >= ${d(monthStart)}::date AND day <= ${d(to)}::date
    GROUP BY provider, endpoint ORDER BY sum(cost_usd) DESC, provider, endpoint`);
  return rows.map((r) => ({
    provider: String(r.provider), endpoint: String(r.endpoint), calls: n(r.calls), failures: n(r.failures), retries: n(r.retries),
    credits: n(r.credits), costUsd: n(r.cost_usd), avgLatencyMs: n(r.avg_latency_ms),
  }));
}

export interface RequestHeader { id: string; brandId: string; headline: string | null; status: string; platforms: string[]; createdAt: Date; publishedAt: Date | null }

export async function requestHeader(tx: Tx, requestId: string): Promise<RequestHeader | undefined> {
  const [r] = await tx.execute<Record<string, unknown>>(sql`
    SELECT id, brand_id, brief->>'headline' AS headline, status::text AS status, platforms, created_at, published_at
    FROM content_requests WHERE id = ${requestId}::uuid`);
  if (!r) return undefined;
  return {
    id: String(r.id), brandId: String(r.brand_id), headline: (r.headline as string) ?? null, status: String(r.status),
    platforms: (r.platforms as string[]) ?? [], createdAt: new Date(r.created_at as string), publishedAt: r.published_at ? new Date(r.published_at as string) : null,
  };
}

export interface VariantRow extends Omit<DailyPlatformRow, 'day'> { variantId: string; preset: string | null; width: number | null; height: number | null; complianceDecision: string | null }

/** Per variant sums over the range, with the variant's preset and compliance decision. */
export async function requestVariants(tx: Tx, requestId: string, from: Date, to: Date): Promise<VariantRow[]> {
  const rows = await tx.execute<Record<string, unknown>>(sql`
    WITH s AS (
      SELECT variant_id, platform, sum(impressions)::float8 AS impressions, sum(reach)::float8 AS reach, sum(likes)::float8 AS likes,
        sum(comments)::float8 AS comments, sum(shares)::float8 AS shares, sum(saves)::float8 AS saves,
        sum(clicks)::float8 AS clicks, sum(video_views)::float8 AS video_views
      FROM content_analytics_daily
      WHERE organization_id = app.current_org() AND request_id = ${requestId}::uuid AND day >= ${d(from)}::date AND day <= ${d(to)}::date
      GROUP BY variant_id, platform)
    SELECT s.*, v.platform AS preset, v.width, v.height, v.compliance_decision
    FROM s LEFT JOIN asset_variants v ON v.id = s.variant_id
    ORDER BY s.impressions DESC, s.variant_id`);
  return rows.map((r) => ({
    variantId: String(r.variant_id), platform: String(r.platform), preset: (r.preset as string) ?? null,
    width: r.width === null || r.width === undefined ? null : n(r.width), height: r.height === null || r.height === undefined ? null : n(r.height),
    complianceDecision: (r.compliance_decision as string) ?? null,
    impressions: n(r.impressions), reach: n(r.reach), likes: n(r.likes), comments: n(r.comments), shares: n(r.shares),
    saves: n(r.saves), clicks: n(r.clicks), videoViews: n(r.video_views),
  }));
}

/** Per day sums of one request. */
export async function requestDaily(tx: Tx, requestId: string, from: Date, to: Date): Promise<DailyPlatformRow[]> {
  const rows = await tx.execute<Record<string, unknown>>(sql`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, platform,
      sum(impressions)::float8 AS impressions, sum(reach)::float8 AS reach, sum(likes)::float8 AS likes,
      sum(comments)::float8 AS comments, sum(shares)::float8 AS shares, sum(saves)::float8 AS saves,
      sum(clicks)::float8 AS clicks, sum(video_views)::float8 AS video_views
    FROM content_analytics_daily
    WHERE organization_id = app.current_org() AND request_id = ${requestId}::uuid AND day >= ${d(from)}::date AND day <= ${d(to)}::date
    GROUP BY day, platform ORDER BY day, platform`);
  return rows.map((r) => ({
    day: String(r.day), platform: String(r.platform), impressions: n(r.impressions), reach: n(r.reach), likes: n(r.likes),
    comments: n(r.comments), shares: n(r.shares), saves: n(r.saves), clicks: n(r.clicks), videoViews: n(r.video_views),
  }));
}

/** The last `hours` hours of one request, per hour (all platforms). */
export async function requestHourly(tx: Tx, requestId: string, since: Date): Promise<{ hour: string; impressions: number; engagements: number }[]> {
  const rows = await tx.execute<Record<string, unknown>>(sql`
    SELECT to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00:00"Z"') AS hour, sum(impressions)::float8 AS impressions,
      sum(likes + comments + shares + saves)::float8 AS engagements
    FROM content_analytics_hourly
    WHERE organization_id = app.current_org() AND request_id = ${requestId}::uuid AND hour >= ${since.toISOString()}::timestamptz
    GROUP BY hour ORDER BY hour`);
  return rows.map((r) => ({ hour: String(r.hour), impressions: n(r.impressions), engagements: n(r.engagements) }));
}

/** When the named job last succeeded (background_jobs is global; only times are read). */
export async function lastJobSuccess(tx: Tx, jobName: string): Promise<{ periodKey: string; finishedAt: string } | null> {
  const [r] = await tx.execute<Record<string, unknown>>(sql`
    SELECT period_key, finished_at FROM background_jobs WHERE job_name = ${jobName} AND status = 'succeeded'
    ORDER BY finished_at DESC LIMIT 1`);
  return r ? { periodKey: String(r.period_key), finishedAt: new Date(r.finished_at as string).toISOString() } : null;
}
