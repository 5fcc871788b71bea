/**
 * The scheduled jobs' names, descriptions and periods: pure, so the CDK app can import the
 * schedule table (functions/handlers/scheduled/schedules.ts) without loading database code.
 * Implementations live in functions/app/analytics/jobs.ts.
 */
import { currentDay, currentHour, previousDay, previousHour, type Period } from './periods.js';

export const jobCatalog = {
  'collect-metrics': {
    description:
      'Read post insights from connected platforms (Instagram/Facebook via the Graph API) into content_analytics',
    defaultPeriod: currentHour,
  },
  'rollup-content-hourly': {
    description:
      'content_analytics -> content_analytics_hourly/daily for the hours that received samples, then refresh the dashboard view',
    defaultPeriod: previousHour,
  },
  'rollup-content-daily': {
    description:
      'Reconcile: recompute the previous UTC day of content_analytics_hourly/daily whole from the raw samples',
    defaultPeriod: previousDay,
  },
  'rollup-usage': {
    description:
      'api_usage -> daily_usage_summaries (calls, failures, retries, credits, cost per tenant/day/provider/endpoint) for the day so far and the day before',
    defaultPeriod: previousHour,
  },
  'rollup-brand-compliance': {
    description:
      'generated_assets/asset_variants -> brand_compliance_analytics (pass/review/reject, mean score, top findings per brand/day)',
    defaultPeriod: previousHour,
  },
  'refresh-materialized-views': {
    description:
      'REFRESH MATERIALIZED VIEW CONCURRENTLY of the dashboard views (analytics_brand_daily_mv, analytics_request_daily_mv)',
    defaultPeriod: previousHour,
  },
  'maintain-partitions': {
    description:
      'Create upcoming monthly partitions, move strays out of the default partition, drop partitions past retention (app.maintain_partitions)',
    defaultPeriod: currentDay,
  },
  'vacuum-analyze': {
    description: 'VACUUM (ANALYZE) the rollup tables and the hot partitions (keeps index-only scans and plans good)',
    defaultPeriod: currentDay,
  },
} as const satisfies Record<string, { description: string; defaultPeriod: (now: Date) => Period }>;

export type JobName = keyof typeof jobCatalog;
export const jobNames = Object.keys(jobCatalog) as JobName[];
export const isJobName = (s: string): s is JobName => Object.hasOwn(jobCatalog, s);
