/**
 * The only way application code reaches PostgreSQL. It connects as the app role (owns nothing,
 * no BYPASSRLS); every tenant query runs inside `withTenant`, which opens a transaction and sets
 * `app.org_id` / `app.user_id` with `set_config(..., true)` so the RLS policies see the tenant.
 * Outside `withTenant` the policies see no tenant and return nothing.
 */
import postgres from 'postgres';
import { sql as dsql } from 'drizzle-orm';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import * as schema from '../../../db/schema/index.js';

export type Db = PostgresJsDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface DbHandle {
  db: Db;
  sql: postgres.Sql;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Pool size per process; Lambda wants 1-2, the local server more. */
  max?: number;
  /** Application name shown in pg_stat_activity. */
  appName?: string;
}

export function connect(url: string, opts: ConnectOptions = {}): DbHandle {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    // RDS Proxy pins sessions that use named prepared statements.
    prepare: false,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: opts.appName ?? 'svp' },
    types: { bigint: postgres.BigInt },
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

export interface TenantContext {
  orgId: string;
  /** The signed-in user, when there is one (memberships policy uses it). */
  userId?: string | null;
}

/** Runs `fn` in one transaction as the given tenant. */
export async function withTenant<T>(db: Db, ctx: TenantContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(dsql`select set_config('app.org_id', ${ctx.orgId}, true), set_config('app.user_id', ${ctx.userId ?? ''}, true)`);
    return fn(tx);
  });
}

/** Runs `fn` in one transaction as a user with no tenant selected (e.g. listing their memberships). */
export async function withUser<T>(db: Db, userId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(dsql`select set_config('app.user_id', ${userId}, true)`);
    return fn(tx);
  });
}
