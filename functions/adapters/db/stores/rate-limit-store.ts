/**
 * A token bucket in PostgreSQL (rate_limit_buckets), shared by every Lambda instance. One statement
 * per take: the row lock is held only for that statement (when run outside a transaction), so a
 * hot tenant serialises on a short update rather than on whole requests. The tenant API limit uses
 * the same SQL function through app.api_gate (runApiGate below).
 */
import { sql } from 'drizzle-orm';
import type { Db, GateRow, Tx } from '../client.js';

export interface BucketSpec {
  /** e.g. `api:org:<orgId>`. */
  key: string;
  /** Burst size. */
  capacity: number;
  refillPerSecond: number;
}

export interface TakeResult {
  allowed: boolean;
  /** Tokens left after this take (fractional). */
  remaining: number;
  /** Whole seconds until a token is available again (0 when allowed). */
  retryAfterSeconds: number;
}

/** Takes one token; a denied take consumes nothing. Capacity/rate changes apply from the next take. */
export async function takeToken(db: Db | Tx, spec: BucketSpec): Promise<TakeResult> {
  // app.take_token (migration 0010) is the single implementation of the bucket: row locked
  // FOR UPDATE, refill from updated_at by clock_timestamp(), capped at capacity.
  const rows = await db.execute<{ avail: number }>(
    sql`select app.take_token(${spec.key}, ${spec.capacity}::float8, ${spec.refillPerSecond}::float8) as avail`,
  );
  const avail = Number(rows[0].avail);
  if (avail >= 1) return { allowed: true, remaining: avail - 1, retryAfterSeconds: 0 };
  return {
    allowed: false,
    remaining: avail,
    retryAfterSeconds: Math.max(1, Math.ceil((1 - avail) / spec.refillPerSecond)),
  };
}

/**
 * The API gate on its own (migration 0010): membership under the tenant policies + one take from
 * the tenant's bucket, in one round trip. `gatedTenantRead` (client.ts) sends the same statement
 * with the reads that follow it.
 */
export async function runApiGate(
  db: Db,
  orgId: string,
  userId: string,
  rateLimit: boolean,
): Promise<GateRow | undefined> {
  const rows = await db.execute<GateRow>(
    sql`select * from app.api_gate(${orgId}::uuid, ${userId}::uuid, ${rateLimit})`,
  );
  return rows[0];
}
