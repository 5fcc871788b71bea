/**
 * Fault injection: what makes the emulator hostile on purpose. A plan holds ordered rules (the
 * first matching rule with calls left wins), seeded random 429/503 for load tests, and extra
 * latency. Faults that replace the whole answer are applied here, before the route runs; faults
 * that corrupt a payload (non-image bytes, pixel bombs, Mystic statuses) are read by the routes.
 */
import type http from 'node:http';
import { NON_IMAGE_BYTES, pixelBombPng, renderThemedImage, seededRandom } from './images.js';
import { type EmulatorCall, errorBody, type Reply, send, sleep } from './replies.js';

export type Fault =
  /** Answer with this status and a contract-shaped error body (Retry-After when given). */
  | { kind: 'status'; status: number; retryAfter?: string; body?: string }
  /** Wait before answering normally. */
  | { kind: 'slow'; delayMs: number }
  /** 200 with a truncated JSON body. */
  | { kind: 'malformed_json' }
  /** Destroy the connection without answering (ECONNRESET / socket closed). */
  | { kind: 'reset' }
  /** Image bytes replaced by an HTML page (files and text-to-image). */
  | { kind: 'non_image' }
  /** Image bytes replaced by a tiny PNG claiming huge dimensions (files and text-to-image). */
  | { kind: 'pixel_bomb'; width?: number; height?: number }
  /** 302 to `location` (default the cloud metadata address). */
  | { kind: 'redirect'; location?: string; status?: number }
  /** A body of `bytes` bytes (JPEG magic then zeros); Content-Length declared unless `declareLength` is false. */
  | { kind: 'oversize'; bytes: number; declareLength?: boolean }
  /** Mystic polls report this status (FAILED, CANCELLED, anything). */
  | { kind: 'mystic_status'; status: string }
  /** 429 whose message says the key's daily cap (e.g. stock downloads per day) is used up. */
  | { kind: 'daily_limit'; message?: string };

export interface FaultRule {
  /**
   * Which calls: an endpoint template (`GET /v1/resources`, `GET /v1/resources/{id}/download`,
   * `POST /v1/ai/text-to-image`, `POST /v1/ai/mystic`, `GET /v1/ai/mystic/{task_id}`,
   * `GET /files/{token}`), `api` (every /v1 call), `files`, or `*` (default).
   */
  match?: string;
  /** Apply to the next N matching calls, then stop (default: every matching call). */
  times?: number;
  fault: Fault;
}

export interface FaultPlan {
  rules?: FaultRule[];
  /** Seeded random 429/503 on matching calls (default `api`), for load tests. */
  random?: { seed?: number; rate429?: number; rate503?: number; retryAfter?: string; match?: string };
  /** Extra latency on every answer. */
  latencyMs?: number;
  /** Plus a seeded random 0..latencyJitterMs per answer (load tests: realistic, varying latency). */
  latencyJitterMs?: number;
}

export interface FaultInjector {
  /** Replaces the plan; "next N calls" counts and random sequences start over. */
  set(plan: FaultPlan): void;
  /** The fault for this call, if any (consumes one of a rule's `times`). */
  take(endpoint: string): Fault | undefined;
  /** The plan's extra latency for this answer. */
  latencyMs(): number;
}

const matches = (match: string | undefined, endpoint: string) =>
  !match ||
  match === '*' ||
  match === endpoint ||
  (match === 'api' && endpoint.includes(' /v1/')) ||
  (match === 'files' && endpoint.startsWith('GET /files'));

export function createFaultInjector(initial: FaultPlan): FaultInjector {
  let plan: FaultPlan = {};
  let ruleLeft: (number | undefined)[] = [];
  // Two sequences, so adding latency jitter does not change which calls get a random 429.
  let rng = seededRandom(1);
  let jitterRng = seededRandom(2);
  const set = (f: FaultPlan) => {
    plan = f;
    ruleLeft = (f.rules ?? []).map((r) => r.times);
    rng = seededRandom(f.random?.seed ?? 1);
    jitterRng = seededRandom((f.random?.seed ?? 1) + 1);
  };
  set(initial);

  function take(endpoint: string): Fault | undefined {
    const rules = plan.rules ?? [];
    for (let i = 0; i < rules.length; i++) {
      if (!matches(rules[i].match, endpoint)) continue;
      const left = ruleLeft[i];
      if (left !== undefined) {
        if (left <= 0) continue;
        ruleLeft[i] = left - 1;
      }
      return rules[i].fault;
    }
    const r = plan.random;
    if (r && matches(r.match ?? 'api', endpoint)) {
      const x = rng();
      if (x < (r.rate429 ?? 0)) return { kind: 'status', status: 429, retryAfter: r.retryAfter };
      if (x < (r.rate429 ?? 0) + (r.rate503 ?? 0)) return { kind: 'status', status: 503 };
    }
    return undefined;
  }

  const latencyMs = () =>
    (plan.latencyMs ?? 0) + (plan.latencyJitterMs ? Math.floor(jitterRng() * plan.latencyJitterMs) : 0);
  return { set, take, latencyMs };
}

const DAILY_LIMIT_MESSAGE =
  'Daily limit reached: this API key may download 100 resources per day. The limit resets at 00:00 UTC.';
const METADATA_URL = 'http://169.254.169.254/latest/meta-data/iam/security-credentials/';

/** The exchange a fault may take over. */
export interface FaultExchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  call: EmulatorCall;
  endpoint: string;
  isApi: boolean;
}

/**
 * Applies a fault that replaces or delays the answer. Returns true when the exchange is over
 * (answered or dropped); false when the route should answer (possibly reading the fault itself).
 */
export async function applyFault(x: FaultExchange, fault: Fault | undefined): Promise<boolean> {
  const { req, res, call } = x;
  switch (fault?.kind) {
    case 'status':
      send(res, call, statusReply(fault));
      return true;
    case 'daily_limit':
      send(res, call, { status: 429, json: errorBody(fault.message ?? DAILY_LIMIT_MESSAGE) });
      return true;
    case 'reset':
      call.status = -1;
      req.socket.destroy();
      return true;
    case 'slow':
      await sleep(fault.delayMs);
      // The client gave up meanwhile: nothing to answer.
      if (res.destroyed || req.socket.destroyed) {
        call.status = -1;
        return true;
      }
      return false;
    case 'malformed_json':
      if (!x.isApi) return false;
      send(res, call, {
        status: 200,
        raw: '{"data":[{"id":1,"title":"trunc',
        headers: { 'content-type': 'application/json' },
      });
      return true;
    case 'redirect':
      send(res, call, { status: fault.status ?? 302, raw: '', headers: { location: fault.location ?? METADATA_URL } });
      return true;
    case 'oversize':
      if (x.endpoint !== 'GET /files/{token}') return false;
      sendOversize(res, call, fault.bytes, fault.declareLength !== false);
      return true;
    default:
      return false;
  }
}

function statusReply(fault: Extract<Fault, { kind: 'status' }>): Reply {
  return {
    status: fault.status,
    raw: fault.body ?? JSON.stringify(errorBody(fault.status === 429 ? 'Too many requests' : 'Internal server error')),
    headers: {
      'content-type': 'application/json',
      ...(fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {}),
    },
  };
}

/** Streams `bytes` bytes with back-pressure, so a client's byte cap (not our memory) is what is tested. */
function sendOversize(res: http.ServerResponse, call: EmulatorCall, bytes: number, declare: boolean): void {
  call.status = 200;
  res.writeHead(200, { 'content-type': 'image/jpeg', ...(declare ? { 'content-length': String(bytes) } : {}) });
  const chunk = Buffer.alloc(64 * 1024);
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]).copy(chunk);
  let sent = 0;
  const pump = () => {
    while (sent < bytes && !res.destroyed) {
      const n = Math.min(chunk.length, bytes - sent);
      sent += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  res.on('close', () => {
    sent = bytes;
  });
  pump();
}

/** A JPEG of the theme, unless the fault swaps the bytes for a hostile payload. */
export async function imagePayload(theme: string, w: number, h: number, fault: Fault | undefined): Promise<Buffer> {
  if (fault?.kind === 'non_image') return NON_IMAGE_BYTES;
  if (fault?.kind === 'pixel_bomb') return pixelBombPng(fault.width, fault.height);
  return renderThemedImage(theme, w, h, 'jpeg');
}
