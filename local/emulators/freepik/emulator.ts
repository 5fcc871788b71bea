/**
 * A local Freepik API (../shared/freepik-api.md) so the product runs without a key: stock search
 * with bracket filters and pagination, detail, download links signed on this server (they
 * expire), text-to-image (base64 JPEG), Mystic tasks (CREATED -> IN_PROGRESS -> COMPLETED over a
 * few polls), error bodies in the contract's shape, 401 for a wrong key. Images are generated
 * procedurally at the requested size. Stock results vary like real ones, deterministically per
 * query: mostly in the colours the query suggests (coffee is brown, a gym is electric blue), some
 * off-palette or neutral, some too small for a large format, in every orientation; previews are
 * served (free, no key) in the same colours. AI images have the sizes the real API returns per
 * size / Mystic resolution, in the prompt's colours or in `styling.colors` when given.
 *
 * Fault knobs (setFaults) make it hostile on purpose: 429 with/without Retry-After, 5xx, slow
 * answers, connection resets, malformed JSON, non-image bytes, pixel bombs, oversize bodies,
 * redirects to private addresses, failing Mystic tasks, a daily-cap 429; "next N calls" rules and
 * seeded random 429/503 for load tests.
 *
 * This file starts the server; catalog.ts holds what it offers, faults.ts the knobs, routes.ts
 * (with stock-routes.ts and ai-routes.ts) the contract's endpoints.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStockCatalog } from './catalog.js';
import { createFaultInjector, type FaultPlan } from './faults.js';
import { createMysticTasks } from './mystic-tasks.js';
import type { EmulatorCall } from './replies.js';
import { type RouteContext, serve } from './routes.js';
import { createSignedFiles } from './signed-files.js';

export type { Fault, FaultPlan, FaultRule } from './faults.js';
export type { EmulatorCall } from './replies.js';

export interface EmulatorOptions {
  /** 0 (default) = a free port. */
  port?: number;
  host?: string;
  /** Latency added to every answer. */
  latencyMs?: number;
  /** Accepted key (default `emulator-key`). */
  apiKey?: string;
  /** Header carrying the key (default `x-freepik-api-key`). */
  keyHeader?: string;
  faults?: FaultPlan;
  /** How long signed file URLs stay valid (default 1 h). */
  signedUrlTtlMs?: number;
  /** Polls until a Mystic task completes (default 3: IN_PROGRESS, IN_PROGRESS, COMPLETED). */
  mysticPollsToComplete?: number;
  /** When false, premium resources answer 403 on download (default true). */
  premiumDownloadsAllowed?: boolean;
  /** Signs Mystic webhooks when a task has a webhook_url (tasks then also advance on a timer). */
  webhookSecret?: string;
  /** Timer step for webhook-driven Mystic tasks (default 200 ms). */
  mysticStepMs?: number;
}

export interface FreepikEmulator {
  url: string;
  close(): Promise<void>;
  setFaults(f: FaultPlan): void;
  calls(): EmulatorCall[];
  /** Clears calls, faults and tasks. */
  reset(): void;
}

export const EMULATOR_API_KEY = 'emulator-key';

/** A long load test must not grow the call log without bound. */
const MAX_CALLS = 100_000;
/** Only the first MB of a body is kept (the largest real request is a few KB). */
const MAX_BODY_BYTES = 1_000_000;

export async function startFreepikEmulator(opts: EmulatorOptions = {}): Promise<FreepikEmulator> {
  let baseUrl = '';
  let calls: EmulatorCall[] = [];
  const files = createSignedFiles({ ttlMs: opts.signedUrlTtlMs ?? 3_600_000, baseUrl: () => baseUrl });
  const ctx: RouteContext = {
    apiKey: opts.apiKey ?? EMULATOR_API_KEY,
    keyHeader: (opts.keyHeader ?? 'x-freepik-api-key').toLowerCase(),
    latencyMs: opts.latencyMs ?? 0,
    premiumDownloadsAllowed: opts.premiumDownloadsAllowed !== false,
    baseUrl: () => baseUrl,
    catalog: createStockCatalog(),
    files,
    tasks: createMysticTasks({
      pollsToComplete: Math.max(1, opts.mysticPollsToComplete ?? 3),
      webhookSecret: opts.webhookSecret,
      stepMs: opts.mysticStepMs ?? 200,
      fileUrl: (theme, w, h) => files.url(theme, w, h),
    }),
    faults: createFaultInjector(opts.faults ?? {}),
    log: (call) => {
      if (calls.length < MAX_CALLS) calls.push(call);
    },
  };

  const server = createServer(ctx);
  baseUrl = await listen(server, opts.port ?? 0, opts.host ?? '127.0.0.1');

  return {
    url: baseUrl,
    setFaults: (f) => ctx.faults.set(f),
    calls: () => calls.slice(),
    reset() {
      calls = [];
      ctx.faults.set({});
      ctx.tasks.clear();
    },
    async close() {
      ctx.tasks.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function createServer(ctx: RouteContext): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      void serve(ctx, req, res, Buffer.concat(chunks)).catch((e) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: `emulator error: ${String(e)}` }));
        } else res.destroy();
      });
    });
  });
}

/** Listens and returns the base URL (a free port when `port` is 0). */
async function listen(server: http.Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `http://${shown}:${addr.port}`;
}
