/**
 * The only way application code reaches PostgreSQL. It connects as the app role (owns nothing,
 * no BYPASSRLS); every tenant query runs inside `withTenant`, which opens a transaction and sets
 * `app.org_id` / `app.user_id` with `set_config(..., true)` so the RLS policies see the tenant.
 * Outside `withTenant` the policies see no tenant and return nothing.
 */
import postgres from 'postgres';
import { drizzle, PostgresJsSession, PostgresJsTransaction, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
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
   * IAM auth; the URL carries host, port, user and database only). Implies TLS with the
   * server's certificate and host name verified (verify-full).
   */
  iamAuth?: { region: string };
  /** Pool size per process; Lambda wants 1-2, the local server more. */
  max?: number;
  /** Application name shown in pg_stat_activity. */
  appName?: string;
  /**
   * Named prepared statements (default: on, except through RDS Proxy, i.e. with `iamAuth`).
   * Without them postgres.js sends every parameterised query in two round trips (Parse+Describe,
   * then Bind+Execute) because it learns the parameter types from the server first; with them the
   * second and later runs of a statement on a connection take one. RDS Proxy pins a session that
   * prepares statements, which would defeat its multiplexing, so there it stays off. (Drizzle
   * sends its queries through `unsafe`, which postgres.js never prepares unless asked: see
   * `preparing`.)
   */
  prepare?: boolean;
}

/** DATABASE_PREPARE ('true'/'false'; unset: the default above) as a `prepare` option. */
export const prepareFromEnv = (value: string | undefined): boolean | undefined =>
  value === undefined ? undefined : value !== 'false';

export function connect(url: string, opts: ConnectOptions = {}): DbHandle {
  const iam = opts.iamAuth ? iamPassword(url, opts.iamAuth.region) : undefined;
  const sql = postgres(url, {
    // An IAM token is a bearer credential for 15 minutes: it goes only to a server whose
    // certificate chains to a trusted CA and names the host we dialled (RDS Proxy presents an
    // ACM certificate under the Amazon roots Node ships). 'require' would encrypt but trust anyone.
    ...(iam ? { password: iam, ssl: 'verify-full' as const } : {}),
    max: opts.max ?? 10,
    prepare: opts.prepare ?? !opts.iamAuth,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: opts.appName ?? 'svp' },
    types: { bigint: postgres.BigInt },
  });
  const db = drizzle(preparing(sql), { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/**
 * The client drizzle talks to: postgres.js with `unsafe` asking for a named prepared statement.
 * Drizzle runs every query through `unsafe(text, params, { prepare: false })` unless it was built
 * with `.prepare(name)`, so each parameterised query cost two round trips (describe, then
 * execute) and a fresh plan. Prepared, a statement is described once per connection and its plan
 * is cached (drizzle's SQL text is stable per query shape). A connection opened with
 * `prepare: false` (RDS Proxy) still prepares nothing: postgres.js checks its own option first.
 */
function preparing<S extends postgres.Sql | postgres.TransactionSql>(client: S): S {
  return new Proxy(client, {
    get(target, key, receiver) {
      if (key !== 'unsafe') return Reflect.get(target, key, receiver);
      return (text: string, args?: unknown[], options?: postgres.UnsafeQueryOptions) =>
        (target as postgres.Sql).unsafe(text, args as postgres.ParameterOrJSON<never>[], { ...options, prepare: true });
    },
  });
}

/** A password function that mints (and caches for 10 of its 15 minutes) an RDS IAM auth token. */
function iamPassword(url: string, region: string): () => Promise<string> {
  const u = new URL(url);
  let cached: { token: string; until: number } | undefined;
  return async () => {
    if (cached && cached.until > Date.now()) return cached.token;
    const token = await rdsIamToken({
      hostname: u.hostname,
      port: Number(u.port || 5432),
      username: decodeURIComponent(u.username),
      region,
    });
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
export function withTenant<T>(db: Db, ctx: TenantContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return transact(
    db,
    (c) => c`select set_config('app.org_id', ${ctx.orgId}, true), set_config('app.user_id', ${ctx.userId ?? ''}, true)`,
    fn,
  );
}

/** Runs `fn` in one transaction as a user with no tenant selected (e.g. listing their memberships). */
export function withUser<T>(db: Db, userId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return transact(db, (c) => c`select set_config('app.user_id', ${userId}, true)`, fn);
}

type PgSession = {
  dialect: ConstructorParameters<typeof PostgresJsSession>[1];
  schema: ConstructorParameters<typeof PostgresJsSession>[2];
  options: ConstructorParameters<typeof PostgresJsSession>[3];
};

/**
 * A transaction whose tenant settings travel with its first query. `db.transaction` plus a
 * separate set_config would wait for the settings' reply before `fn` could send anything; here
 * they are queued without waiting and the first query `fn` issues follows in the same write
 * (postgres.js pipelines a connection's queue). Queries on one connection run in order, and the
 * settings are queued first (one microtask before any query `fn` can issue), so nothing of `fn`
 * runs before the tenant is set; if that ever broke, RLS would see no tenant and return nothing.
 * (Not `sql.reserve()`, which would save the BEGIN round trip too: postgres.js 3.4 loses a
 * reservation that waits for a reconnect, and the caller hangs.)
 */
function transact<T>(
  db: Db,
  settings: (c: postgres.TransactionSql) => postgres.PendingQuery<postgres.Row[]>,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  const client = (db as unknown as { $client: postgres.Sql }).$client;
  const session = (db as unknown as { session: PgSession }).session;
  return client.begin(async (c) => {
    const set = settings(c).execute();
    set.catch(() => {}); // awaited below; never an unhandled rejection if `fn` fails first
    const tx = new PostgresJsTransaction(
      session.dialect,
      new PostgresJsSession(
        preparing(c) as unknown as postgres.Sql,
        session.dialect,
        session.schema,
        session.options,
      ) as never,
      session.schema,
    );
    const out = await fn(tx as unknown as Tx);
    await set; // already settled (it ran first); its failure fails the transaction
    return out;
  }) as Promise<T>;
}
