/** Request/response schemas of the analytics, usage and dashboard-page routes (pure zod). */
import { z } from 'zod';
import { ingestMetricsRequest, ingestMetricsResponse } from '../../../domain/analytics/metrics.js';
import { callCost, uuid } from './common.js';

export { ingestMetricsRequest, ingestMetricsResponse };

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
  .meta({ format: 'date' });
const rate = z.number().nullable().meta({ description: 'A fraction (0.05 = 5%); null when the denominator is 0' });
/** The days a report covers (UTC, both ends inclusive). */
const dayRange = z.object({ from: day, to: day, days: z.number().int() });

export const dashboardQuery = z.strictObject({
  /** First day (UTC, inclusive); default 29 days before `to`. */
  from: day.optional(),
  /** Last day (UTC, inclusive); default today. */
  to: day.optional(),
  brandId: uuid.optional(),
});
export const contentAnalyticsQuery = z.strictObject({ from: day.optional(), to: day.optional() });

const totals = z.object({
  impressions: z.number(),
  reach: z.number(),
  likes: z.number(),
  comments: z.number(),
  shares: z.number(),
  saves: z.number(),
  clicks: z.number(),
  videoViews: z.number(),
  engagements: z.number().meta({ description: 'likes + comments + shares + saves' }),
  engagementRate: rate.meta({ description: 'engagements / impressions' }),
});
/** The headline figures of a day, a platform or one piece of content. */
const reachFigures = {
  impressions: z.number(),
  reach: z.number(),
  engagements: z.number(),
  clicks: z.number(),
  engagementRate: rate,
};
const trendPoint = z.object({ day, ...reachFigures });
const platformSlice = z.object({ platform: z.string(), ...reachFigures });
/** Compliance verdicts counted over requests. */
const verdictCounts = { requests: z.number(), passed: z.number(), review: z.number(), rejected: z.number() };
/** Paid provider calls and what they cost. */
const spendFigures = { calls: z.number(), ...callCost };
/** Provider calls counted, with what they cost. */
const callCounts = {
  calls: z.number(),
  failures: z.number(),
  retries: z.number(),
  ...callCost,
};
const budget = {
  budgetUsd: z.number().nullable(),
  budgetRemainingUsd: z.number().nullable(),
  budgetUsed: z.number().nullable().meta({ description: 'Fraction of the monthly budget spent' }),
  creditQuota: z.number().nullable(),
  creditsRemaining: z.number().nullable(),
};

export const dashboardResponse = z
  .object({
    range: dayRange,
    brandId: z.string().nullable(),
    dataAsOf: z.string().nullable().meta({ description: 'When the content rollup last completed' }),
    rollups: z
      .array(
        z.object({
          job: z.enum(['rollup-content-hourly', 'rollup-brand-compliance', 'rollup-usage']),
          lastRunAt: z.string().nullable(),
          periodKey: z.string().nullable(),
        }),
      )
      .meta({ description: 'Last successful run of each rollup behind the numbers (jobs run for every tenant)' }),
    demo: z.boolean().meta({ description: 'The range includes demo data (local stack seed)' }),
    totals,
    trend: z.array(trendPoint),
    byPlatform: z.array(platformSlice),
    topContent: z.array(
      z.object({
        requestId: z.string(),
        brandId: z.string(),
        brandName: z.string().nullable(),
        headline: z.string().nullable(),
        status: z.string().nullable(),
        ...reachFigures,
      }),
    ),
    compliance: z.object({
      totals: z.object({ ...verdictCounts, passRate: rate, avgScore: z.number().nullable() }),
      trend: z.array(z.object({ day, ...verdictCounts, avgScore: z.number().nullable(), passRate: rate })),
      topFindings: z.array(z.object({ check: z.string(), count: z.number() })),
    }),
    spend: z
      .object({
        month: z.string(),
        monthToDate: z.object(spendFigures),
        trend: z.array(z.object({ day, ...spendFigures })),
        rangeCostUsd: z.number(),
        ...budget,
      })
      .nullable()
      .meta({ description: 'Spend vs budget; null for roles without usage:read' }),
  })
  .meta({ id: 'AnalyticsDashboard' });

export const contentAnalyticsResponse = z
  .object({
    request: z.object({
      id: z.string(),
      brandId: z.string(),
      headline: z.string().nullable(),
      status: z.string(),
      platforms: z.array(z.string()),
      createdAt: z.string(),
      publishedAt: z.string().nullable(),
    }),
    range: dayRange,
    totals,
    trend: z.array(trendPoint),
    byPlatform: z.array(platformSlice),
    variants: z.array(
      z.object({
        variantId: z.string(),
        platform: z.string(),
        preset: z.string().nullable(),
        width: z.number().nullable(),
        height: z.number().nullable(),
        complianceDecision: z.string().nullable(),
        ...totals.shape,
      }),
    ),
    last48h: z.array(z.object({ hour: z.string(), impressions: z.number(), engagements: z.number() })),
  })
  .meta({ id: 'ContentAnalytics' });

export const usageResponse = z
  .object({
    month: z.string(),
    summarizedAt: z
      .string()
      .nullable()
      .meta({ description: 'When the usage rollup last completed (byEndpoint covers calls up to then)' }),
    totals: z.object(callCounts),
    byEndpoint: z.array(
      z.object({ provider: z.string(), endpoint: z.string(), ...callCounts, avgLatencyMs: z.number() }),
    ),
    quota: z.object({ ...spendFigures, ...budget }),
  })
  .meta({ id: 'UsageReport' });

export const dashboardPageQuery = z.strictObject({
  org: uuid.optional(),
  from: day.optional(),
  to: day.optional(),
  brandId: uuid.optional(),
});
export const devSignInRequest = z.strictObject({ email: z.string().email().max(254) });
