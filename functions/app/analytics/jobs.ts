/**
 * The scheduled jobs: what each one does for a period. Schedules (when they fire, which Lambda)
 * live in functions/handlers/scheduled/schedules.ts; the runner (run-job.ts) claims the
 * (job, period) row in background_jobs before calling `run`, so `run` only has to be idempotent
 * for its period, which every one is: rollups recompute whole periods with upserts, refresh and
 * partition maintenance converge, VACUUM is harmless to repeat.
 */
import type { DbHandle } from '../../adapters/db/client.js';
import { createMaintenanceSql } from '../../adapters/analytics/maintenance-sql.js';
import type { MetricsConnector } from '../../domain/analytics/connector.js';
import { jobCatalog, type JobName } from '../../domain/analytics/job-catalog.js';
import { addDays, monthKey, startOfDay, type Period } from '../../domain/analytics/periods.js';
import { collectMetrics, type CollectorDeps } from './collect-metrics.js';

export interface JobContext {
  period: Period;
  now: Date;
  db: DbHandle;
  log: (msg: string, data?: Record<string, unknown>) => void;
  /** Only the collector needs these. */
  collector?: Pick<CollectorDeps, 'connectors' | 'cipher'> & { connectors: MetricsConnector[] };
}

export interface JobDefinition {
  name: JobName;
  description: string;
  /** The period a delivery at `now` is for (the unique key in background_jobs). */
  defaultPeriod(now: Date): Period;
  run(ctx: JobContext): Promise<Record<string, unknown>>;
}

type JobImpl = { name: JobName; run: JobDefinition['run'] };

/** Whole UTC days covering a period, widened by `daysBefore` (late data of the previous day). */
function daySpan(p: Period, daysBefore: number): { from: Date; to: Date } {
  const from = addDays(startOfDay(p.start), -daysBefore);
  const to = addDays(startOfDay(new Date(p.end.getTime() - 1)), 1);
  return { from, to };
}

/** Relations VACUUM (ANALYZE) visits: rollups, ledgers and the hot (current/previous month) partitions. */
export function hotRelations(now: Date): { tables: string[]; relations: string[] } {
  const months = [monthKey(now), monthKey(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)))].map(
    (m) => m.replace('-', '_'),
  );
  const partitioned = ['content_analytics', 'api_usage'];
  const plain = [
    'content_analytics_hourly',
    'content_analytics_daily',
    'daily_usage_summaries',
    'brand_compliance_analytics',
    'usage_counters',
    'background_jobs',
    'rate_limit_buckets',
    'analytics_brand_daily_mv',
    'analytics_request_daily_mv',
  ];
  return {
    tables: [...partitioned, ...plain],
    relations: [...plain, ...partitioned.flatMap((t) => [...months.map((m) => `${t}_${m}`), `${t}_default`])],
  };
}

const impls: JobImpl[] = [
  {
    name: 'rollup-content-hourly',
    async run({ period, db }) {
      const m = createMaintenanceSql(db.sql);
      const rollup =
        period.grain === 'hour'
          ? await m.rollupContent(period.end, [period.start])
          : await m.rollupContentRange(period.start, period.end);
      // The dashboard reads the view: refresh it when numbers moved, so a rollup is visible at once.
      const changed = Number(rollup.hourlyRows ?? 0) + Number(rollup.dailyRows ?? 0) > 0;
      const refresh = changed ? await m.refreshViews() : { skipped: 'no rollup rows changed' };
      return { rollup, refresh };
    },
  },
  {
    name: 'rollup-content-daily',
    async run({ period, db }) {
      const m = createMaintenanceSql(db.sql);
      const rollup = await m.rollupContentRange(startOfDay(period.start), daySpan(period, 0).to);
      const refresh = await m.refreshViews();
      return { rollup, refresh };
    },
  },
  {
    name: 'rollup-usage',
    async run({ period, db }) {
      const span = daySpan(period, period.grain === 'hour' ? 1 : 0);
      return { usage: await createMaintenanceSql(db.sql).rollupUsage(span.from, span.to) };
    },
  },
  {
    name: 'rollup-brand-compliance',
    async run({ period, db }) {
      const span = daySpan(period, period.grain === 'hour' ? 1 : 0);
      return { compliance: await createMaintenanceSql(db.sql).rollupCompliance(span.from, span.to) };
    },
  },
  {
    name: 'refresh-materialized-views',
    async run({ db }) {
      return { refresh: await createMaintenanceSql(db.sql).refreshViews() };
    },
  },
  {
    name: 'maintain-partitions',
    async run({ db }) {
      return { partitions: await createMaintenanceSql(db.sql).maintainPartitions() };
    },
  },
  {
    name: 'vacuum-analyze',
    async run({ period, db }) {
      const { tables, relations } = hotRelations(period.start);
      return { vacuum: await createMaintenanceSql(db.sql).vacuumAnalyze(tables, relations) };
    },
  },
  {
    name: 'collect-metrics',
    async run({ db, now, collector, log }) {
      if (!collector) throw new Error('collect-metrics needs connectors and a field cipher');
      const summary = await collectMetrics({
        db,
        connectors: collector.connectors,
        cipher: collector.cipher,
        now,
        log,
      });
      return { ...summary };
    },
  },
];

export const jobs: JobDefinition[] = impls.map((i) => ({ ...i, ...jobCatalog[i.name] }));
export const jobNames = jobs.map((j) => j.name);
export const jobByName = (name: string): JobDefinition | undefined => jobs.find((j) => j.name === name);
