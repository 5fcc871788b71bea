/**
 * Migrations from zero on an empty database, then again as a no-op (same recorded migrations, same
 * catalog), and `npm run db:migrate` as an operator runs it: success prints what happened, failure
 * exits non-zero and says so.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { MIGRATIONS_DIR, migrationsFingerprint, runMigrations } from '../../../db/migrate.js';
import { checkIntegrity } from '../../../db/integrity.js';
import { ownerUrlFrom } from '../../../functions/handlers/migrate/owner-url.js';

const run = promisify(execFile);
const base = inject('pgOwnerBase');
const name = `zero_${randomBytes(5).toString('hex')}`;
const url = (() => {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
})();
let admin: postgres.Sql;

beforeAll(async () => {
  admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`); // from template1: truly empty
});
afterAll(async () => {
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

/** Everything a migration could change, as comparable text. */
async function catalogSnapshot(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ line: string }[]>`
    SELECT 'rel ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text || ' rls=' || c.relrowsecurity || '/' || c.relforcerowsecurity AS line
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'app', 'drizzle')
    UNION ALL SELECT 'pol ' || polrelid::regclass || ' ' || polname || ' ' || coalesce(pg_get_expr(polqual, polrelid), '') FROM pg_policy
    UNION ALL SELECT 'fn ' || p.oid::regprocedure || ' ' || md5(p.prosrc) FROM pg_proc p WHERE p.pronamespace = 'app'::regnamespace
    UNION ALL SELECT 'idx ' || indexrelid::regclass || ' ' || pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
      WHERE c.relnamespace = 'public'::regnamespace
    UNION ALL SELECT 'acl ' || c.relname || ' ' || coalesce(c.relacl::text, '') FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
    UNION ALL SELECT 'ext ' || extname FROM pg_extension
    ORDER BY 1`;
  return rows.map((r) => r.line);
}

test('migrations apply from zero, then again as a no-op', async () => {
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as {
    entries: unknown[];
  };
  const first = await runMigrations(url);
  expect(first.appliedNow).toBe(journal.entries.length);
  expect(first.total).toBe(journal.entries.length);

  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const snap1 = await catalogSnapshot(sql);
    expect(snap1.some((l) => l.startsWith('rel public.content_analytics_default r rls=true/true'))).toBe(true);
    const second = await runMigrations(url);
    expect(second).toMatchObject({ appliedNow: 0, total: journal.entries.length });
    expect((second.partitions as { created: string[]; dropped: string[] }).created).toEqual([]);
    const [{ n }] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`;
    expect(n).toBe(journal.entries.length);
    expect(await catalogSnapshot(sql)).toEqual(snap1);
    expect(await checkIntegrity(sql)).toEqual([]);
  } finally {
    await sql.end();
  }
});

test('npm run db:migrate reports a no-op run and exits 0; an unreachable database exits non-zero', async () => {
  const tsx = path.resolve('node_modules/.bin/tsx');
  const cli = path.resolve('bin/db-migrate.ts');
  // both at once: each spawn pays tsx start-up
  const [ok, bad] = await Promise.all([
    run(tsx, [cli], { env: { ...process.env, DATABASE_OWNER_URL: url, DATABASE_URL: '' }, timeout: 60_000 }),
    run(tsx, [cli], {
      env: { ...process.env, DATABASE_OWNER_URL: 'postgres://u:secretpw@127.0.0.1:1/nothing', DATABASE_URL: '' },
      timeout: 60_000,
    }).then(
      () => null,
      (e: { code: number; stderr: string; stdout: string }) => e,
    ),
  ]);
  expect(ok.stdout).toMatch(/0 migration\(s\) applied now, \d+ recorded; integrity check passed/);
  expect(ok.stdout).not.toContain(`:${new URL(url).password}@`); // credentials are masked
  expect(ok.stdout).toContain(':***@');
  expect(bad?.code).toBe(1);
  expect(bad?.stderr).toMatch(/db:migrate: FAILED/);
  expect(`${bad?.stdout}${bad?.stderr}`).not.toContain('secretpw');
});

test('the deploy-time owner URL survives passwords with URL-reserved characters', async () => {
  const pw = `p@ss:w/rd%?#${randomBytes(4).toString('hex')}`;
  const role = `mig_${randomBytes(4).toString('hex')}`;
  await admin.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD '${pw}'`);
  try {
    const b = new URL(base);
    const u = ownerUrlFrom(
      { username: role, password: pw, host: b.hostname, port: Number(b.port), dbname: name },
      { DB_SSLMODE: 'disable' },
    );
    const sql = postgres(u, { max: 1 });
    const [r] = await sql<{ who: string; db: string }[]>`SELECT current_user AS who, current_database() AS db`;
    await sql.end();
    expect(r).toEqual({ who: role, db: name });
    expect(ownerUrlFrom({ username: 'o', password: 'x', host: 'h', dbname: 'd' })).toMatch(/sslmode=require$/);
  } finally {
    await admin.unsafe(`DROP ROLE ${role}`);
  }
});

test('the migrations fingerprint is stable and changes with the migrations', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'svp-mig-'));
  try {
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    expect(migrationsFingerprint(dir)).toBe(migrationsFingerprint());
    expect(migrationsFingerprint()).toMatch(/^[0-9a-f]{32}$/);
    appendFileSync(path.join(dir, '0000_extensions.sql'), '\n-- changed\n');
    expect(migrationsFingerprint(dir)).not.toBe(migrationsFingerprint());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
