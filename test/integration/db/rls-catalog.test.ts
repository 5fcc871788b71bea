/**
 * Tenant isolation, proven table by table from the catalog: every relation in public with an
 * organization_id column (partitioned parents, every partition including DEFAULT, plain tables)
 * gets one fixture row per tenant, and the app role, acting as tenant A, must not read, insert,
 * update or delete tenant B's rows there; with no tenant set it must see nothing at all.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type postgres from 'postgres';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { FixtureBuilder, insertRow } from './fixtures.js';

interface TenantRelation {
  name: string;
  kind: string;
  isPartition: boolean;
  rls: boolean;
  force: boolean;
}

let t: TestDatabase;
let relations: TenantRelation[];
let A: string;
let B: string;
let fx: FixtureBuilder;

/** A timestamp inside each partition's range (far future for DEFAULT), so every partition holds rows. */
async function partitionProbeTimes(owner: postgres.Sql): Promise<Map<string, { col: string; at: string }>> {
  const rows = await owner<{ part: string; col: string; bound: string }[]>`
    SELECT c.relname AS part, a.attname AS col, pg_get_expr(c.relpartbound, c.oid) AS bound
    FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
    JOIN pg_partitioned_table pt ON pt.partrelid = i.inhparent
    JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
    WHERE c.relnamespace = 'public'::regnamespace`;
  const out = new Map<string, { col: string; at: string }>();
  for (const r of rows) {
    const m = /FROM \('([^']+)'\)/.exec(r.bound);
    const at = m
      ? new Date(new Date(m[1].replace(' ', 'T').replace(/\+00$/, 'Z')).getTime() + 3_600_000).toISOString()
      : '2999-06-15T00:00:00Z';
    out.set(r.part, { col: r.col, at });
  }
  return out;
}

beforeAll(async () => {
  t = await createTestDatabase();
  relations = await t.owner<TenantRelation[]>`
    SELECT c.relname AS name, c.relkind::text AS kind, c.relispartition AS "isPartition",
           c.relrowsecurity AS rls, c.relforcerowsecurity AS force
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped)
    ORDER BY c.relname`;
  [{ id: A }] = await t.owner<
    { id: string }[]
  >`INSERT INTO organizations (name, slug) VALUES ('Tenant A', 'tenant-a') RETURNING id`;
  [{ id: B }] = await t.owner<
    { id: string }[]
  >`INSERT INTO organizations (name, slug) VALUES ('Tenant B', 'tenant-b') RETURNING id`;
  fx = new FixtureBuilder(t.owner);
  const probes = await partitionProbeTimes(t.owner);
  // One row per tenant in every plain table and every partition (rows reach a partition through
  // its parent, routed by a key inside the partition's range).
  for (const r of relations) {
    if (r.kind === 'p') continue;
    for (const org of [A, B]) {
      const probe = probes.get(r.name);
      if (probe) {
        const parent = (
          await t.owner<
            { p: string }[]
          >`SELECT inhparent::regclass::text AS p FROM pg_inherits WHERE inhrelid = ${r.name}::regclass`
        )[0].p;
        await fx.insert(parent, org, { [probe.col]: probe.at });
      } else {
        const existing = await t.owner.unsafe(`SELECT 1 FROM ${r.name} WHERE organization_id = $1 LIMIT 1`, [org]);
        if (existing.length === 0) await fx.insert(r.name, org);
      }
    }
  }
});
afterAll(async () => {
  await t?.drop();
});

/** Runs fn in a transaction as the app role with the given tenant (or none). */
function asApp<T>(org: string | null, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  return t.app.sql.begin(async (tx) => {
    if (org) await tx`SELECT set_config('app.org_id', ${org}, true)`;
    return fn(tx);
  }) as Promise<T>;
}

const ROLLBACK = new Error('rollback');

test('the catalog lists the tenant tables, their partitions and a DEFAULT partition for each', () => {
  const names = relations.map((r) => r.name);
  for (const expected of [
    'brand_profiles',
    'content_requests',
    'user_organizations',
    'webhook_endpoints',
    'api_usage',
    'content_analytics',
    'user_activity_logs',
    'api_usage_default',
    'content_analytics_default',
    'user_activity_logs_default',
  ]) {
    expect(names).toContain(expected);
  }
  expect(relations.filter((r) => r.isPartition).length).toBeGreaterThanOrEqual(9);
});

test('every table with organization_id has row level security enabled AND forced', () => {
  const missing = relations.filter((r) => !r.rls || !r.force).map((r) => `${r.name} (rls=${r.rls}, force=${r.force})`);
  expect(missing).toEqual([]);
});

test('every plain table and partition received fixture rows for both tenants', async () => {
  for (const r of relations.filter((x) => x.kind === 'r')) {
    const [c] = await t.owner.unsafe(
      `SELECT count(*) FILTER (WHERE organization_id = $1)::int AS a, count(*) FILTER (WHERE organization_id = $2)::int AS b FROM ${r.name}`,
      [A, B],
    );
    expect({ table: r.name, a: c.a > 0, b: c.b > 0 }).toEqual({ table: r.name, a: true, b: true });
  }
});

describe('as the app role, tenant A', () => {
  test("sees its own rows and none of B's, in every table and partition", async () => {
    for (const r of relations) {
      const [owner] = await t.owner.unsafe(
        `SELECT count(*) FILTER (WHERE organization_id = $1)::int AS a FROM ${r.name}`,
        [A],
      );
      const seen = await asApp(A, (tx) =>
        tx.unsafe(
          `SELECT count(*) FILTER (WHERE organization_id = $1)::int AS a, count(*) FILTER (WHERE organization_id <> $1)::int AS other FROM ${r.name}`,
          [A],
        ),
      );
      expect({ table: r.name, a: seen[0].a, other: seen[0].other }).toEqual({ table: r.name, a: owner.a, other: 0 });
      expect(owner.a, r.name).toBeGreaterThan(0);
    }
  });

  test('sees nothing at all when no tenant is set', async () => {
    for (const r of relations) {
      const [c] = await asApp(null, (tx) => tx.unsafe(`SELECT count(*)::int AS n FROM ${r.name}`));
      expect({ table: r.name, n: c.n }).toEqual({ table: r.name, n: 0 });
    }
    const [outside] = await t.app.sql.unsafe('SELECT (SELECT count(*) FROM brand_profiles)::int AS n');
    expect(outside.n).toBe(0);
  });

  test('may insert its own rows but not rows for tenant B (WITH CHECK), in every table and partition', async () => {
    const probes = await partitionProbeTimes(t.owner);
    for (const r of relations) {
      const probe = probes.get(r.name);
      // Build B's row as the owner would (B's parents), then try to write it as A.
      const parent = r.isPartition
        ? (
            await t.owner<
              { p: string }[]
            >`SELECT inhparent::regclass::text AS p FROM pg_inherits WHERE inhrelid = ${r.name}::regclass`
          )[0].p
        : r.name;
      const extra = probe ? { [probe.col]: probe.at } : {};
      const ownRow = await fx.values(parent, A, extra, { freshParents: true });
      const otherRow = await fx.values(parent, B, extra, { freshParents: true });
      // Positive control: the same statement for A's own row succeeds (so the failure below is RLS,
      // not a missing grant or a bad fixture). Rolled back.
      await expect(
        asApp(A, async (tx) => {
          await insertRow(tx, r.name, ownRow);
          throw ROLLBACK;
        }),
        r.name,
      ).rejects.toBe(ROLLBACK);
      const err = await asApp(A, (tx) => insertRow(tx, r.name, otherRow)).then(
        () => null,
        (e: { code?: string; message: string }) => e,
      );
      expect({ table: r.name, code: err?.code, rls: /row-level security/.test(err?.message ?? '') }).toEqual({
        table: r.name,
        code: '42501',
        rls: true,
      });
    }
  });

  test("updates and deletes of B's rows affect 0 rows, and B's rows survive", async () => {
    for (const r of relations) {
      const before = await t.owner.unsafe(`SELECT count(*)::int AS n FROM ${r.name} WHERE organization_id = $1`, [B]);
      const updated = await asApp(A, (tx) =>
        tx.unsafe(`UPDATE ${r.name} SET organization_id = organization_id WHERE organization_id = $1`, [B]),
      );
      const deleted = await asApp(A, (tx) => tx.unsafe(`DELETE FROM ${r.name} WHERE organization_id = $1`, [B]));
      // Re-tagging its own rows as B's is refused too.
      const retag = await asApp(A, (tx) =>
        tx.unsafe(`UPDATE ${r.name} SET organization_id = $2 WHERE organization_id = $1`, [A, B]),
      ).then(
        () => null,
        (e: { code?: string }) => e,
      );
      const after = await t.owner.unsafe(`SELECT count(*)::int AS n FROM ${r.name} WHERE organization_id = $1`, [B]);
      expect({
        table: r.name,
        updated: updated.count,
        deleted: deleted.count,
        after: after[0].n,
        retagRefused: retag?.code === '42501',
      }).toEqual({ table: r.name, updated: 0, deleted: 0, after: before[0].n, retagRefused: true });
    }
  });

  test('a partition queried directly is filtered like its parent', async () => {
    const current = relations.find((r) => /^content_analytics_\d{4}_\d{2}$/.test(r.name) && r.isPartition)!;
    expect(current).toBeDefined();
    const owner = await t.owner.unsafe(`SELECT count(DISTINCT organization_id)::int AS n FROM ${current.name}`);
    expect(owner[0].n).toBe(2);
    const seen = await asApp(A, (tx) => tx.unsafe(`SELECT DISTINCT organization_id::text AS org FROM ${current.name}`));
    expect(seen.map((r) => r.org)).toEqual([A]);
    const none = await asApp(null, (tx) => tx.unsafe(`SELECT count(*)::int AS n FROM ${current.name}`));
    expect(none[0].n).toBe(0);
  });
});

test('organizations and users: a tenant sees its own organization and its own members only', async () => {
  const orgs = await asApp(A, (tx) => tx`SELECT id FROM organizations`);
  expect(orgs.map((o) => o.id)).toEqual([A]);
  const [member] = await t.owner<
    { user_id: string }[]
  >`SELECT user_id FROM user_organizations WHERE organization_id = ${A} LIMIT 1`;
  const [other] = await t.owner<
    { user_id: string }[]
  >`SELECT user_id FROM user_organizations WHERE organization_id = ${B} LIMIT 1`;
  const users = await asApp(A, (tx) => tx`SELECT id FROM users`);
  expect(users.map((u) => u.id)).toContain(member.user_id);
  expect(users.map((u) => u.id)).not.toContain(other.user_id);
  expect(await asApp(null, (tx) => tx`SELECT id FROM organizations`)).toHaveLength(0);
  expect(await asApp(null, (tx) => tx`SELECT id FROM users`)).toHaveLength(0);
});
