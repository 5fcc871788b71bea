/** Test doubles for the Freepik client: a clock that never waits, and a scripted fetch. */
import sharp from 'sharp';
import type { Clock } from '../../../functions/domain/ports.js';

export interface FakeClock extends Clock {
  /** Every sleep asked for, in ms. */
  sleeps: number[];
  advance(ms: number): void;
}

/** Time moves only when code sleeps (or the test advances it). */
export function fakeClock(start = Date.UTC(2026, 0, 15, 12)): FakeClock {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      t += ms;
    },
  };
}

export interface ScriptedResponse {
  status?: number;
  body?: string | object;
  headers?: Record<string, string>;
  /** Reject instead of answering (e.g. a connection reset). */
  error?: unknown;
  /** Never answer (until the request's signal aborts). */
  hang?: boolean;
}
export interface SeenRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** A fetch that answers from a script, in order, and remembers what it was asked. */
export function scriptedFetch(script: ScriptedResponse[]) {
  const seen: SeenRequest[] = [];
  const fn = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const headers = Object.fromEntries(
      Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    seen.push({ url: String(input), method: init.method ?? 'GET', headers, body: init.body as string | undefined });
    const next = script.shift();
    if (!next) throw new Error(`unexpected request #${seen.length}: ${String(input)}`);
    if (next.error) throw next.error;
    if (next.hang) {
      return new Promise<Response>((_, reject) => {
        const s = init.signal!;
        if (s.aborted) reject(s.reason);
        s.addEventListener('abort', () => reject(s.reason), { once: true });
      });
    }
    const body =
      typeof next.body === 'string' || next.body === undefined ? (next.body ?? '') : JSON.stringify(next.body);
    return new Response(body, {
      status: next.status ?? 200,
      headers: { 'content-type': 'application/json', ...next.headers },
    });
  }) as typeof fetch;
  return { fetch: fn, seen, remaining: () => script.length };
}

/** A fetch failure the way undici reports a reset connection. */
export const connectionReset = () =>
  Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
  });

export const tinyJpeg = (w = 8, h = 6) =>
  sharp({ create: { width: w, height: h, channels: 3, background: '#3366cc' } })
    .jpeg()
    .toBuffer();
export const tinyPng = (w = 8, h = 6) =>
  sharp({ create: { width: w, height: h, channels: 4, background: '#cc6633' } })
    .png()
    .toBuffer();
export const tinyWebp = (w = 8, h = 6) =>
  sharp({ create: { width: w, height: h, channels: 3, background: '#33cc66' } })
    .webp()
    .toBuffer();
