/**
 * The database adapter's transport: drizzle's queries become named prepared statements on direct
 * connections (one round trip and a cached plan per query after the first), and stay unprepared
 * when asked (RDS Proxy, transaction-pooling proxies). Either way a tenant transaction sees its
 * tenant from its first query on.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connect, withTenant } from '../../../functions/adapters/db/client.js';
import { organizations } from '../../../db/schema/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

async function preparedAfterTwoReads(
  prepare: boolean | undefined,
): Promise<{ statements: string[]; org: string | undefined }> {
  const h = connect(t.appUrl, { max: 1, prepare });
  try {
    const [o] = await t.owner<
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
