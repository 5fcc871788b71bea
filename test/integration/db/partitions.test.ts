/**
 * Monthly partitioning as a user of the app sees it: rows written through the app role land in the
 * partition of their month, strays land in DEFAULT, and app.maintain_partitions() creates months
 * ahead, moves parked rows out of DEFAULT when their month gets a partition, and drops months past
 * retention while keeping the current ones.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sql as dsql } from 'drizzle-orm';
import { checkIntegrity } from '../../../db/integrity.js';
import { withTenant } from '../../../functions/adapters/db/client.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

let t: TestDatabase;
let org: string;

/** First instant of the UTC month `offset` months from now. */
function monthStart(offset: number): Date {
  const n = new Date();
  return new Date(Date.UTC(n.getUTCFullYear(), n.getUTCMonth() + offset, 1));
}
const suffix = (d: Date) => `${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
const mid = (d: Date) => new Date(d.getTime() + 14 * 86_400_000 + 3_600_000);

async function partitionsOf(table: string): Promise<string[]> {
  const rows = await t.owner<{ name: string }[]>`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = ${table}::regclass ORDER BY 1`;
  return rows.map((r) => r.name);
}

beforeAll(async () => {
  t = await createTestDatabase();
  [{ id: org }] = await t.owner<
    { id: string }[]
  >`INSERT INTO organizations (name, slug) VALUES ('Parts', 'parts') RETURNING id`;
});
afterAll(async () => {
  await t?.drop();
});

/** Inserts one analytics sample as the app role inside the tenant and returns where it landed. */
async function ingest(at: Date, metric = 'likes'): Promise<string> {
  return withTenant(t.app.db, { orgId: org }, async (tx) => {
    const rows = await tx.execute<{ part: string }>(dsql`
      INSERT INTO content_analytics (organization_id, brand_id, request_id, variant_id, platform, metric, value, recorded_at)
      VALUES (${org}, ${org}, ${org}, uuid_generate_v4(), 'instagram', ${metric}, 7, ${at.toISOString()})
      RETURNING tableoid::regclass::text AS part`);
    return rows[0].part;
  });
}

test('the migration created DEFAULT plus last month through three months ahead, for each table', async () => {
  for (const table of ['api_usage', 'content_analytics', 'user_activity_logs']) {
    const parts = await partitionsOf(table);
    expect(parts).toContain(`${table}_default`);
    for (const off of [-1, 0, 1, 2, 3]) expect(parts).toContain(`${table}_${suffix(monthStart(off))}`);
  }
});

test('rows written by the app land in the partition of their month; strays land in DEFAULT', async () => {
  for (const off of [-1, 0, 1, 3]) {
    expect(await ingest(mid(monthStart(off)))).toBe(`content_analytics_${suffix(monthStart(off))}`);
  }
  // month boundaries: the first instant belongs to the new month, the instant before to the old one
  expect(await ingest(monthStart(1))).toBe(`content_analytics_${suffix(monthStart(1))}`);
  expect(await ingest(new Date(monthStart(1).getTime() - 1))).toBe(`content_analytics_${suffix(monthStart(0))}`);
  expect(await ingest(mid(monthStart(-30)))).toBe('content_analytics_default');
  expect(await ingest(mid(monthStart(30)))).toBe('content_analytics_default');

  // identity columns work for the app role without any sequence grant, on every partitioned table
  await withTenant(t.app.db, { orgId: org }, async (tx) => {
    await tx.execute(
      dsql`INSERT INTO api_usage (organization_id, provider, endpoint, method, outcome, latency_ms, credits, cost_usd)
        VALUES (${org}, 'freepik', '/v1/resources', 'GET', 'success', 120, 1, 0.004)`,
    );
    await tx.execute(
      dsql`INSERT INTO user_activity_logs (organization_id, action, resource_type) VALUES (${org}, 'brand.update', 'brand')`,
    );
  });
  const [u] = await t.owner`SELECT tableoid::regclass::text AS p FROM api_usage`;
  expect(u.p).toBe(`api_usage_${suffix(monthStart(0))}`);
});

test('re-delivered samples are rejected by the unique key, so ingestion can be idempotent', async () => {
  const at = mid(monthStart(0));
  const variant = '11111111-1111-4111-8111-111111111111';
  const insert = () =>
    withTenant(t.app.db, { orgId: org }, (tx) =>
      tx.execute(dsql`
    INSERT INTO content_analytics (organization_id, brand_id, request_id, variant_id, platform, metric, value, recorded_at)
    VALUES (${org}, ${org}, ${org}, ${variant}, 'facebook', 'shares', 3, ${at.toISOString()})
    ON CONFLICT (variant_id, platform, metric, recorded_at) DO NOTHING RETURNING id`),
    );
  expect(await insert()).toHaveLength(1);
  expect(await insert()).toHaveLength(0);
});

test('maintenance moves parked rows out of DEFAULT, drops months past retention and keeps current ones', async () => {
  const old = monthStart(-30);
  // Long retention: the month of the old stray is inside it, so it gets a partition and its row moves.
  const [{ r: first }] = await t.owner<
    { r: { created: string[]; moved_from_default: Record<string, number>; left_in_default: Record<string, number> } }[]
  >`
    SELECT app.maintain_partitions(3, 48) AS r`;
  expect(first.created).toContain(`content_analytics_${suffix(old)}`);
  expect(first.moved_from_default).toEqual({ [`content_analytics_${suffix(old)}`]: 1 });
  expect(first.left_in_default).toEqual({ content_analytics: 1 }); // the far-future stray stays, reported
  const placed =
    await t.owner`SELECT tableoid::regclass::text AS p FROM content_analytics WHERE recorded_at < ${monthStart(-12)}`;
  expect(placed.map((r) => r.p)).toEqual([`content_analytics_${suffix(old)}`]);
  // the new partition is protected like the others
  expect(await checkIntegrity(t.owner)).toEqual([]);

  const before = await t.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM content_analytics`;
  // Short retention, called by the app role itself (EXECUTE is granted; it runs as the owner).
  const [{ r: second }] = await t.app.sql<
    { r: { dropped: string[]; retention_months: number } }[]
  >`SELECT app.maintain_partitions(3, 1) AS r`;
  expect(second.retention_months).toBe(1);
  expect(second.dropped).toContain(`content_analytics_${suffix(old)}`);
  const parts = await partitionsOf('content_analytics');
  expect(parts).not.toContain(`content_analytics_${suffix(old)}`);
  for (const off of [-1, 0, 1, 2, 3]) expect(parts).toContain(`content_analytics_${suffix(monthStart(off))}`);
  expect(parts).toContain('content_analytics_default');
  const after = await t.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM content_analytics`;
  expect(after[0].n).toBe(before[0].n - 1); // exactly the old month's row is gone
  expect(await checkIntegrity(t.owner)).toEqual([]);

  // running it again changes nothing
  const [{ r: third }] = await t.owner<
    { r: { created: string[]; dropped: string[] } }[]
  >`SELECT app.maintain_partitions(3, 1) AS r`;
  expect({ created: third.created, dropped: third.dropped }).toEqual({ created: [], dropped: [] });
});

test('retention defaults to system_settings.partition_retention_months, then 24', async () => {
  const [{ r: dflt }] = await t.owner<{ r: { retention_months: number } }[]>`SELECT app.maintain_partitions() AS r`;
  expect(dflt.retention_months).toBe(24);
  await t.owner`INSERT INTO system_settings (key, value, description) VALUES ('partition_retention_months', '13', 'test') ON CONFLICT (key) DO UPDATE
    SET value = EXCLUDED.value`;
  const [{ r: cfg }] = await t.owner<{ r: { retention_months: number } }[]>`SELECT app.maintain_partitions() AS r`;
  expect(cfg.retention_months).toBe(13);
  await expect(t.owner`SELECT app.maintain_partitions(3, 0)`).rejects.toThrow(/retention must be >= 1/);
});

test('the app role cannot run DDL around the function: it owns nothing and cannot create partitions', async () => {
  await expect(
    t.app.sql.unsafe(
      `CREATE TABLE content_analytics_2999_01 PARTITION OF content_analytics FOR VALUES FROM ('2999-01-01') TO ('2999-02-01')`,
    ),
  ).rejects.toMatchObject({ code: '42501' });
  await expect(
    t.app.sql.unsafe('ALTER TABLE content_analytics_default NO FORCE ROW LEVEL SECURITY'),
  ).rejects.toMatchObject({ code: '42501' });
});

test('two maintenance runs at once (scheduler and a deploy) do not trip over each other', async () => {
  const far = `content_analytics_${suffix(monthStart(3))}`;
  await t.owner.unsafe(`DROP TABLE ${far}`);
  const other = (await import('postgres')).default(t.ownerUrl, { max: 1, onnotice: () => {} });
  try {
    const [a, b] = await Promise.all([
      t.owner<{ r: { created: string[] } }[]>`SELECT app.maintain_partitions(3, 24) AS r`,
      other<{ r: { created: string[] } }[]>`SELECT app.maintain_partitions(3, 24) AS r`,
    ]);
    expect([...a[0].r.created, ...b[0].r.created]).toEqual([far]);
  } finally {
    await other.end();
  }
  expect(await partitionsOf('content_analytics')).toContain(far);
});
