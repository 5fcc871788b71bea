/**
 * Applies the committed migrations (generated + custom SQL, in journal order) as the owner, then
 * runs the post-migration integrity check. Idempotent: applied migrations are recorded in
 * drizzle.__drizzle_migrations and skipped. Used by `npm run db:migrate`, `npm start`, the test
 * harness and the deploy-time custom resource.
 */
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

export async function runMigrations(ownerUrl: string, opts: MigrateOptions = {}): Promise<void> {
  const sql = postgres(ownerUrl, { max: 1, onnotice: () => {}, prepare: false });
  try {
    await migrate(drizzle(sql), { migrationsFolder: opts.migrationsDir ?? MIGRATIONS_DIR });
    // Re-applied after every run so a tenant table added by a later generated migration can
    // never be left without RLS (the integrity check below verifies it).
    await sql`SELECT app.apply_tenant_policies()`;
    if (opts.appRolePassword) {
      await sql.unsafe(`ALTER ROLE ${APP_ROLE} LOGIN PASSWORD '${opts.appRolePassword.replace(/'/g, "''")}'`);
    }
    const problems = await checkIntegrity(sql);
    if (problems.length) {
      throw new Error(`post-migration integrity check failed:\n - ${problems.join('\n - ')}`);
    }
    opts.log?.('migrations applied; integrity check passed');
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
