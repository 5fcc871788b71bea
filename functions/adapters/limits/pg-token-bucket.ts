/**
 * The global Freepik rate as a PostgreSQL token bucket (rate_limit_buckets, key `freepik:global`),
 * so every Lambda instance draws from the same budget. The take itself is the shared one-statement
 * bucket (functions/app/rate-limit.ts: row lock, refill computed in SQL from updated_at); this
 * adapter adds the waiting: sleep until the next token is due, never past the caller's deadline.
 */
import type { Clock, RateLimiter } from '../../domain/sourcing-ports.js';
import { takeToken } from '../../app/rate-limit.js';
import type { Db } from '../db/client.js';
import { realClock } from './clock.js';
import { rateLimitedError } from './rules.js';

export interface PgTokenBucketOptions {
  /** Bucket key (default `freepik:global`). */
  key?: string;
  /** Burst size. */
  capacity: number;
  refillPerSecond: number;
  clock?: Clock;
  random?: () => number;
}

export function createPgTokenBucket(db: Db, opts: PgTokenBucketOptions): RateLimiter {
  const key = opts.key ?? 'freepik:global';
  const clock = opts.clock ?? realClock;
  const random = opts.random ?? Math.random;
  const spec = { key, capacity: opts.capacity, refillPerSecond: opts.refillPerSecond };
  return {
    async acquire({ deadline, signal }) {
      for (;;) {
        signal?.throwIfAborted();
        const r = await takeToken(db, spec);
        if (r.allowed) return;
        const due = Math.ceil(((1 - r.remaining) / spec.refillPerSecond) * 1000);
        // A little jitter so waiters woken by the same refill do not all collide on the row.
        const waitMs = due + Math.floor(random() * Math.min(50, due / 2 + 1));
        if (clock.now() + due > deadline) throw rateLimitedError(key, due);
        await clock.sleep(Math.min(waitMs, Math.max(0, deadline - clock.now())), signal);
      }
    },
  };
}
