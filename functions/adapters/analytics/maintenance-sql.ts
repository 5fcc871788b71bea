/**
 * The scheduled jobs' SQL. Everything that crosses tenants goes through the SECURITY DEFINER
 * functions of migration 0007 (app.rollup_*, app.refresh_analytics_views, app.grant_maintenance)
 * or 0003 (app.maintain_partitions), so the jobs connect as the app role like every other Lambda.
 */
import type postgres from 'postgres';

type Json = Record<string, unknown>;

const tsArray = (ds: Date[]) => `{${ds.map((d) => `"${d.toISOString()}"`).join(',')}}`;
const day = (d: Date) => d.toISOString().slice(0, 10);

export interface MaintenanceSql {
  /** Claims dirty hours before `until`, adds `hours`, recomputes hourly + daily rollups. */
  rollupContent(until: Date, hours: Date[]): Promise<Json>;
  /** Recomputes the hourly + daily rollups of [from, to) whole (backfill, daily reconcile, bench). */
  rollupContentRange(from: Date, to: Date): Promise<Json>;
  rollupUsage(fromDay: Date, toDayExclusive: Date): Promise<Json>;
  rollupCompliance(fromDay: Date, toDayExclusive: Date): Promise<Json>;
  refreshViews(): Promise<Json>;
  maintainPartitions(opts?: { monthsAhead?: number; retentionMonths?: number }): Promise<Json>;
  /** VACUUM (ANALYZE) of the named relations (partitions by name); returns what PostgreSQL reports as vacuumed. */
  vacuumAnalyze(tables: string[], relations: string[]): Promise<Json>;
}

export function createMaintenanceSql(sql: postgres.Sql): MaintenanceSql {
  const one = async (q: Promise<{ r: Json }[]>) => (await q)[0].r;
  // GRANT updates the relation's catalog row; a VACUUM of the same relation by an overlapping job
  // (the view refresh and the nightly vacuum both maintain the dashboard views) makes it fail with
  // "tuple concurrently updated". The grant is idempotent and, since migration 0015, skipped where
  // it is already held: try again shortly, a few times.
  async function grantMaintenance(tables: string[]): Promise<Json> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await one(sql`SELECT app.grant_maintenance(${`{${tables.join(',')}}`}::text[]) AS r`);
      } catch (e) {
        if (attempt >= GRANT_ATTEMPTS || !isConcurrentCatalogUpdate(e)) throw e;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  }
  return {
    rollupContent: (until, hours) =>
      one(
        sql`SELECT app.rollup_content_analytics(${until.toISOString()}::timestamptz, ${tsArray(hours)}::timestamptz[]) AS r`,
      ),
    rollupContentRange: (from, to) =>
      one(
        sql`SELECT app.rollup_content_ranges(ARRAY[${from.toISOString()}::timestamptz], ARRAY[${to.toISOString()}::timestamptz]) AS r`,
      ),
    rollupUsage: (from, to) => one(sql`SELECT app.rollup_daily_usage(${day(from)}::date, ${day(to)}::date) AS r`),
    rollupCompliance: (from, to) =>
      one(sql`SELECT app.rollup_brand_compliance(${day(from)}::date, ${day(to)}::date) AS r`),
    async refreshViews() {
      const refreshed = await one(sql`SELECT app.refresh_analytics_views() AS r`);
      // A concurrent refresh rewrites the changed rows, which clears their pages' all-visible bits;
      // the dashboard's covering indexes (migration 0012) only avoid the heap while those bits are
      // set. Vacuuming the two small views right away keeps index-only reads fast all day instead
      // of until the nightly vacuum. Without the privilege (PostgreSQL < 17) VACUUM only warns.
      await grantMaintenance(DASHBOARD_VIEWS);
      for (const v of DASHBOARD_VIEWS) await sql.unsafe(`VACUUM (ANALYZE) public.${quoteIdent(v)}`);
      return refreshed;
    },
    maintainPartitions: (opts = {}) =>
      one(
        sql`SELECT app.maintain_partitions(${opts.monthsAhead ?? 3}::int, ${opts.retentionMonths ?? null}::int) AS r`,
      ),
    async vacuumAnalyze(tables, relations) {
      const grant = await grantMaintenance(tables);
      const existing = await sql<{ rel: string }[]>`
        SELECT c.relname AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm') AND c.relname = ANY(${`{${relations.join(',')}}`}::text[])`;
      const names = existing.map((r) => r.rel).sort();
      const startedAt = new Date();
      // VACUUM refuses to run inside a transaction block: one statement per relation, autocommit.
      for (const n of names) await sql.unsafe(`VACUUM (ANALYZE) public.${quoteIdent(n)}`);
      // A relation we may not maintain is skipped with a WARNING, not an error: read the outcome.
      const done = await sql<{ rel: string }[]>`
        SELECT relname AS rel FROM pg_stat_all_tables
        WHERE schemaname = 'public' AND relname = ANY(${`{${names.join(',')}}`}::text[])
          AND greatest(last_vacuum, last_autovacuum) >= ${startedAt.toISOString()}::timestamptz - interval '1 second'`;
      const vacuumed = done.map((r) => r.rel).sort();
      return { maintainGrant: grant, requested: names, vacuumed, skipped: names.filter((n) => !vacuumed.includes(n)) };
    },
  };
}

const DASHBOARD_VIEWS = ['analytics_brand_daily_mv', 'analytics_request_daily_mv'];
const GRANT_ATTEMPTS = 5;

const isConcurrentCatalogUpdate = (e: unknown) => e instanceof Error && /tuple concurrently updated/.test(e.message);

function quoteIdent(s: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(s)) throw new Error(`refusing to vacuum odd relation name ${JSON.stringify(s)}`);
  return `"${s}"`;
}
