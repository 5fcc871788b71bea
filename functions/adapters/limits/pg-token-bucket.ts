/**
 * The global Freepik rate as a PostgreSQL token bucket (rate_limit_buckets, key `freepik:global`),
 * so every Lambda instance draws from the same budget. The take itself is the shared one-statement
 * bucket (functions/adapters/db/stores/rate-limit-store.ts: row lock, refill computed in SQL from updated_at); this
 * adapter adds the waiting: sleep until the next token is due, never past the caller's deadline.
 */
import { sql } from 'drizzle-orm';
import type { Clock } from '../../domain/ports.js';
import type { RateLimiter } from '../../domain/sourcing-ports.js';
import { takeToken } from '../db/stores/rate-limit-store.js';
import type { Db } from '../db/client.js';
import { realClock } from './clock.js';
import { rateLimitedError } from './rules.js';

export interface PgTokenBucketOptions {
  /** Bucket key (default `freepik:global`). */
  key?: string;
  /** Burst size. */
  capacity: number;
  refillPerSecond: number;
  /** Longest wait for a token, whatever the caller's deadline (default: up to the deadline). */
  maxWaitMs?: number;
  clock?: Clock;
  random?: () => number;
}

/** Concurrent take_token pollers per process (the rest wait, newest first). */
const MAX_POLLERS = 8;
/** Time a caller needs left after the token for its call to have a chance. */
const MIN_USEFUL_MS = 1000;

export function createPgTokenBucket(db: Db, opts: PgTokenBucketOptions): RateLimiter {
  const key = opts.key ?? 'freepik:global';
  const clock = opts.clock ?? realClock;
  const random = opts.random ?? Math.random;
  const spec = { key, capacity: opts.capacity, refillPerSecond: opts.refillPerSecond };
  // The take locks an existing row; two first-ever takes racing on a missing row could both see a
  // full bucket. Creating the row first (once per instance) removes that window.
  let ensured: Promise<unknown> | undefined;
  const ensure = () =>
    (ensured ??= db
      .execute(sql`
    insert into rate_limit_buckets (key, tokens, capacity, refill_per_second)
    values (${key}, ${spec.capacity}, ${spec.capacity}, ${spec.refillPerSecond})
    on conflict (key) do nothing`)
      .catch((e) => {
        ensured = undefined;
        throw e;
      }));
  // A few pollers per process, the rest wait here: with hundreds of callers waiting at once
  // (bench/throughput.ts, 1,000 requests), each re-polling the one bucket row every refill tick
  // made take_token over 80% of the database's time and starved every other query of
  // connections. The PostgreSQL row stays the cross-process authority.
  // Newest first (LIFO): a request needs two calls in a row (search, then download); in a FIFO
  // line its download waited behind every other request's search, past its deadline, and the
  // retry bought a new search — under a burst almost nothing got through. LIFO lets a request
  // that just got its search finish; the oldest waiters time out into the workflow's backoff.
  const waiting: Array<() => void> = [];
  let polling = 0;
  const inOrder: RateLimiter['acquire'] = async (args) => {
    // maxWaitMs counts from here: time in the line is time waited.
    const enteredAt = clock.now();
    if (polling >= MAX_POLLERS) await new Promise<void>((resolve) => waiting.push(resolve));
    else polling++;
    try {
      return await acquire(args, enteredAt);
    } finally {
      const next = waiting.pop();
      if (next) next();
      else polling--;
    }
  };
  const acquire = async (
    { deadline: callerDeadline, signal }: Parameters<RateLimiter['acquire']>[0],
    enteredAt: number,
  ): Promise<void> => {
    const deadline =
      opts.maxWaitMs === undefined ? callerDeadline : Math.min(callerDeadline, enteredAt + opts.maxWaitMs);
    await ensure();
    for (;;) {
      signal?.throwIfAborted();
      // A caller whose time ran out in the queue must not spend a token it can no longer use.
      if (callerDeadline - clock.now() < MIN_USEFUL_MS) throw rateLimitedError(key, MIN_USEFUL_MS);
      const r = await takeToken(db, spec);
      if (r.allowed) return;
      const due = Math.ceil(((1 - r.remaining) / spec.refillPerSecond) * 1000);
      // A little jitter so waiters woken by the same refill do not all collide on the row.
      const waitMs = due + Math.floor(random() * Math.min(50, due / 2 + 1));
      if (clock.now() + due > deadline) throw rateLimitedError(key, due);
      await clock.sleep(Math.min(waitMs, Math.max(0, deadline - clock.now())), signal);
    }
  };
  return { acquire: inOrder };
}
