/**
 * The view refresh and the nightly vacuum are separate schedules and may overlap. Both grant the app
 * role MAINTAIN on the dashboard views before vacuuming them; concurrent grants and vacuums of one
 * relation used to fail one of the jobs with "tuple concurrently updated".
 */
import postgres from 'postgres';
import { expect, test } from 'vitest';
import { createMaintenanceSql } from '../../../functions/adapters/analytics/maintenance-sql.js';
import { createTestDatabase } from '../../support/db.js';
import { startForAll } from '../../support/lifecycle.js';

const db = startForAll(createTestDatabase, (t) => t.drop());

test('overlapping refresh and vacuum jobs both succeed, run after run', async () => {
  const refreshConn = postgres(db().appUrl, { max: 1, onnotice: () => {} });
  const vacuumConn = postgres(db().appUrl, { max: 1, onnotice: () => {} });
  const refreshJob = createMaintenanceSql(refreshConn);
  const vacuumJob = createMaintenanceSql(vacuumConn);
  const views = ['analytics_brand_daily_mv', 'analytics_request_daily_mv'];
  const failures: string[] = [];
  try {
    for (let run = 0; run < 20; run++) {
      const outcomes = await Promise.allSettled([refreshJob.refreshViews(), vacuumJob.vacuumAnalyze(views, views)]);
      for (const o of outcomes) if (o.status === 'rejected') failures.push(`run ${run}: ${String(o.reason)}`);
    }
  } finally {
    await Promise.all([refreshConn.end(), vacuumConn.end()]);
  }
  expect(failures).toEqual([]);
  const [grants] = await db().owner<{ brand: boolean; request: boolean }[]>`
    SELECT has_table_privilege('svp_app', 'analytics_brand_daily_mv', 'MAINTAIN') AS brand,
           has_table_privilege('svp_app', 'analytics_request_daily_mv', 'MAINTAIN') AS request`;
  expect(grants).toEqual({ brand: true, request: true });
}, 120_000);
