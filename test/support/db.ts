/**
 * A fresh database for one test file, cloned from the migrated template.
 *   const t = await createTestDatabase();   // t.ownerUrl, t.appUrl, t.app (DbHandle as svp_app)
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { appUrlFrom } from '../../db/migrate.js';
import { connect, type DbHandle } from '../../functions/adapters/db/client.js';

export interface TestDatabase {
  name: string;
  ownerUrl: string;
  appUrl: string;
  /** Connected as the app role (RLS applies). */
  app: DbHandle;
  /** Connected as the owner (bypasses RLS): for arranging fixtures and asserting raw state. */
  owner: postgres.Sql;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const base = inject('pgOwnerBase');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE svp_template`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const ownerUrl = u.toString();
  const appUrl = appUrlFrom(ownerUrl, inject('pgAppPassword'));
  const app = connect(appUrl, { max: 5, appName: 'svp-test' });
  const owner = postgres(ownerUrl, { max: 2, onnotice: () => {} });
  return {
    name,
    ownerUrl,
    appUrl,
    app,
    owner,
    async drop() {
      await app.close();
      await owner.end({ timeout: 5 });
      const a = postgres(base, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
