/**
 * The dashboard's reads. Every query runs inside withTenant (RLS) and reads rollups only:
 * analytics_brand_daily (the tenant view over the materialized view), content_analytics_daily /
 * _hourly through tenant-leading indexes, brand_compliance_analytics, daily_usage_summaries and
 * usage_counters. Raw content_analytics is never scanned here, so latency does not grow with it.
 * Numbers come back as JS numbers (bigint sums fit easily in 2^53 at our volumes).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { ComplianceDay, DailyPlatformInput } from '../../domain/analytics/dashboard.js';
import type { MetricTotals } from '../../domain/analytics/metrics.js';
import { dayKey } from '../../domain/analytics/periods.js';

const d = (x: Date) => dayKey(x);
const brandFilter = (col: SQL, brandId?: string) => (brandId ? sql` AND ${col} = ${brandId}::uuid` : sql``);
const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const nOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : n(v));
type Row = Record<string, unknown>;

/**
 * Runs several read fragments in ONE statement (one round trip), each returned as a JSON array
 * of its rows. The dashboard would otherwise pay six round trips per request; under load each one
 * costs a scheduling delay. Row order inside an array is not relied upon (callers sort).
 */
export async function bundle<P extends Record<string, SQL | undefined>>(
  tx: Tx,
  parts: P,
): Promise<{ [K in keyof P]: Row[] }> {
  const cols = Object.entries(parts).flatMap(([k, frag]) =>
    frag ? [sql`(SELECT coalesce(json_agg(t), '[]'::json) FROM (${frag}) t) AS ${sql.identifier(k)}`] : [],
  );
  const [row] = await tx.execute<Record<string, Row[]>>(sql`SELECT ${sql.join(cols, sql`, `)}`);
  return row as { [K in keyof P]: Row[] };
}
const run = async (tx: Tx, frag: SQL): Promise<Row[]> => [...(await tx.execute<Row>(frag))];

/** The rollup row is the domain's input as it is: one shape, defined where the arithmetic lives. */
export type DailyPlatformRow = DailyPlatformInput;
const SUMS = sql`sum(impressions)::float8 AS impressions, sum(reach)::float8 AS reach, sum(likes)::float8 AS likes,
  sum(comments)::float8 AS comments, sum(shares)::float8 AS shares, sum(saves)::float8 AS saves,
  sum(clicks)::float8 AS clicks, sum(video_views)::float8 AS video_views`;
/** The measures SUMS selects, as numbers. */
const sumsOf = (r: Row): MetricTotals => ({
  impressions: n(r.impressions),
  reach: n(r.reach),
  likes: n(r.likes),
  comments: n(r.comments),
  shares: n(r.shares),
  saves: n(r.saves),
  clicks: n(r.clicks),
  videoViews: n(r.video_views),
});
const mapDaily = (rows: Row[]): DailyPlatformRow[] =>
  rows.map((r) => ({ day: String(r.day), platform: String(r.platform), ...sumsOf(r) }));

/** Per day and platform sums for the range (from the materialized view, through the tenant view). */
export const dailyByPlatformSql = (from: Date, to: Date, brandId?: string) => sql`
  SELECT to_char(day, 'YYYY-MM-DD') AS day, platform, ${SUMS}
  FROM analytics_brand_daily
  WHERE day >= ${d(from)}::date AND day <= ${d(to)}::date${brandFilter(sql`brand_id`, brandId)}
  GROUP BY day, platform`;
export const dailyByPlatform = async (tx: Tx, from: Date, to: Date, brandId?: string) =>
  mapDaily(await run(tx, dailyByPlatformSql(from, to, brandId)));

export interface TopContentRow {
  requestId: string;
  brandId: string;
  brandName: string | null;
  headline: string | null;
  status: string | null;
  impressions: number;
  reach: number;
  engagements: number;
  clicks: number;
}

/** The requests with most engagements in the range (from the request-grain materialized view). */
export const topContentSql = (from: Date, to: Date, limit: number, brandId?: string) => sql`
  WITH top AS (
    SELECT request_id, brand_id, sum(impressions)::float8 AS impressions, sum(reach)::float8 AS reach,
      sum(engagements)::float8 AS engagements, sum(clicks)::float8 AS clicks
    FROM analytics_request_daily
    WHERE day >= ${d(from)}::date AND day <= ${d(to)}::date${brandFilter(sql`brand_id`, brandId)}
    GROUP BY request_id, brand_id
    ORDER BY engagements DESC, impressions DESC, request_id
    LIMIT ${limit})
  SELECT top.request_id AS "requestId", top.brand_id AS "brandId", b.name AS "brandName",
    r.brief->>'headline' AS headline, r.status::text AS status, top.impressions, top.reach, top.engagements, top.clicks
  FROM top LEFT JOIN content_requests r ON r.id = top.request_id LEFT JOIN brand_profiles b ON b.id = top.brand_id`;
/** The rows come as TopContentRow already: named by the query, uuids and text as JSON strings, the float8 sums as numbers. */
export const mapTopContent = (rows: Row[]): TopContentRow[] =>
  (rows as unknown as TopContentRow[]).sort(
    (a, b) => b.engagements - a.engagements || b.impressions - a.impressions || a.requestId.localeCompare(b.requestId),
  );
export const topContent = async (tx: Tx, from: Date, to: Date, limit: number, brandId?: string) =>
  mapTopContent(await run(tx, topContentSql(from, to, limit, brandId)));

export type ComplianceDayRow = ComplianceDay;

export const complianceDaysSql = (from: Date, to: Date, brandId?: string) => sql`
  SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(requests)::int AS requests, sum(passed)::int AS passed,
    sum(review)::int AS review, sum(rejected)::int AS rejected,
    (sum(avg_score * requests) / nullif(sum(requests) FILTER (WHERE avg_score IS NOT NULL), 0))::float8 AS avg_score
  FROM brand_compliance_analytics
  WHERE organization_id = app.current_org() AND day >= ${d(from)}::date AND day <= ${d(to)}::date${brandFilter(sql`brand_id`, brandId)}
  GROUP BY day`;
export const complianceFindingsSql = (from: Date, to: Date, brandId?: string) => sql`
  SELECT f->>'check' AS check, sum((f->>'count')::int)::int AS count
  FROM brand_compliance_analytics, jsonb_array_elements(top_findings) AS f
  WHERE organization_id = app.current_org() AND day >= ${d(from)}::date AND day <= ${d(to)}::date${brandFilter(sql`brand_id`, brandId)}
  GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5`;
export const mapComplianceDays = (rows: Row[]): ComplianceDayRow[] =>
  rows.map((r) => ({
    day: String(r.day),
    requests: n(r.requests),
    passed: n(r.passed),
    review: n(r.review),
    rejected: n(r.rejected),
    avgScore: r.avg_score === null || r.avg_score === undefined ? null : Math.round(n(r.avg_score) * 100) / 100,
  }));
export const mapFindings = (rows: Row[]) =>
  rows
    .map((r) => ({ check: String(r.check), count: n(r.count) }))
    .sort((a, b) => b.count - a.count || a.check.localeCompare(b.check));

export interface SpendDayRow {
  day: string;
  calls: number;
  credits: number;
  costUsd: number;
}

export const spendByDaySql = (from: Date, to: Date) => sql`
  SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(calls)::int AS calls, sum(credits)::text AS credits, sum(cost_usd)::text AS cost_usd
  FROM daily_usage_summaries
  WHERE organization_id = app.current_org() AND day >= ${d(from)}::date AND day <= ${d(to)}::date
  GROUP BY day`;
export const mapSpend = (rows: Row[]): SpendDayRow[] =>
  rows.map((r) => ({ day: String(r.day), calls: n(r.calls), credits: n(r.credits), costUsd: n(r.cost_usd) }));

export interface MonthToDate {
  month: string;
  calls: number;
  credits: number;
  costUsd: number;
  monthlyCreditQuota: number | null;
  monthlyBudgetUsd: number | null;
}

/** The live month-to-date counters (maintained by the metering code on every paid call) and the plan's limits. */
export const monthToDateSql = (monthStart: Date) => sql`
  SELECT o.monthly_credit_quota, o.monthly_budget_usd::text AS budget,
    coalesce(u.calls, 0) AS calls, coalesce(u.credits, 0)::text AS credits, coalesce(u.cost_usd, 0)::text AS cost_usd
  FROM organizations o LEFT JOIN usage_counters u ON u.organization_id = o.id AND u.month = ${d(monthStart)}::date
  WHERE o.id = app.current_org()`;
export const mapMonthToDate = (rows: Row[], monthStart: Date): MonthToDate => {
  const r = rows[0];
  return {
    month: d(monthStart).slice(0, 7),
    calls: n(r?.calls),
    credits: n(r?.credits),
    costUsd: n(r?.cost_usd),
    monthlyCreditQuota: nOrNull(r?.monthly_credit_quota),
    monthlyBudgetUsd: nOrNull(r?.budget),
  };
};

export interface EndpointUsageRow {
  provider: string;
  endpoint: string;
  calls: number;
  failures: number;
  retries: number;
  credits: number;
  costUsd: number;
  avgLatencyMs: number;
}

/** Month-to-date usage by provider and endpoint, from the daily summaries. */
export const usageByEndpointSql = (monthStart: Date, to: Date) => sql`
  SELECT provider, endpoint, sum(calls)::int AS calls, sum(failures)::int AS failures, sum(retries)::int AS retries,
    sum(credits)::text AS credits, sum(cost_usd)::text AS cost_usd,
    round(sum(avg_latency_ms::numeric * calls) / nullif(sum(calls), 0))::int AS avg_latency_ms
  FROM daily_usage_summaries
  WHERE organization_id = app.current_org() AND day >= ${d(monthStart)}::date AND day <= ${d(to)}::date
  GROUP BY provider, endpoint`;
export const mapUsage = (rows: Row[]): EndpointUsageRow[] =>
  rows
    .map((r) => ({
      provider: String(r.provider),
      endpoint: String(r.endpoint),
      calls: n(r.calls),
      failures: n(r.failures),
      retries: n(r.retries),
      credits: n(r.credits),
      costUsd: n(r.cost_usd),
      avgLatencyMs: n(r.avg_latency_ms),
    }))
    .sort(
      (a, b) => b.costUsd - a.costUsd || a.provider.localeCompare(b.provider) || a.endpoint.localeCompare(b.endpoint),
    );

export interface RequestHeader {
  id: string;
  brandId: string;
  headline: string | null;
  status: string;
  platforms: string[];
  createdAt: Date;
  publishedAt: Date | null;
}

export const requestHeaderSql = (requestId: string) => sql`
  SELECT id, brand_id, brief->>'headline' AS headline, status::text AS status, platforms, created_at, published_at
  FROM content_requests WHERE id = ${requestId}::uuid`;
export const mapRequestHeader = (rows: Row[]): RequestHeader | undefined => {
  const r = rows[0];
  if (!r) return undefined;
  return {
    id: String(r.id),
    brandId: String(r.brand_id),
    headline: (r.headline as string) ?? null,
    status: String(r.status),
    platforms: (r.platforms as string[]) ?? [],
    createdAt: new Date(r.created_at as string),
    publishedAt: r.published_at ? new Date(r.published_at as string) : null,
  };
};
export const requestHeader = async (tx: Tx, requestId: string) =>
  mapRequestHeader(await run(tx, requestHeaderSql(requestId)));

export interface VariantRow extends Omit<DailyPlatformRow, 'day'> {
  variantId: string;
  preset: string | null;
  width: number | null;
  height: number | null;
  complianceDecision: string | null;
}

/** Per variant sums over the range, with the variant's preset and compliance decision. */
export const requestVariantsSql = (requestId: string, from: Date, to: Date) => sql`
  WITH s AS (
    SELECT variant_id, platform, ${SUMS}
    FROM content_analytics_daily
    WHERE organization_id = app.current_org() AND request_id = ${requestId}::uuid AND day >= ${d(from)}::date AND day <= ${d(to)}::date
    GROUP BY variant_id, platform)
  SELECT s.*, v.platform AS preset, v.width, v.height, v.compliance_decision
  FROM s LEFT JOIN asset_variants v ON v.id = s.variant_id`;
export const mapVariants = (rows: Row[]): VariantRow[] =>
  rows
    .map((r) => ({
      variantId: String(r.variant_id),
      platform: String(r.platform),
      preset: (r.preset as string) ?? null,
      width: nOrNull(r.width),
      height: nOrNull(r.height),
      complianceDecision: (r.compliance_decision as string) ?? null,
      ...sumsOf(r),
    }))
    .sort((a, b) => b.impressions - a.impressions || a.variantId.localeCompare(b.variantId));

/** Per day sums of one request. */
export const requestDailySql = (requestId: string, from: Date, to: Date) => sql`
  SELECT to_char(day, 'YYYY-MM-DD') AS day, platform, ${SUMS}
  FROM content_analytics_daily
  WHERE organization_id = app.current_org() AND request_id = ${requestId}::uuid AND day >= ${d(from)}::date AND day <= ${d(to)}::date
  GROUP BY day, platform`;
export { mapDaily };

/** One request, hour by hour since `since` (all platforms). */
export const requestHourlySql = (requestId: string, since: Date) => sql`
  SELECT to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00:00"Z"') AS hour, sum(impressions)::float8 AS impressions,
    sum(likes + comments + shares + saves)::float8 AS engagements
  FROM content_analytics_hourly
  WHERE organization_id = app.current_org() AND request_id = ${requestId}::uuid AND hour >= ${since.toISOString()}::timestamptz
  GROUP BY hour`;
export const mapHourly = (rows: Row[]) =>
  rows
    .map((r) => ({ hour: String(r.hour), impressions: n(r.impressions), engagements: n(r.engagements) }))
    .sort((a, b) => a.hour.localeCompare(b.hour));

/** When the named job last succeeded (background_jobs is global; only times are read). */
export const lastJobSuccessSql = (jobName: string) => sql`
  SELECT period_key, finished_at FROM background_jobs WHERE job_name = ${jobName} AND status = 'succeeded'
  ORDER BY finished_at DESC LIMIT 1`;
export const mapLastJob = (rows: Row[]): { periodKey: string; finishedAt: string } | null =>
  rows[0]
    ? { periodKey: String(rows[0].period_key), finishedAt: new Date(rows[0].finished_at as string).toISOString() }
    : null;

/** The last successful run of each named job (background_jobs is global: the same for every tenant). */
export const lastJobRunsSql = (jobNames: readonly string[]) => sql`
  SELECT DISTINCT ON (job_name) job_name, period_key, finished_at FROM background_jobs
  WHERE job_name IN (${sql.join(
    jobNames.map((j) => sql`${j}`),
    sql`, `,
  )}) AND status = 'succeeded'
  ORDER BY job_name, finished_at DESC`;
export const mapJobRuns = (rows: Row[]): Map<string, { periodKey: string; finishedAt: string }> =>
  new Map(
    rows.map((r) => [
      String(r.job_name),
      { periodKey: String(r.period_key), finishedAt: new Date(r.finished_at as string).toISOString() },
    ]),
  );

/**
 * Whether the range shows demo data (the local stack's seed, db/demo-analytics.ts): a request whose
 * sourced asset has provider `demo` has metrics in the range, or was checked in it.
 */
export const demoDataSql = (from: Date, to: Date, brandId?: string) => sql`
  SELECT (EXISTS (
      SELECT 1 FROM analytics_request_daily a
      JOIN generated_assets g ON g.request_id = a.request_id AND g.organization_id = app.current_org() AND g.provider = 'demo'
      WHERE a.day >= ${d(from)}::date AND a.day <= ${d(to)}::date${brandFilter(sql`a.brand_id`, brandId)})
    OR EXISTS (
      SELECT 1 FROM generated_assets g
      WHERE g.organization_id = app.current_org() AND g.provider = 'demo' AND g.created_at >= ${d(from)}::date
        AND g.created_at < ${d(to)}::date + 1${brandFilter(sql`g.brand_id`, brandId)})) AS demo`;
export const mapDemoData = (rows: Row[]): boolean => rows[0]?.demo === true;
