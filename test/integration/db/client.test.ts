/**
 * The database adapter's transport: drizzle's queries become named prepared statements on direct
 * connections (one round trip and a cached plan per query after the first), and stay unprepared
 * when asked (RDS Proxy, transaction-pooling proxies). Either way a tenant transaction sees its
 * tenant from its first query on.
 */
import { eq, sql } from 'drizzle-orm';
import { expect, test } from 'vitest';
import { connect, gatedTenantRead, withTenant, type TenantRead } from '../../../functions/adapters/db/client.js';
import { organizations } from '../../../db/schema/index.js';
import { createTestDatabase } from '../../support/db.js';
import { startForAll } from '../../support/lifecycle.js';

const t = startForAll(createTestDatabase, (db) => db.drop());

async function preparedAfterTwoReads(
  prepare: boolean | undefined,
): Promise<{ statements: string[]; org: string | undefined }> {
  const h = connect(t().appUrl, { max: 1, prepare });
  try {
    const [o] = await t().owner<
      { id: string }[]
    >`INSERT INTO organizations (name, slug) VALUES ('Prep', ${`prep-${Math.random().toString(36).slice(2, 8)}`}) RETURNING id`;
    let org: string | undefined;
    for (let i = 0; i < 2; i++) {
      org = await withTenant(
        h.db,
        { orgId: o.id },
        async (tx) =>
          (await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, o.id)))[0]?.id,
      );
    }
    const rows = await h.db.execute<{ statement: string }>(sql`SELECT statement FROM pg_prepared_statements`);
    return { statements: rows.map((r) => r.statement), org: org === o.id ? org : undefined };
  } finally {
    await h.close();
  }
}

test('direct connections prepare drizzle queries and the tenant settings', async () => {
  const r = await preparedAfterTwoReads(undefined);
  expect(r.org).toBeTruthy();
  // (A query without parameters goes as one simple-protocol message and needs no statement.)
  expect(r.statements.some((s) => /from "organizations" where/.test(s))).toBe(true);
  expect(r.statements.some((s) => /set_config\('app\.org_id'/.test(s))).toBe(true);
});

test('prepare: false (RDS Proxy, DATABASE_PREPARE=false) prepares nothing, and RLS still sees the tenant', async () => {
  const r = await preparedAfterTwoReads(false);
  expect(r.org).toBeTruthy();
  expect(r.statements).toEqual([]);
});

// ---- gated reads: the API gate, the tenant settings and the reads in one round trip ----------------

async function member(role: string): Promise<{ orgId: string; userId: string }> {
  const tag = Math.random().toString(36).slice(2, 10);
  const [o] = await t().owner<{ id: string }[]>`
    INSERT INTO organizations (name, slug) VALUES (${`Gate ${tag}`}, ${`gate-${tag}`}) RETURNING id`;
  const [u] = await t().owner<{ id: string }[]>`
    INSERT INTO users (email, display_name) VALUES (${`${tag}@gate.test`}, ${tag}) RETURNING id`;
  await t().owner`INSERT INTO user_organizations (organization_id, user_id, role) VALUES (${o.id}, ${u.id}, ${role})`;
  return { orgId: o.id, userId: u.id };
}

/** The tenant's own org row as RLS shows it inside the gated transaction, and whether a tenant was set at all. */
const orgAsTenant =
  (orgId: string): TenantRead<{ seen: string | undefined; tenant: string }> =>
  (c) => ({
    queries: [
      c.unsafe('select id from organizations where id = $1', [orgId]),
      c.unsafe(`select current_setting('app.org_id', true) as tenant`),
    ],
    map: ([[org], [s]]) => ({ seen: org?.id as string | undefined, tenant: String(s.tenant) }),
  });

for (const prepare of [undefined, false]) {
  test(`a gated read admits a member and reads as the tenant; refuses others with no tenant set (prepare: ${prepare ?? 'default'})`, async () => {
    const h = connect(t().appUrl, { max: 2, prepare });
    try {
      const owner = await member('owner');
      const ok = await gatedTenantRead(h.db, { ...owner, roles: ['owner'], rateLimit: true }, orgAsTenant(owner.orgId));
      expect(ok.gate?.role).toBe('owner');
      expect(ok.result).toEqual({ seen: owner.orgId, tenant: owner.orgId });

      // A role outside the route's roles: the gate answers (the caller judges 403), nothing is read.
      const viewer = await member('viewer');
      const refused = await gatedTenantRead(
        h.db,
        { ...viewer, roles: ['owner', 'admin'], rateLimit: true },
        orgAsTenant(viewer.orgId),
      );
      expect(refused.gate?.role).toBe('viewer');
      expect(refused.result).toBeUndefined();

      // Not a member of the org in the path: no gate row, no tenant.
      const stranger = await gatedTenantRead(
        h.db,
        { orgId: owner.orgId, userId: viewer.userId, roles: ['owner', 'viewer'], rateLimit: true },
        orgAsTenant(owner.orgId),
      );
      expect(stranger).toEqual({ gate: undefined, result: undefined });

      // What the refused reads saw (read raw, as the next request on the connection would).
      const leftOver = await h.sql`select coalesce(current_setting('app.gate', true), '') as gate`;
      expect(leftOver[0].gate).toBe('');
    } finally {
      await h.close();
    }
  });
}

test('a refused gated read runs its reads with no tenant: RLS returns nothing', async () => {
  const h = connect(t().appUrl, { max: 1 });
  try {
    const viewer = await member('viewer');
    let sent: Promise<unknown>[] = [];
    const r = await gatedTenantRead(h.db, { ...viewer, roles: ['owner'], rateLimit: true }, (c) => {
      const read = orgAsTenant(viewer.orgId)(c);
      sent = read.queries;
      return read;
    });
    expect(r.result).toBeUndefined();
    // What the refused caller's reads got back, though nobody maps them: no row, no tenant.
    const [org, settings] = (await Promise.all(sent)) as [unknown[], { tenant: string }[]];
    expect(org).toEqual([]);
    expect(settings[0].tenant).toBe('');
  } finally {
    await h.close();
  }
});

test('a gated read waiting for a pooled connection is served when that connection is lost and replaced', async () => {
  const h = connect(t().appUrl, { max: 1, appName: 'svp-test-reserve' });
  try {
    const owner = await member('owner');
    const held = await h.sql.reserve();
    const [{ pid }] = await held`select pg_backend_pid() as pid`;
    // Waits in the pool's queue: the only connection is held.
    const waiting = gatedTenantRead(h.db, { ...owner, roles: ['owner'], rateLimit: false }, orgAsTenant(owner.orgId));
    await new Promise((r) => setTimeout(r, 100));
    await t().owner`select pg_terminate_backend(${pid}::int)`;
    // The backend is gone (polled, 5 s at most), then the pool sees its socket close and opens another.
    for (let i = 0; i < 50; i++) {
      const [{ n }] = await t().owner<
        { n: number }[]
      >`select count(*)::int as n from pg_stat_activity where pid = ${pid}::int`;
      if (n === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
    held.release();
    const r = await Promise.race([
      waiting,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the waiting read was never served')), 8000)),
    ]);
    expect(r).toMatchObject({ gate: { role: 'owner' }, result: { seen: owner.orgId } });
    // The holder's late release did not hand the (replaced) connection to the pool twice: reads go on.
    const again = await gatedTenantRead(
      h.db,
      { ...owner, roles: ['owner'], rateLimit: false },
      orgAsTenant(owner.orgId),
    );
    expect(again.result).toEqual({ seen: owner.orgId, tenant: owner.orgId });
  } finally {
    await h.close();
  }
});
