/**
 * The post-migration integrity check passes on a healthy database and names each kind of damage
 * (in a scratch database cloned for this file, so nothing else is affected).
 */
import { expect, test } from 'vitest';
import { checkIntegrity } from '../../../db/integrity.js';
import { runMigrations } from '../../../db/migrate.js';
import { createTestDatabase } from '../../support/db.js';
import { startForAll } from '../../support/lifecycle.js';

const t = startForAll(createTestDatabase, (db) => db.drop());

const nextMonth = () => {
  const n = new Date();
  const d = new Date(Date.UTC(n.getUTCFullYear(), n.getUTCMonth() + 1, 1));
  return `${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};

test('a freshly migrated database has no problems', async () => {
  expect(await checkIntegrity(t().owner)).toEqual([]);
});

test('each kind of damage is reported by name', async () => {
  await t().owner`ALTER TABLE brand_assets NO FORCE ROW LEVEL SECURITY`;
  await t().owner`ALTER TABLE content_analytics_default DISABLE ROW LEVEL SECURITY`;
  await t().owner`DROP POLICY tenant_isolation ON outbox`;
  await t().owner`CREATE POLICY leak ON webhook_endpoints USING (true)`;
  await t().owner`CREATE TABLE stray_tenant_table (id int PRIMARY KEY, organization_id uuid NOT NULL)`;
  await t().owner`ALTER TABLE user_activity_logs DETACH PARTITION user_activity_logs_default`;
  await t().owner.unsafe(`DROP TABLE api_usage_${nextMonth()}`);
  await t().owner`CREATE TABLE app_owned (id int)`;
  await t().owner`ALTER TABLE app_owned OWNER TO svp_app`;
  await t().owner`DROP EXTENSION btree_gin`;

  const problems = await checkIntegrity(t().owner);
  expect(problems).toEqual(
    expect.arrayContaining([
      'brand_assets: row level security is not forced',
      'content_analytics_default: row level security is not enabled',
      'outbox: no tenant policy keyed on app.current_org()',
      'webhook_endpoints: policy leak is unconditionally true',
      'stray_tenant_table: row level security is not enabled',
      'stray_tenant_table: row level security is not forced',
      'stray_tenant_table: no tenant policy keyed on app.current_org()',
      'user_activity_logs: no DEFAULT partition',
      'api_usage: no partition for next month (run app.maintain_partitions())',
      'role svp_app owns relations: app_owned',
      'extension btree_gin is not installed',
    ]),
  );
  // nothing unrelated is reported
  expect(
    problems.filter((p) => /content_requests|brand_profiles|api_usage: no partition for the current/.test(p)),
  ).toEqual([]);
});

test('runMigrations repairs policies and partitions, and fails loudly on what it cannot repair', async () => {
  await t().owner`DROP TABLE user_activity_logs_default`; // the detached leftover from the test above
  const err = await runMigrations(t().ownerUrl).then(
    () => null,
    (e: Error) => e,
  );
  expect(err?.message).toMatch(/post-migration integrity check failed/);
  const lines = err!.message
    .split('\n')
    .slice(1)
    .map((l) => l.replace(/^ - /, ''));
  // RLS flags, the missing tenant policy and the partitions were repaired; a foreign policy is not
  // silently dropped, an app-owned table and a missing extension need an operator.
  expect(lines.sort()).toEqual([
    'extension btree_gin is not installed',
    'role svp_app owns relations: app_owned',
    'webhook_endpoints: policy leak is unconditionally true',
  ]);
  await t().owner`DROP POLICY leak ON webhook_endpoints`;
  await t().owner`DROP TABLE app_owned`;
  await t().owner`CREATE EXTENSION btree_gin`;
  await expect(runMigrations(t().ownerUrl)).resolves.toMatchObject({ appliedNow: 0 });
});
