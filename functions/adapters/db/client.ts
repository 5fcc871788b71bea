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

/** The connection a gated read builds its queries on (postgres.js tagged templates, not yet sent). */
export type ReadConnection = postgres.Sql;

/** The read of a gated request: its queries, issued on the given connection, and how their rows become the result. */
export interface TenantReads<T> {
  /** Sent in this order, after the tenant settings and before COMMIT; they must not have been awaited. */
  queries: Array<
    postgres.PendingQuery<postgres.Row[]> | postgres.PendingQuery<postgres.Row[] & Iterable<postgres.Row>[]>
  >;
  map(results: postgres.Row[][]): T | Promise<T>;
}

/** A read as the tenant, built on the connection it will run on. */
export type TenantRead<T> = (c: ReadConnection) => TenantReads<T>;

/** The API gate's verdict (app.api_gate); no row: not an active member. */
export type GateRow = {
  role: string | null;
  rate_limit_per_minute: number;
  allowed: boolean;
  retry_after_seconds: number;
};

export interface GatedReadInput {
  orgId: string;
  userId: string;
  /** Roles whose permission covers the route: the tenant is set only for a caller admitted with one of them. */
  roles: readonly string[];
  rateLimit: boolean;
}

// The gate stays a statement of its own, outside the transaction: inside it the bucket row's lock
// would be held until COMMIT and a busy tenant's requests would queue behind each other. The
// transaction does not trust anything the gate left behind (through RDS Proxy the two may run on
// different server connections): it sets the tenant from the membership itself, read again with
// the same function and no token taken, and only for a role allowed on the route. So a caller who
// is not a member or has the wrong role reads with no tenant: RLS returns nothing. A member out of
// tokens reads as the tenant, but the verdict (429) is judged before anything read is used.
const GATE = `select g.role::text as role, g.rate_limit_per_minute, g.allowed, g.retry_after_seconds
  from app.api_gate($1::uuid, $2::uuid, $3::boolean) g`;
const TENANT_FROM_MEMBERSHIP = `select
  set_config('app.org_id', case when m.role = any($3::text[]) then $1::uuid::text else '' end, true),
  set_config('app.user_id', case when m.role = any($3::text[]) then $2::uuid::text else '' end, true)
  from (select (select g.role::text from app.api_gate($1::uuid, $2::uuid, false) g) as role) m`;

/**
 * A gated tenant read in ONE round trip: the API gate, BEGIN, the tenant settings, every read and
 * COMMIT are queued on one reserved connection and leave in one write (postgres.js pipelines a
 * connection's queue; with prepared statements none of them waits for a Describe). Returns the
 * gate's row (undefined: not a member) and, when the caller was admitted, the reads' result; the
 * caller judges the verdict (functions/app/access.ts) before using anything.
 *
 * Every read runs inside the transaction that set the tenant: the queries are issued in order
 * before COMMIT, and all of them settle before the connection goes back. With `prepare: false`
 * (RDS Proxy) it stays correct, but postgres.js then describes each parameterised statement
 * before sending it, so the pipeline takes several round trips.
 */
export async function gatedTenantRead<T>(
  db: Db,
  input: GatedReadInput,
  reads: TenantRead<T>,
): Promise<{ gate: GateRow | undefined; result: T | undefined }> {
  const client = (db as unknown as { $client: postgres.Sql }).$client;
  const c = await client.reserve();
  try {
    const gate = c.unsafe(GATE, [input.orgId, input.userId, input.rateLimit], { prepare: true });
    const begin = c.unsafe('begin');
    const tenant = c.unsafe(TENANT_FROM_MEMBERSHIP, [input.orgId, input.userId, input.roles as string[]], {
      prepare: true,
    });
    const plan = reads(c);
    const commit = c.unsafe('commit');
    const sent = [gate, begin, tenant, ...plan.queries, commit];
    for (const q of sent) q.execute(); // in this order, before anything is awaited
    const settled = await Promise.allSettled(sent);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const rows = settled.map((s) => (s as PromiseFulfilledResult<postgres.Row[]>).value);
    const g = rows[0][0] as GateRow | undefined;
    const admitted = g?.role != null && g.allowed && input.roles.includes(g.role);
    return { gate: g, result: admitted ? await plan.map(rows.slice(3, 3 + plan.queries.length)) : undefined };
  } finally {
    c.release();
  }
}

/**
 * A tenant read without the API gate, for callers that already know their tenant (the workflow,
 * jobs, tests): the settings and the reads pipelined in one transaction, like `withTenant`.
 */
export function tenantRead<T>(db: Db, ctx: TenantContext, read: TenantRead<T>): Promise<T> {
  const client = (db as unknown as { $client: postgres.Sql }).$client;
  return client.begin(async (c) => {
    const set = c.unsafe(
      `select set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)`,
      [ctx.orgId, ctx.userId ?? ''],
      { prepare: true },
    );
    const plan = read(c as unknown as ReadConnection);
    const sent = [set, ...plan.queries];
    for (const q of sent) q.execute();
    const rows = (await Promise.all(sent)) as postgres.Row[][];
    return plan.map(rows.slice(1));
  }) as Promise<T>;
}
