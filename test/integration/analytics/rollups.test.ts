import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { withTenant } from '../../../functions/adapters/db/client.js';
import { ingestMetrics } from '../../../functions/app/analytics/ingest-metrics.js';
import { runJob } from '../../../functions/app/analytics/run-job.js';
import { addDays, dayKey, hourKey, startOfDay, startOfHour } from '../../../functions/domain/analytics/periods.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { seedContent, seedOrg, seedUsage, usageRowsFor, type SeededOrg } from './fixtures.js';

let t: TestDatabase;
let a: SeededOrg;
let b: SeededOrg;
const now = new Date();
const yesterday = addDays(startOfDay(now), -1);
const at = (h: number, m = 0) => new Date(yesterday.getTime() + h * 3_600_000 + m * 60_000).toISOString();

beforeAll(async () => {
  t = await createTestDatabase();
  a = await seedOrg(t.owner, { name: 'Alpha' });
  b = await seedOrg(t.owner, { name: 'Beta' });
  await seedContent(t.owner, a, {
    headline: 'Alpha launch',
    decision: 'pass',
    score: 92,
    findings: [{ check: 'logo_clearspace' }],
  });
  await seedContent(t.owner, a, {
    headline: 'Alpha teaser',
    decision: 'review',
    score: 71,
    findings: [{ check: 'logo_clearspace' }, { check: 'text_contrast' }],
  });
  await seedContent(t.owner, b, {
    headline: 'Beta only',
    decision: 'reject',
    score: 40,
    findings: [{ check: 'text_contrast' }],
  });
});
afterAll(async () => {
  await t?.drop();
});

const ingest = (org: SeededOrg, points: Parameters<typeof ingestMetrics>[2]['points']) =>
  withTenant(t.app.db, { orgId: org.orgId }, (tx) => ingestMetrics(tx, org.orgId, { points }, now));
const job = (name: string, opts: Parameters<typeof runJob>[1] = {}) => runJob(name, { now, ...opts }, { db: t.app });

describe('content rollups', () => {
  test('ingested samples roll up into hourly and daily rows and the dashboard view; re-running changes nothing', async () => {
    const [v1, v2] = a.content[0].variants;
    const r = await ingest(a, [
      { variantId: v1.id, platform: 'instagram', metric: 'impressions', value: 1000, recordedAt: at(9) },
      { variantId: v1.id, platform: 'instagram', metric: 'impressions', value: 500, recordedAt: at(9, 30) },
      { variantId: v1.id, platform: 'instagram', metric: 'likes', value: 40, recordedAt: at(9, 30) },
      { variantId: v2.id, platform: 'facebook', metric: 'impressions', value: 300, recordedAt: at(15) },
      { variantId: v2.id, platform: 'facebook', metric: 'clicks', value: 7, recordedAt: at(15) },
    ]);
    expect(r).toEqual({ received: 5, accepted: 5, updated: 0, duplicates: 0 });
    await ingest(b, [
      {
        variantId: b.content[0].variants[0].id,
        platform: 'instagram',
        metric: 'impressions',
        value: 99,
        recordedAt: at(9),
      },
    ]);

    const first = await job('rollup-content-hourly');
    expect(first.status).toBe('succeeded');
    expect(first.result?.rollup).toMatchObject({ dirtyHoursClaimed: 2 });

    const hourly =
      await t.owner`select variant_id, hour, impressions::int, likes::int from content_analytics_hourly where organization_id = ${a.orgId} order by hour`;
    expect(hourly.map((h) => [h.variant_id, new Date(h.hour).toISOString(), h.impressions, h.likes])).toEqual([
      [v1.id, at(9), 1500, 40],
      [v2.id, at(15), 300, 0],
    ]);
    const daily =
      await t.owner`select sum(impressions)::int as imp, sum(clicks)::int as clicks from content_analytics_daily where organization_id = ${a.orgId}
        and day = ${dayKey(yesterday)}`;
    expect(daily[0]).toEqual({ imp: 1800, clicks: 7 });

    // The tenant view over the materialized view shows A's numbers to A only.
    const viewA = await withTenant(t.app.db, { orgId: a.orgId }, (tx) =>
      tx.execute<{ imp: number }>(sql`select sum(impressions)::int as imp from analytics_brand_daily`),
    );
    expect(viewA[0].imp).toBe(1800);
    const viewB = await withTenant(t.app.db, { orgId: b.orgId }, (tx) =>
      tx.execute<{ imp: number }>(sql`select sum(impressions)::int as imp from analytics_brand_daily`),
    );
    expect(viewB[0].imp).toBe(99);

    const rowsBefore =
      await t.owner`select variant_id, platform, day, impressions, updated_at from content_analytics_daily order by variant_id, platform, day`;
    const jobsBefore =
      await t.owner`select id, status, attempts from background_jobs where job_name = 'rollup-content-hourly'`;

    // A duplicate delivery of the same firing does nothing at all.
    const dup = await job('rollup-content-hourly');
    expect(dup).toMatchObject({ status: 'skipped', reason: 'already_succeeded', jobId: first.jobId, attempts: 1 });
    // Even a forced re-run of the period leaves the rollup rows untouched (same numbers, same updated_at).
    const forced = await job('rollup-content-hourly', { force: true });
    expect(forced).toMatchObject({ status: 'succeeded', jobId: first.jobId, attempts: 2 });
    const rowsAfter =
      await t.owner`select variant_id, platform, day, impressions, updated_at from content_analytics_daily order by variant_id, platform, day`;
    expect(rowsAfter).toEqual(rowsBefore);
    const jobsAfter =
      await t.owner`select id, status, attempts from background_jobs where job_name = 'rollup-content-hourly'`;
    expect(jobsAfter).toEqual([{ ...jobsBefore[0], attempts: 2 }]);
  });

  test('a corrected sample replaces the old value and the next rollup recomputes the hour', async () => {
    const v1 = a.content[0].variants[0];
    const r = await ingest(a, [
      { variantId: v1.id, platform: 'instagram', metric: 'likes', value: 40, recordedAt: at(9, 30) }, // same: duplicate
      { variantId: v1.id, platform: 'instagram', metric: 'likes', value: 55, recordedAt: at(9, 30) }, // in-batch repeat, last wins
    ]);
    expect(r).toEqual({ received: 2, accepted: 0, updated: 1, duplicates: 1 });
    await job('rollup-content-hourly', { period: hourKey(startOfHour(now)) });
    const [h] =
      await t.owner`select likes::int from content_analytics_hourly where variant_id = ${v1.id} and hour = ${at(9)}`;
    expect(h.likes).toBe(55);
  });

  test('the daily reconcile recomputes a whole day from the raw samples', async () => {
    // Samples written behind the ingestion path's back (no dirty mark) are still picked up.
    const v2 = a.content[0].variants[1];
    await t.owner`insert into content_analytics (organization_id, brand_id, request_id, variant_id, platform, metric, value, recorded_at)
      values (${a.orgId}, ${a.brandId}, ${a.content[0].requestId}, ${v2.id}, 'facebook', 'shares', 3, ${at(20)})`;
    const r = await job('rollup-content-daily');
    expect(r.periodKey).toBe(dayKey(yesterday));
    expect(r.status).toBe('succeeded');
    const [d] =
      await t.owner`select shares::int from content_analytics_daily where variant_id = ${v2.id} and day = ${dayKey(yesterday)}`;
    expect(d.shares).toBe(3);
  });
});

describe('usage rollup', () => {
  test('daily_usage_summaries equal api_usage exactly (calls, failures, retries, credits, cost)', async () => {
    await seedUsage(t.owner, a.orgId, usageRowsFor(yesterday, 60, 7));
    await seedUsage(
      t.owner,
      a.orgId,
      usageRowsFor(startOfDay(now), 25, 11).map((r) => ({
        ...r,
        createdAt: new Date(Math.min(r.createdAt.getTime(), now.getTime() - 1000)),
      })),
    );
    await seedUsage(t.owner, b.orgId, usageRowsFor(yesterday, 30, 3));
    const r = await job('rollup-usage');
    expect(r.status).toBe('succeeded');
    const raw = await t.owner`
      select organization_id, (created_at at time zone 'UTC')::date::text as day, provider, endpoint, count(*)::int as calls,
        (count(*) filter (where outcome <> 'success'))::int as failures, (count(*) filter (where retry_number > 0))::int as retries,
        sum(credits)::text as credits, sum(cost_usd)::text as cost
      from api_usage group by 1, 2, 3, 4 order by 1, 2, 3, 4`;
    const sums = await t.owner`
      select organization_id, day::text as day, provider, endpoint, calls, failures, retries, credits::numeric(14,4)::text as credits,
        cost_usd::numeric(14,6)::text as cost
      from daily_usage_summaries order by 1, 2, 3, 4`;
    const norm = (rows: typeof raw) =>
      rows.map((x) => ({ ...x, credits: Number(x.credits).toFixed(4), cost: Number(x.cost).toFixed(6) }));
    expect(sums.length).toBeGreaterThan(3);
    expect(norm(sums)).toEqual(norm(raw));
  });

  test('a failed run is recorded and the next delivery of the period retries it on the same row', async () => {
    const period = dayKey(addDays(yesterday, -3));
    await t.owner`revoke execute on function app.rollup_daily_usage(date, date) from svp_app`;
    const failed = await job('rollup-usage', { period });
    expect(failed.status).toBe('failed');
    const [row] =
      await t.owner`select status, attempts, error from background_jobs where job_name = 'rollup-usage' and period_key = ${period}`;
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row.error).toMatch(/permission denied/);
    await t.owner`grant execute on function app.rollup_daily_usage(date, date) to svp_app`;
    const retried = await job('rollup-usage', { period });
    expect(retried).toMatchObject({
      status: 'succeeded',
      reason: 'retry_after_failure',
      attempts: 2,
      jobId: failed.jobId,
    });
  });
});

describe('brand compliance rollup', () => {
  test('pass/review/reject counts, mean score and top findings per brand and day', async () => {
    const r = await job('rollup-brand-compliance');
    expect(r.status).toBe('succeeded');
    const [row] =
      await t.owner`select requests, passed, review, rejected, avg_score::float8 as avg, top_findings from brand_compliance_analytics
        where organization_id = ${a.orgId}`;
    expect(row).toMatchObject({ requests: 2, passed: 1, review: 1, rejected: 0, avg: 81.5 });
    expect(row.top_findings).toEqual([
      { check: 'logo_clearspace', count: 2 },
      { check: 'text_contrast', count: 1 },
    ]);
    // RLS: the app role as tenant B sees only B's row.
    const seen = await withTenant(t.app.db, { orgId: b.orgId }, async (tx) =>
      tx.execute<{ organization_id: string }>(sql`select organization_id from brand_compliance_analytics`),
    );
    expect(seen.map((x) => x.organization_id)).toEqual([b.orgId]);
  });
});

describe('maintenance jobs', () => {
  test('retention drops partitions past retention and keeps the current ones', async () => {
    await t.owner`create table content_analytics_2019_01 partition of content_analytics for values from ('2019-01-01') to ('2019-02-01')`;
    await t.owner`insert into content_analytics (organization_id, brand_id, request_id, variant_id, platform, metric, value, recorded_at)
      values (${a.orgId}, ${a.brandId}, ${a.content[0].requestId}, ${a.content[0].variants[0].id}, 'instagram', 'likes', 1, '2019-01-15T00:00:00Z')`;
    const r = await job('maintain-partitions');
    expect(r.status).toBe('succeeded');
    const dropped = (r.result?.partitions as { dropped: string[] }).dropped;
    expect(dropped).toContain('content_analytics_2019_01');
    const cur = `content_analytics_${dayKey(now).slice(0, 7).replace('-', '_')}`;
    const rels = await t.owner`select relname from pg_class where relname in (${cur}, 'content_analytics_2019_01')`;
    expect(rels.map((x) => x.relname)).toEqual([cur]);
    // The rollups keep their history: nothing of yesterday's numbers went away.
    const [d] =
      await t.owner`select count(*)::int as n from content_analytics_daily where organization_id = ${a.orgId}`;
    expect(d.n).toBeGreaterThan(0);
  });

  test('VACUUM (ANALYZE) runs as the app role on the rollups and the hot partitions', async () => {
    const r = await job('vacuum-analyze');
    expect(r.status).toBe('succeeded');
    const v = r.result?.vacuum as { vacuumed: string[]; skipped: string[] };
    expect(v.skipped).toEqual([]);
    expect(v.vacuumed).toEqual(
      expect.arrayContaining([
        'content_analytics_daily',
        `content_analytics_${dayKey(now).slice(0, 7).replace('-', '_')}`,
        'analytics_brand_daily_mv',
      ]),
    );
  });

  test('the materialized view refresh job refreshes concurrently, then vacuums both views (index-only dashboard reads)', async () => {
    const before = new Date();
    const r = await job('refresh-materialized-views');
    expect(r.status).toBe('succeeded');
    expect(r.result).toMatchObject({
      refresh: {
        views: [
          { name: 'analytics_brand_daily_mv', concurrently: true },
          { name: 'analytics_request_daily_mv', concurrently: true },
        ],
      },
    });
    const vacuumed = await t.owner<{ relname: string }[]>`SELECT relname FROM pg_stat_all_tables
      WHERE relname IN ('analytics_brand_daily_mv', 'analytics_request_daily_mv') AND last_vacuum >= ${before.toISOString()}::timestamptz ORDER BY relname`;
    expect(vacuumed.map((v) => v.relname)).toEqual(['analytics_brand_daily_mv', 'analytics_request_daily_mv']);
  });
});

describe('cross-tenant functions when the definer is not a superuser (as in RDS/Aurora)', () => {
  test('RLS confines a non-superuser definer until the analytics_maintenance policy (and app.maintenance) let it through', async () => {
    // Here the migration role is a superuser, which RLS never applies to. Re-own the usage rollup
    // by a plain role and give that role the same policy the migration gives the owner role.
    await t.owner.unsafe(`
      DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svp_definer_sim')
        THEN CREATE ROLE svp_definer_sim NOLOGIN NOSUPERUSER NOBYPASSRLS; END IF; END $$;
      GRANT USAGE ON SCHEMA app TO svp_definer_sim;
      GRANT SELECT, INSERT, UPDATE, DELETE ON api_usage, daily_usage_summaries TO svp_definer_sim;
      ALTER FUNCTION app.rollup_daily_usage(date, date) OWNER TO svp_definer_sim;
      DELETE FROM daily_usage_summaries;`);
    const period = dayKey(yesterday);
    const blocked = await job('rollup-usage', { period, force: true });
    expect(blocked.status).toBe('succeeded');
    expect(blocked.result?.usage).toMatchObject({ groups: 0 }); // sees no tenant's rows at all
    for (const tbl of ['api_usage', 'daily_usage_summaries']) {
      await t.owner.unsafe(`CREATE POLICY analytics_maintenance_sim ON ${tbl} AS PERMISSIVE FOR ALL TO svp_definer_sim
        USING (current_setting('app.maintenance', true) = 'on') WITH CHECK (current_setting('app.maintenance', true) = 'on')`);
    }
    const open = await job('rollup-usage', { period, force: true });
    expect(open.status).toBe('succeeded');
    const orgs = await t.owner`select distinct organization_id from daily_usage_summaries order by 1`;
    expect(orgs.map((o) => o.organization_id).sort()).toEqual([a.orgId, b.orgId].sort());
    // The app role setting app.maintenance itself gains nothing: the policy is not for it.
    const seen = await withTenant(t.app.db, { orgId: a.orgId }, async (tx) => {
      await tx.execute(sql`select set_config('app.maintenance', 'on', true)`);
      return tx.execute<{ organization_id: string }>(sql`select distinct organization_id from daily_usage_summaries`);
    });
    expect(seen.map((x) => x.organization_id)).toEqual([a.orgId]);
  });
});

describe('the scheduled Lambda handlers', () => {
  test("EventBridge Scheduler input -> the job for that firing's period; a duplicate delivery is skipped", async () => {
    const { provide, resetComposition } = await import('../../../functions/handlers/composition/root.js');
    const { invokeSchedule } = await import('../../../local/schedules/invoke-schedule.js');
    const { schedules } = await import('../../../functions/handlers/scheduled/schedules.js');
    resetComposition();
    provide('dbHandle', t.app);
    try {
      const s = schedules.find((x) => x.name === 'refresh-materialized-views')!;
      const firedAt = new Date('2025-06-01T14:20:00Z');
      const first = await invokeSchedule(s, firedAt);
      expect(first).toMatchObject({ status: 'succeeded', periodKey: '2025-06-01T13' });
      const again = await invokeSchedule(s, firedAt);
      expect(again).toMatchObject({ status: 'skipped', jobId: first.jobId });
      const { handler } = await import('../../../functions/handlers/scheduled/rollup-usage.js');
      await expect(handler({ job: 'vacuum-analyze', scheduledTime: firedAt.toISOString() })).rejects.toThrow(
        /runs rollup-usage/,
      );
    } finally {
      resetComposition();
    }
  });
});
