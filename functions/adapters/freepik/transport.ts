/**
 * The HTTP side of the Freepik client, shared by every endpoint: base URL and key header, a token
 * from the shared rate limiter per attempt, a timeout per attempt inside one deadline per call,
 * retries (retry.ts), one api_usage row per attempt through the UsageRecorder port, and the
 * mapping of failures to AppErrors (upstream-errors.ts). Endpoints only say what to send and how
 * to read the answer.
 */
import type { z } from 'zod';
import type { Clock } from '../../domain/ports.js';
import type { RateLimiter, UsageOutcome, UsageRecorder } from '../../domain/sourcing-ports.js';
import { parseRetryAfter } from '../../domain/sourcing.js';
import { AppError } from '../../shared/errors.js';
import { realClock } from '../limits/clock.js';
import type { Resolver } from '../safe-fetch/address-policy.js';
import { type DownloadPolicy, fetchImage, type SafeImage } from '../safe-fetch/safe-fetch.js';
import type { FreepikConfig, Price } from './config.js';
import { exhausted, type RetryPolicy, withRetries } from './retry.js';
import {
  errorCodeOf,
  httpError,
  isDailyLimit,
  isRetryableStatus,
  mayHaveRun,
  networkError,
  timeoutError,
  uncertain,
} from './upstream-errors.js';

export const PROVIDER = 'freepik';

/** Endpoint templates as recorded in api_usage.endpoint. */
export const ENDPOINTS = {
  search: 'GET /v1/resources',
  detail: 'GET /v1/resources/{id}',
  downloadLink: 'GET /v1/resources/{id}/download',
  downloadFile: 'GET {signed-download-url}',
  textToImage: 'POST /v1/ai/text-to-image',
  mysticCreate: 'POST /v1/ai/mystic',
  mysticGet: 'GET /v1/ai/mystic/{task_id}',
  mysticFile: 'GET {mystic-generated-url}',
  /** A search hit's preview image on the CDN: free, no key, used to judge a candidate's colours. */
  preview: 'GET {preview-url}',
} as const;

/** Who a call is for, and how long it may take. */
export interface CallContext {
  orgId: string;
  /** Content request (uuid) the call serves; stored on the usage rows. */
  requestId?: string | null;
  signal?: AbortSignal;
  /** Epoch-ms deadline of this logical call (never later than now + config.deadlineMs). */
  deadline?: number;
}

export type ClientConfig = Pick<
  FreepikConfig,
  | 'baseUrl'
  | 'keyHeader'
  | 'timeoutMs'
  | 'maxRetries'
  | 'deadlineMs'
  | 'backoff'
  | 'maxRetryAfterMs'
  | 'mystic'
  | 'download'
  | 'pricing'
> & { apiKey: string };

export interface FreepikClientDeps {
  config: ClientConfig;
  /** Receives one row per HTTP attempt. */
  recorder: UsageRecorder;
  /** Shared Freepik rate (one token per API attempt; downloads from the CDN take none). */
  rateLimiter?: RateLimiter;
  fetch?: typeof fetch;
  clock?: Clock;
  random?: () => number;
  /** DNS for downloads (tests inject answers). */
  resolve?: Resolver;
  /** Called when a usage row could not be written (the call itself is not failed for it). */
  onRecordError?: (e: unknown, row: unknown) => void;
}

/** One JSON API call as an endpoint describes it. */
export interface JsonRequest<T> {
  endpoint: string;
  method: 'GET' | 'POST';
  path: string;
  query?: [string, string][];
  body?: unknown;
  schema: z.ZodType<T>;
  /** Credits/cost of a successful attempt. */
  price?: (data: T) => Price;
}

export interface FreepikTransport {
  config: ClientConfig;
  clock: Clock;
  /** Attempts `req` (retried while transient) within the call's deadline; returns the parsed body. */
  callJson<T>(ctx: CallContext, req: JsonRequest<T>): Promise<{ data: T; spent: Price }>;
  /** A keyless GET of an image URL through the safe downloader, retried and metered per hop. */
  download(ctx: CallContext, url: string, endpoint: string, policy: DownloadPolicy): Promise<SafeImage>;
}

/** The resolved dependencies every attempt uses. */
interface TransportDeps {
  config: ClientConfig;
  recorder: UsageRecorder;
  rateLimiter?: RateLimiter;
  fetch: typeof fetch;
  clock: Clock;
  random: () => number;
  resolve?: Resolver;
  onRecordError: (e: unknown, row: unknown) => void;
  retryPolicy: RetryPolicy;
}

interface UsageRow {
  endpoint: string;
  method: string;
  statusCode: number | null;
  outcome: UsageOutcome;
  latencyMs: number;
  retryNumber: number;
  errorCode?: string | null;
  price?: Price;
}

/** Records one attempt's usage row; the endpoint, method and retry number are already known. */
type Meter = (row: Omit<UsageRow, 'endpoint' | 'method' | 'retryNumber'>) => Promise<void>;

/** A received answer (any status) with how long it took. */
interface Answer {
  status: number;
  headers: Headers;
  text: string;
  latencyMs: number;
}

const FREE: Price = { credits: 0, costUsd: 0 };

export function createFreepikTransport(deps: FreepikClientDeps): FreepikTransport {
  const { config } = deps;
  const resolved: TransportDeps = {
    config,
    recorder: deps.recorder,
    rateLimiter: deps.rateLimiter,
    fetch: deps.fetch ?? globalThis.fetch,
    clock: deps.clock ?? realClock,
    random: deps.random ?? Math.random,
    resolve: deps.resolve,
    onRecordError:
      deps.onRecordError ??
      ((e) => console.error(JSON.stringify({ level: 'ERROR', msg: 'usage row not recorded', error: String(e) }))),
    retryPolicy: { maxRetries: config.maxRetries, backoff: config.backoff, maxRetryAfterMs: config.maxRetryAfterMs },
  };
  return {
    config,
    clock: resolved.clock,
    callJson: (ctx, req) => callJson(resolved, ctx, req),
    download: (ctx, url, endpoint, policy) => download(resolved, ctx, url, endpoint, policy),
  };
}

// A caller's deadline (e.g. the Lambda's remaining time) can shorten a call, never lengthen it.
const deadlineOf = (w: TransportDeps, ctx: CallContext) =>
  Math.min(ctx.deadline ?? Infinity, w.clock.now() + w.config.deadlineMs);

async function recordUsage(w: TransportDeps, ctx: CallContext, row: UsageRow): Promise<void> {
  const full = {
    organizationId: ctx.orgId,
    requestId: ctx.requestId ?? null,
    provider: PROVIDER,
    endpoint: row.endpoint,
    method: row.method,
    statusCode: row.statusCode,
    outcome: row.outcome,
    latencyMs: Math.max(0, Math.round(row.latencyMs)),
    credits: row.price?.credits ?? 0,
    costUsd: row.price?.costUsd ?? 0,
    retryNumber: row.retryNumber,
    errorCode: row.errorCode ?? null,
  };
  try {
    await w.recorder.record(full);
  } catch (e) {
    w.onRecordError(e, full);
  }
}

// Bracket keys stay literal (`filters[orientation][landscape]=1`), as the contract shows them.
const encodeKey = (k: string) => encodeURIComponent(k).replace(/%5B/gi, '[').replace(/%5D/gi, ']');

function buildUrl(baseUrl: string, path: string, query?: [string, string][]): string {
  const qs = (query ?? []).map(([k, v]) => `${encodeKey(k)}=${encodeURIComponent(v)}`).join('&');
  return `${baseUrl}${path}${qs ? `?${qs}` : ''}`;
}

async function callJson<T>(
  w: TransportDeps,
  ctx: CallContext,
  req: JsonRequest<T>,
): Promise<{ data: T; spent: Price }> {
  const deadline = deadlineOf(w, ctx);
  const rc = { deadline, signal: ctx.signal, clock: w.clock, random: w.random, label: req.endpoint };
  return withRetries(w.retryPolicy, rc, async (n) => {
    try {
      return await attemptJson(w, ctx, req, n, deadline);
    } catch (e) {
      // A paid POST has no idempotency key at Freepik: repeating one that may have been carried
      // out could charge twice. Only failures that prove it was not are retried.
      if (req.method === 'POST' && req.price && mayHaveRun(e)) throw uncertain(req.endpoint, e as AppError);
      throw e;
    }
  });
}

async function attemptJson<T>(
  w: TransportDeps,
  ctx: CallContext,
  req: JsonRequest<T>,
  retryNumber: number,
  deadline: number,
): Promise<{ data: T; spent: Price }> {
  if (w.rateLimiter) await w.rateLimiter.acquire({ deadline, signal: ctx.signal });
  const remaining = deadline - w.clock.now();
  if (remaining <= 0) throw exhausted(req.endpoint, retryNumber, undefined, 'deadline');
  const meter: Meter = (row) =>
    recordUsage(w, ctx, { endpoint: req.endpoint, method: req.method, retryNumber, ...row });
  const answer = await send(w, ctx, req, Math.min(w.config.timeoutMs, remaining), meter);
  if (answer.status >= 200 && answer.status < 300) return readJson(req, answer, meter);
  const { status, latencyMs } = answer;
  const dailyCap = status === 429 && isDailyLimit(answer.text);
  const retryable = !dailyCap && isRetryableStatus(status);
  await meter({
    statusCode: status,
    outcome: retryable ? 'retryable_error' : 'error',
    latencyMs,
    errorCode: dailyCap ? 'daily_limit' : `http_${status}`,
  });
  const retryAfterMs = retryable ? parseRetryAfter(answer.headers.get('retry-after'), w.clock.now()) : undefined;
  throw httpError(req.endpoint, status, answer.text, retryAfterMs);
}

/** One HTTP exchange; a failure before a full answer is metered and mapped here. */
async function send<T>(
  w: TransportDeps,
  ctx: CallContext,
  req: JsonRequest<T>,
  timeoutMs: number,
  meter: Meter,
): Promise<Answer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  const started = w.clock.now();
  let status: number | null = null;
  try {
    const headers: Record<string, string> = { [w.config.keyHeader]: w.config.apiKey, accept: 'application/json' };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const res = await w.fetch(buildUrl(w.config.baseUrl, req.path, req.query), {
      method: req.method,
      headers,
      signal,
      redirect: 'manual',
      body: req.body !== undefined ? JSON.stringify(req.body) : undefined,
    });
    status = res.status;
    const text = await res.text();
    return { status, headers: res.headers, text, latencyMs: w.clock.now() - started };
  } catch (e) {
    const latencyMs = w.clock.now() - started;
    if (ctx.signal?.aborted) {
      await meter({ statusCode: status, outcome: 'error', latencyMs, errorCode: 'aborted' });
      throw ctx.signal.reason;
    }
    if (timeout.aborted) {
      await meter({ statusCode: status, outcome: 'timeout', latencyMs, errorCode: 'timeout' });
      throw timeoutError(req.endpoint, status, e);
    }
    const code = errorCodeOf(e);
    await meter({ statusCode: status, outcome: 'network_error', latencyMs, errorCode: code });
    throw networkError(req.endpoint, code, status, e);
  }
}

/** A 2xx answer: JSON in the endpoint's shape, or an error that says which of the two it was not. */
async function readJson<T>(req: JsonRequest<T>, answer: Answer, meter: Meter): Promise<{ data: T; spent: Price }> {
  const { status, latencyMs } = answer;
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    await meter({ statusCode: status, outcome: 'retryable_error', latencyMs, errorCode: 'malformed_json' });
    throw new AppError('upstream_unavailable', `${req.endpoint} answered with a body that is not JSON`, {
      retryable: true,
      detail: { endpoint: req.endpoint, reason: 'malformed_json', status },
    });
  }
  const parsed = req.schema.safeParse(json);
  if (!parsed.success) {
    // Parseable but not the contract's shape: retrying will not fix it.
    await meter({ statusCode: status, outcome: 'error', latencyMs, errorCode: 'unexpected_response' });
    throw new AppError('upstream_rejected', `${req.endpoint} answered in an unexpected shape`, {
      detail: {
        endpoint: req.endpoint,
        reason: 'unexpected_response',
        status,
        issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`),
      },
    });
  }
  const spent = req.price?.(parsed.data) ?? FREE;
  await meter({ statusCode: status, outcome: 'success', latencyMs, price: spent });
  return { data: parsed.data, spent };
}

async function download(
  w: TransportDeps,
  ctx: CallContext,
  url: string,
  endpoint: string,
  policy: DownloadPolicy,
): Promise<SafeImage> {
  const deadline = deadlineOf(w, ctx);
  const rc = { deadline, signal: ctx.signal, clock: w.clock, random: w.random, label: endpoint };
  return withRetries(w.retryPolicy, rc, async (n) => {
    const remaining = deadline - w.clock.now();
    if (remaining <= 0) throw exhausted(endpoint, n, undefined, 'deadline');
    return fetchImage(
      url,
      { ...policy, timeoutMs: Math.min(policy.timeoutMs, remaining) },
      {
        signal: ctx.signal,
        resolve: w.resolve,
        now: w.clock.now,
        onHop: (h) =>
          recordUsage(w, ctx, {
            endpoint,
            method: 'GET',
            statusCode: h.statusCode,
            outcome: h.outcome,
            latencyMs: h.latencyMs,
            retryNumber: n,
            errorCode: h.errorCode,
          }),
      },
    );
  });
}
