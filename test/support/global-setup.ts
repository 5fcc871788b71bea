/**
 * One embedded PostgreSQL per test run. Migrations are applied once into `svp_template`; each test
 * file then clones it (CREATE DATABASE ... TEMPLATE), which takes milliseconds.
 * With TEST_DATABASE_URL set (an owner/superuser URL), that server is used instead.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startLocalPostgres, type LocalPostgres } from '../../local/servers/embedded-postgres.js';
import { runMigrations } from '../../db/migrate.js';

export const APP_PASSWORD = 'svp_app_test';
let local: LocalPostgres | undefined;
let dir: string | undefined;

export default async function setup(project: TestProject) {
  let ownerBase: string;
  if (process.env.TEST_DATABASE_URL) {
    ownerBase = process.env.TEST_DATABASE_URL;
  } else {
    dir = mkdtempSync(path.join(os.tmpdir(), 'svp-pg-'));
    chmodSync(dir, 0o755); // initdb runs as the postgres OS user when we are root
    local = await startLocalPostgres({ dataDir: path.join(dir, 'data'), persistent: false, durable: false });
    ownerBase = local.ownerUrl('postgres');
  }
  const admin = postgres(ownerBase, { max: 1, onnotice: () => {} });
  await admin.unsafe('DROP DATABASE IF EXISTS svp_template WITH (FORCE)');
  await admin.unsafe('CREATE DATABASE svp_template');
  await admin.end();
  const templateUrl = new URL(ownerBase);
  templateUrl.pathname = '/svp_template';
  await runMigrations(templateUrl.toString(), { appRolePassword: APP_PASSWORD });
  project.provide('pgOwnerBase', ownerBase);
  project.provide('pgAppPassword', APP_PASSWORD);
  return async () => {
    await local?.stop().catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgOwnerBase: string;
    pgAppPassword: string;
  }
}
