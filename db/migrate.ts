/**
 * Applies the committed migrations (generated + custom SQL, in journal order) as the owner, then
 * runs the post-migration integrity check. Idempotent: applied migrations are recorded in
 * drizzle.__drizzle_migrations and skipped. Used by `npm run db:migrate`, `npm start`, the test
 * harness and the deploy-time custom resource.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { checkIntegrity } from './integrity.js';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
/** The role the application connects as. Created by migration; owns nothing; no BYPASSRLS. */
export const APP_ROLE = 'svp_app';

export interface MigrateOptions {
  /** When given, the app role gets LOGIN with this password (local/dev; in AWS from Secrets Manager). */
  appRolePassword?: string;
  migrationsDir?: string;
  log?: (msg: string) => void;
}

/** What a migration run did. */
export interface MigrateResult {
  /** Migrations applied by this run (0 when the database was already current). */
  appliedNow: number;
  /** Migrations recorded in drizzle.__drizzle_migrations after the run. */
  total: number;
  /** What app.maintain_partitions() reported (created/dropped partitions, strays in default). */
  partitions: unknown;
}

async function appliedCount(sql: postgres.Sql): Promise<number> {
  const [r] = await sql<{ n: number | null }[]>`
    SELECT CASE WHEN to_regclass('drizzle.__drizzle_migrations') IS NULL THEN 0 END AS n`;
  if (r.n === 0) return 0;
  const [c] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`;
  return c.n;
}

export async function runMigrations(ownerUrl: string, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const sql = postgres(ownerUrl, { max: 1, onnotice: () => {}, prepare: false });
  try {
    const before = await appliedCount(sql);
    await migrate(drizzle(sql), { migrationsFolder: opts.migrationsDir ?? MIGRATIONS_DIR });
    // Re-applied after every run so a tenant table added by a later generated migration can
    // never be left without RLS (the integrity check below verifies it).
    await sql`SELECT app.apply_tenant_policies()`;
    // A deploy in a month the scheduled maintenance missed still leaves this and next month's
    // partitions in place (a no-op when they exist); retention drops follow the configured policy.
    const [maint] = await sql<{ r: unknown }[]>`SELECT app.maintain_partitions() AS r`;
    if (opts.appRolePassword) {
      await sql.unsafe(`ALTER ROLE ${APP_ROLE} LOGIN PASSWORD '${opts.appRolePassword.replace(/'/g, "''")}'`);
    }
    const problems = await checkIntegrity(sql);
    if (problems.length) {
      throw new Error(`post-migration integrity check failed:\n - ${problems.join('\n - ')}`);
    }
    const total = await appliedCount(sql);
    opts.log?.(`migrations applied (${total - before} now, ${total} total); integrity check passed`);
    return { appliedNow: total - before, total, partitions: maint.r };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** URL for the app role on the same server and database as `ownerUrl`. */
export function appUrlFrom(ownerUrl: string, password: string): string {
  const u = new URL(ownerUrl);
  u.username = APP_ROLE;
  u.password = password;
  return u.toString();
}

/** `url` with its password masked, for messages (postgres://user:***@host/db). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

/**
 * A digest of the committed migrations (journal + SQL). The deploy-time custom resource passes it
 * as a property so CloudFormation sends an Update (and migrations run) exactly when they change.
 */
export function migrationsFingerprint(dir: string = MIGRATIONS_DIR): string {
  const h = createHash('sha256');
  h.update(readFileSync(path.join(dir, 'meta', '_journal.json')));
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.sql'))
    .sort()) {
    h.update(f)
      .update('\0')
      .update(readFileSync(path.join(dir, f)));
  }
  return h.digest('hex').slice(0, 32);
}
