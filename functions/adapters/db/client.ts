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
import { rdsIamToken } from './iam-token.js';

export type Db = PostgresJsDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface DbHandle {
  db: Db;
  sql: postgres.Sql;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /**
   * Authenticate with a short-lived RDS IAM token instead of a password (AWS: RDS Proxy with
   * IAM auth; the URL carries host, port, user and database only). Implies TLS.
   */
  iamAuth?: { region: string };
  /** Pool size per process; Lambda wants 1-2, the local server more. */
  max?: number;
  /** Application name shown in pg_stat_activity. */
  appName?: string;
}

export function connect(url: string, opts: ConnectOptions = {}): DbHandle {
  const iam = opts.iamAuth ? iamPassword(url, opts.iamAuth.region) : undefined;
  const sql = postgres(url, {
    ...(iam ? { password: iam, ssl: 'require' as const } : {}),
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

/** A password function that mints (and caches for 10 of its 15 minutes) an RDS IAM auth token. */
function iamPassword(url: string, region: string): () => Promise<string> {
  const u = new URL(url);
  let cached: { token: string; until: number } | undefined;
  return async () => {
    if (cached && cached.until > Date.now()) return cached.token;
    const token = await rdsIamToken({ hostname: u.hostname, port: Number(u.port || 5432), username: decodeURIComponent(u.username), region });
    cached = { token, until: Date.now() + 10 * 60_000 };
    return token;
  };
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
