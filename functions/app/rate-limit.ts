/**
 * A token bucket in PostgreSQL (rate_limit_buckets), shared by every Lambda instance. One statement
 * per take: the row lock is held only for that statement (when run outside a transaction), so a
 * hot tenant serialises on a short update rather than on whole requests.
 */
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../adapters/db/client.js';

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
  // `cur` locks the bucket (FOR UPDATE re-reads the newest version under concurrency), `calc`
  // refills it by elapsed time (capped), the upsert writes the result. clock_timestamp(), not
  // now(), so a take inside a longer transaction still measures real time.
  const rows = await db.execute<{ avail: number }>(sql`
    with cur as (
      select tokens, updated_at from rate_limit_buckets where key = ${spec.key} for update
    ), calc as (
      select least(${spec.capacity}::float8,
                   coalesce(cur.tokens + extract(epoch from clock_timestamp() - cur.updated_at)::float8 * ${spec.refillPerSecond}::float8,
                            ${spec.capacity}::float8)) as avail
      from (select 1) one left join cur on true
    ), up as (
      insert into rate_limit_buckets as b (key, tokens, capacity, refill_per_second, updated_at)
      select ${spec.key}, case when avail >= 1 then avail - 1 else avail end, ${spec.capacity}, ${spec.refillPerSecond}, clock_timestamp()
      from calc
      on conflict (key) do update set tokens = excluded.tokens, capacity = excluded.capacity,
        refill_per_second = excluded.refill_per_second, updated_at = excluded.updated_at
    )
    select avail from calc`);
  const avail = Number(rows[0].avail);
  if (avail >= 1) return { allowed: true, remaining: avail - 1, retryAfterSeconds: 0 };
  return { allowed: false, remaining: avail, retryAfterSeconds: Math.max(1, Math.ceil((1 - avail) / spec.refillPerSecond)) };
}

/** The tenant API bucket: `api_rate_limit_per_minute` as both burst and per-minute refill. */
export const apiBucketFor = (orgId: string, perMinute: number): BucketSpec => ({
  key: `api:org:${orgId}`,
  capacity: Math.max(1, perMinute),
  refillPerSecond: Math.max(1, perMinute) / 60,
});
