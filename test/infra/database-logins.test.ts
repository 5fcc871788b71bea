/**
 * The data stack's login step against a real PostgreSQL: it creates the application login with the
 * secret's password (so RDS Proxy can log in before any migration ran), is idempotent, follows a
 * new password, and leaves a role that owns nothing and bypasses nothing.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureLogin } from '../../functions/handlers/migrate/ensure-login.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let t: TestDatabase;
const role = `svp_login_${randomBytes(4).toString('hex')}`;
beforeAll(async () => {
  t = await createTestDatabase();
}, 60_000);
afterAll(async () => {
  await t.owner.unsafe(`DROP ROLE IF EXISTS ${role}`);
  await t.drop();
});

const loginAs = async (password: string) => {
  const u = new URL(t.ownerUrl);
  u.username = role;
  u.password = password;
  const sql = postgres(u.toString(), { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const [r] = await sql<{ who: string }[]>`select current_user as who`;
    return r.who;
  } finally {
    await sql.end({ timeout: 2 });
  }
};

test('creates the login before any migration, then follows a rotated password', async () => {
  // A generated password with characters that need quoting in SQL.
  const first = `p'w${randomBytes(12).toString('base64url')}`;
  expect(await ensureLogin(t.ownerUrl, { username: role, password: first })).toBe('created');
  expect(await loginAs(first)).toBe(role);

  const [attrs] = await t.owner<
    { rolsuper: boolean; rolbypassrls: boolean; rolcreaterole: boolean; rolcreatedb: boolean }[]
  >`
    select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = ${role}`;
  expect(attrs).toEqual({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false });

  const second = randomBytes(16).toString('base64url');
  expect(await ensureLogin(t.ownerUrl, { username: role, password: second })).toBe('updated');
  expect(await loginAs(second)).toBe(role);
  await expect(loginAs(first)).rejects.toThrow(/password authentication failed/);
});

test('refuses a role name that is not a plain identifier (it is interpolated into DDL)', async () => {
  await expect(ensureLogin(t.ownerUrl, { username: 'x; drop table users', password: 'p' })).rejects.toThrow(
    /unexpected role name/,
  );
});
