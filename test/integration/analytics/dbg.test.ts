import { test } from 'vitest';
import { runJob } from '../../../functions/app/analytics/run-job.js';
import { createTestDatabase } from '../../support/db.js';
test('dbg', async () => {
  const t = await createTestDatabase();
  for (const j of ['rollup-content-hourly', 'rollup-usage', 'refresh-materialized-views', 'maintain-partitions', 'vacuum-analyze', 'rollup-brand-compliance']) {
    const r = await runJob(j, {}, { db: t.app });
    console.log(j, r.status, r.error, JSON.stringify(r.result)?.slice(0, 300));
  }
  await t.drop();
});
