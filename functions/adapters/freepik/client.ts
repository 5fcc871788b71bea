/**
 * Freepik API client written against ../shared/freepik-api.md (not against our emulator).
 * Every HTTP attempt: a token from the shared rate limiter, a timeout, one api_usage row through
 * the UsageRecorder port. Transient failures (429, 5xx, timeouts, resets, unparseable bodies) are
 * retried with full-jitter backoff or Retry-After inside one deadline; 4xx are surfaced at once
 * as typed AppErrors. The client does not check quotas: the use case (image-source.ts) does that
 * before the first call.
 */
import type { z } from 'zod';
import { AppError, type FieldProblem } from '../../shared/errors.js';
import type { Clock } from '../../domain/ports.js';
import type { RateLimiter, UsageOutcome, UsageRecorder } from '../../domain/sourcing-ports.js';
import { parseRetryAfter, parseSize } from '../../domain/sourcing.js';
import { realClock } from '../limits/clock.js';
import type { Resolver } from '../safe-fetch/address-policy.js';
import { inspectImage } from '../safe-fetch/inspect-image.js';
import { fetchImage, type DownloadPolicy, type SafeImage } from '../safe-fetch/safe-fetch.js';
import type { FreepikConfig, MysticResolution, Price } from './config.js';
import { withRetries, exhausted } from './retry.js';
import {
  downloadResponseSchema,
  errorBodySchema,
  mysticResponseSchema,
  resourceDetailSchema,
  searchResponseSchema,
  textToImageResponseSchema,
  type SearchItemBody,
} from './schemas.js';

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

export type Orientation = 'landscape' | 'portrait' | 'square' | 'panoramic';
export interface SearchParams {
  term: string;
  /** 1..100 */
  page?: number;
  limit?: number;
  order?: 'relevance' | 'recent';
  filters?: {
    orientation?: Orientation[];
    contentType?: ('photo' | 'vector' | 'psd')[];
    license?: ('freemium' | 'premium')[];
    excludePeople?: boolean;
    aiGenerated?: 'excluded' | 'only';
    color?: string;
    period?: string;
  };
  language?: string;
}

export interface StockItem {
  id: number | string;
  title?: string;
  /** The resource's page on freepik.com (recorded as the licence source). */
  pageUrl?: string;
  imageType?: string;
  orientation?: string;
  previewUrl?: string;
  width?: number;
  height?: number;
  licenses: { type: string; url?: string }[];
  author?: { id?: number | string; name?: string; slug?: string };
}
export interface SearchPage {
  items: StockItem[];
  page: { current: number; last?: number; total?: number; perPage?: number };
}

export interface ResourceDetail {
  id: number | string;
  name?: string;
  type?: string;
  isAiGenerated?: boolean;
  premium?: boolean;
  pageUrl?: string;
  licenseUrl?: string;
  author?: { id?: number | string; name?: string; slug?: string };
  width?: number;
  height?: number;
}

/** `small` 1000 px, `medium` 1500, `large` 2000, `original`, or a pixel width 100..2000. */
export type ImageSize = 'small' | 'medium' | 'large' | 'original' | number;

export interface DownloadLink {
  filename?: string;
  url: string;
  signedUrl?: string;
}

export interface GeneratedImage extends SafeImage {
  hasNsfw: boolean;
}

export interface TextToImageParams {
  prompt: string;
  negativePrompt?: string;
  guidanceScale?: number;
  seed?: number;
  numImages?: number;
  size?: string;
  style?: string;
  colors?: { color: string; weight: number }[];
  filterNsfw?: boolean;
}
export interface TextToImageResult {
  images: GeneratedImage[];
  seed?: number;
  /** What the call cost (also recorded on its usage row). */
  spent: Price;
}

export interface MysticParams {
  prompt: string;
  resolution?: MysticResolution;
  aspectRatio?: string;
  model?: string;
  colors?: { color: string; weight: number }[];
  webhookUrl?: string;
  filterNsfw?: boolean;
}
export type MysticStatus = 'CREATED' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | (string & {});
export interface MysticTask {
  taskId: string;
  status: MysticStatus;
  /** Signed image URLs, filled when COMPLETED. */
  generated: string[];
  hasNsfw: boolean[];
}

export interface FreepikClient {
  search(ctx: CallContext, params: SearchParams): Promise<SearchPage>;
  getResource(ctx: CallContext, id: number | string): Promise<ResourceDetail>;
  getDownloadLink(ctx: CallContext, id: number | string, opts?: { imageSize?: ImageSize }): Promise<DownloadLink>;
  /** Download link, then a plain GET of it (no key) through the safe downloader. */
  downloadResource(
    ctx: CallContext,
    id: number | string,
    opts?: { imageSize?: ImageSize },
  ): Promise<{ filename?: string; image: SafeImage }>;
  textToImage(ctx: CallContext, params: TextToImageParams): Promise<TextToImageResult>;
  createMysticTask(ctx: CallContext, params: MysticParams): Promise<MysticTask & { spent: Price }>;
  getMysticTask(ctx: CallContext, taskId: string): Promise<MysticTask>;
  /** Polls with growing intervals until COMPLETED; FAILED, CANCELLED or unknown -> AppError; deadline -> retryable AppError. */
  waitForMysticTask(ctx: CallContext, taskId: string, opts?: { deadline?: number }): Promise<MysticTask>;
  /** Safe download of a Mystic result URL (metered). */
  downloadGenerated(ctx: CallContext, url: string): Promise<SafeImage>;
  /** Safe download of a search hit's preview (free, no key, metered at 0 credits). */
  fetchPreview(ctx: CallContext, url: string): Promise<SafeImage>;
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

interface JsonRequest<T> {
  endpoint: string;
  method: 'GET' | 'POST';
  path: string;
  query?: [string, string][];
  body?: unknown;
  schema: z.ZodType<T>;
  /** Credits/cost of a successful attempt. */
  price?: (data: T) => Price;
}

const FREE: Price = { credits: 0, costUsd: 0 };
const PREVIEW_MAX_BYTES = 3 * 1024 * 1024;
const PREVIEW_TIMEOUT_MS = 10_000;
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

export function createFreepikClient(deps: FreepikClientDeps): FreepikClient {
  const { config, recorder } = deps;
  const doFetch = deps.fetch ?? globalThis.fetch;
  const clock = deps.clock ?? realClock;
  const random = deps.random ?? Math.random;
  const onRecordError =
    deps.onRecordError ??
    ((e) => console.error(JSON.stringify({ level: 'ERROR', msg: 'usage row not recorded', error: String(e) })));
  const retryPolicy = {
    maxRetries: config.maxRetries,
    backoff: config.backoff,
    maxRetryAfterMs: config.maxRetryAfterMs,
  };

  // A caller's deadline (e.g. the Lambda's remaining time) can shorten a call, never lengthen it.
  const deadlineOf = (ctx: CallContext) => Math.min(ctx.deadline ?? Infinity, clock.now() + config.deadlineMs);

  async function record(
    ctx: CallContext,
    row: {
      endpoint: string;
      method: string;
      statusCode: number | null;
      outcome: UsageOutcome;
      latencyMs: number;
      retryNumber: number;
      errorCode?: string | null;
      price?: Price;
    },
  ) {
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
      await recorder.record(full);
    } catch (e) {
      onRecordError(e, full);
    }
  }

  function buildUrl(path: string, query?: [string, string][]): string {
    const qs = (query ?? []).map(([k, v]) => `${encodeKey(k)}=${encodeURIComponent(v)}`).join('&');
    return `${config.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  async function attemptJson<T>(
    ctx: CallContext,
    req: JsonRequest<T>,
    retryNumber: number,
    deadline: number,
  ): Promise<{ data: T; spent: Price }> {
    if (deps.rateLimiter) await deps.rateLimiter.acquire({ deadline, signal: ctx.signal });
    const remaining = deadline - clock.now();
    if (remaining <= 0) throw exhausted(req.endpoint, retryNumber, undefined, 'deadline');
    const timeout = AbortSignal.timeout(Math.min(config.timeoutMs, remaining));
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
    const started = clock.now();
    const base = { endpoint: req.endpoint, method: req.method, retryNumber };
    let status: number | null = null;
    let text: string;
    let headers: Headers;
    try {
      const headersOut: Record<string, string> = { [config.keyHeader]: config.apiKey, accept: 'application/json' };
      if (req.body !== undefined) headersOut['content-type'] = 'application/json';
      const res = await doFetch(buildUrl(req.path, req.query), {
        method: req.method,
        headers: headersOut,
        signal,
        redirect: 'manual',
        body: req.body !== undefined ? JSON.stringify(req.body) : undefined,
      });
      status = res.status;
      headers = res.headers;
      text = await res.text();
    } catch (e) {
      const latencyMs = clock.now() - started;
      if (ctx.signal?.aborted) {
        await record(ctx, { ...base, statusCode: status, outcome: 'error', latencyMs, errorCode: 'aborted' });
        throw ctx.signal.reason;
      }
      if (timeout.aborted) {
        await record(ctx, { ...base, statusCode: status, outcome: 'timeout', latencyMs, errorCode: 'timeout' });
        throw new AppError('upstream_unavailable', `${req.endpoint} timed out`, {
          retryable: true,
          detail: { endpoint: req.endpoint, reason: 'timeout', status },
          cause: e,
        });
      }
      const code = errorCodeOf(e);
      await record(ctx, { ...base, statusCode: status, outcome: 'network_error', latencyMs, errorCode: code });
      throw new AppError('upstream_unavailable', `${req.endpoint} failed (${code})`, {
        retryable: RETRYABLE_CODES.has(code) || code === 'network',
        detail: { endpoint: req.endpoint, reason: 'network', code, status },
        cause: e,
      });
    }
    const latencyMs = clock.now() - started;

    if (status >= 200 && status < 300) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        await record(ctx, {
          ...base,
          statusCode: status,
          outcome: 'retryable_error',
          latencyMs,
          errorCode: 'malformed_json',
        });
        throw new AppError('upstream_unavailable', `${req.endpoint} answered with a body that is not JSON`, {
          retryable: true,
          detail: { endpoint: req.endpoint, reason: 'malformed_json', status },
        });
      }
      const parsed = req.schema.safeParse(json);
      if (!parsed.success) {
        // Parseable but not the contract's shape: retrying will not fix it.
        await record(ctx, {
          ...base,
          statusCode: status,
          outcome: 'error',
          latencyMs,
          errorCode: 'unexpected_response',
        });
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
      await record(ctx, { ...base, statusCode: status, outcome: 'success', latencyMs, price: spent });
      return { data: parsed.data, spent };
    }

    const dailyCap = status === 429 && isDailyLimit(text);
    const retryable = !dailyCap && (status === 408 || status === 429 || status >= 500);
    await record(ctx, {
      ...base,
      statusCode: status,
      outcome: retryable ? 'retryable_error' : 'error',
      latencyMs,
      errorCode: dailyCap ? 'daily_limit' : `http_${status}`,
    });
    throw httpError(
      req.endpoint,
      status,
      text,
      retryable ? parseRetryAfter(headers.get('retry-after'), clock.now()) : undefined,
    );
  }

  async function callJson<T>(ctx: CallContext, req: JsonRequest<T>): Promise<{ data: T; spent: Price }> {
    const deadline = deadlineOf(ctx);
    return withRetries(retryPolicy, { deadline, signal: ctx.signal, clock, random, label: req.endpoint }, async (n) => {
      try {
        return await attemptJson(ctx, req, n, deadline);
      } catch (e) {
        // A paid POST has no idempotency key at Freepik: repeating one that may have been carried
        // out could charge twice. Only failures that prove it was not are retried.
        if (req.method === 'POST' && req.price && mayHaveRun(e)) throw uncertain(req.endpoint, e as AppError);
        throw e;
      }
    });
  }

  async function download(ctx: CallContext, url: string, endpoint: string, policy: DownloadPolicy): Promise<SafeImage> {
    const deadline = deadlineOf(ctx);
    return withRetries(retryPolicy, { deadline, signal: ctx.signal, clock, random, label: endpoint }, async (n) => {
      const remaining = deadline - clock.now();
      if (remaining <= 0) throw exhausted(endpoint, n, undefined, 'deadline');
      return fetchImage(
        url,
        { ...policy, timeoutMs: Math.min(policy.timeoutMs, remaining) },
        {
          signal: ctx.signal,
          resolve: deps.resolve,
          now: clock.now,
          onHop: (h) =>
            record(ctx, {
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

  const client: FreepikClient = {
    async search(ctx, p) {
      const q: [string, string][] = [['term', p.term]];
      if (p.page !== undefined) q.push(['page', String(p.page)]);
      if (p.limit !== undefined) q.push(['limit', String(p.limit)]);
      if (p.order) q.push(['order', p.order]);
      const f = p.filters ?? {};
      for (const o of f.orientation ?? []) q.push([`filters[orientation][${o}]`, '1']);
      for (const t of f.contentType ?? []) q.push([`filters[content_type][${t}]`, '1']);
      for (const l of f.license ?? []) q.push([`filters[license][${l}]`, '1']);
      if (f.excludePeople) q.push(['filters[people][exclude]', '1']);
      if (f.aiGenerated) q.push([`filters[ai-generated][${f.aiGenerated}]`, '1']);
      if (f.color) q.push(['filters[color]', f.color]);
      if (f.period) q.push(['filters[period]', f.period]);
      const { data } = await callJson(ctx, {
        endpoint: ENDPOINTS.search,
        method: 'GET',
        path: '/v1/resources',
        query: q,
        schema: searchResponseSchema,
      });
      const m = data.meta?.pagination ?? data.meta;
      return {
        items: data.data.map(toStockItem),
        page: {
          current: m?.current_page ?? p.page ?? 1,
          last: m?.last_page ?? undefined,
          total: m?.total ?? undefined,
          perPage: m?.per_page ?? undefined,
        },
      };
    },

    async getResource(ctx, id) {
      const { data } = await callJson(ctx, {
        endpoint: ENDPOINTS.detail,
        method: 'GET',
        path: `/v1/resources/${encodeURIComponent(String(id))}`,
        schema: resourceDetailSchema,
      });
      const d = data.data;
      return {
        id: d.id,
        name: d.name ?? undefined,
        type: d.type ?? undefined,
        isAiGenerated: d.is_ai_generated ?? undefined,
        premium: d.premium ?? undefined,
        pageUrl: d.url ?? undefined,
        licenseUrl: d.license ?? undefined,
        author: d.author
          ? { id: d.author.id ?? undefined, name: d.author.name ?? undefined, slug: d.author.slug ?? undefined }
          : undefined,
        width: d.dimensions?.width ?? d.preview?.width ?? undefined,
        height: d.dimensions?.height ?? d.preview?.height ?? undefined,
      };
    },

    async getDownloadLink(ctx, id, opts = {}) {
      const q: [string, string][] = [];
      if (opts.imageSize !== undefined)
        q.push(['image_size', typeof opts.imageSize === 'number' ? `${Math.round(opts.imageSize)}px` : opts.imageSize]);
      const { data } = await callJson(ctx, {
        endpoint: ENDPOINTS.downloadLink,
        method: 'GET',
        path: `/v1/resources/${encodeURIComponent(String(id))}/download`,
        query: q,
        schema: downloadResponseSchema,
        price: () => config.pricing.stockDownload,
      });
      const d = Array.isArray(data.data) ? data.data[0] : data.data;
      return { filename: d.filename ?? undefined, url: d.url, signedUrl: d.signed_url ?? undefined };
    },

    async downloadResource(ctx, id, opts = {}) {
      const link = await client.getDownloadLink(ctx, id, opts);
      const image = await download(ctx, link.url, ENDPOINTS.downloadFile, config.download);
      return { filename: link.filename, image };
    },

    async textToImage(ctx, p) {
      const body: Record<string, unknown> = { prompt: p.prompt };
      if (p.negativePrompt) body.negative_prompt = p.negativePrompt;
      if (p.guidanceScale !== undefined) body.guidance_scale = p.guidanceScale;
      if (p.seed !== undefined) body.seed = p.seed;
      if (p.numImages !== undefined) body.num_images = p.numImages;
      if (p.size) body.image = { size: p.size };
      if (p.style || p.colors)
        body.styling = { ...(p.style ? { style: p.style } : {}), ...(p.colors ? { colors: p.colors } : {}) };
      if (p.filterNsfw !== undefined) body.filter_nsfw = p.filterNsfw;
      const unit = config.pricing.textToImage;
      const { data, spent } = await callJson(ctx, {
        endpoint: ENDPOINTS.textToImage,
        method: 'POST',
        path: '/v1/ai/text-to-image',
        body,
        schema: textToImageResponseSchema,
        price: (d) => ({ credits: unit.credits * d.data.length, costUsd: round6(unit.costUsd * d.data.length) }),
      });
      const images: GeneratedImage[] = [];
      for (const item of data.data) {
        const bytes = decodeBase64Image(item.base64);
        const info = await inspectImage(bytes, {
          maxPixels: config.download.maxPixels,
          allowedTypes: ['image/jpeg', 'image/png'],
        });
        images.push({ bytes, ...info, hasNsfw: item.has_nsfw ?? false });
      }
      return { images, seed: data.meta?.seed ?? undefined, spent };
    },

    async createMysticTask(ctx, p) {
      const resolution = p.resolution ?? config.mystic.resolution;
      const body: Record<string, unknown> = { prompt: p.prompt, resolution };
      if (p.aspectRatio) body.aspect_ratio = p.aspectRatio;
      const model = p.model ?? config.mystic.model;
      if (model) body.model = model;
      if (p.colors)
        body.styling = { colors: p.colors.map((c) => ({ color: c.color.toUpperCase(), weight: c.weight })) };
      if (p.webhookUrl) body.webhook_url = p.webhookUrl;
      if (p.filterNsfw !== undefined) body.filter_nsfw = p.filterNsfw;
      const { data, spent } = await callJson(ctx, {
        endpoint: ENDPOINTS.mysticCreate,
        method: 'POST',
        path: '/v1/ai/mystic',
        body,
        schema: mysticResponseSchema,
        price: () => config.pricing.mystic[resolution],
      });
      return { ...toTask(data.data), spent };
    },

    async getMysticTask(ctx, taskId) {
      const { data } = await callJson(ctx, {
        endpoint: ENDPOINTS.mysticGet,
        method: 'GET',
        path: `/v1/ai/mystic/${encodeURIComponent(taskId)}`,
        schema: mysticResponseSchema,
      });
      return toTask(data.data);
    },

    async waitForMysticTask(ctx, taskId, opts = {}) {
      const deadline = opts.deadline ?? ctx.deadline ?? clock.now() + config.mystic.deadlineMs;
      let interval = config.mystic.pollIntervalMs;
      for (;;) {
        const task = await client.getMysticTask({ ...ctx, deadline }, taskId);
        if (task.status === 'COMPLETED') {
          if (task.generated.length === 0) {
            throw new AppError('upstream_rejected', 'Mystic finished without an image', {
              detail: { taskId, status: task.status },
            });
          }
          return task;
        }
        if (task.status !== 'CREATED' && task.status !== 'IN_PROGRESS') {
          throw new AppError('upstream_rejected', `Mystic generation ended with status ${task.status}`, {
            detail: { taskId, status: task.status, reason: 'generation_failed' },
          });
        }
        if (clock.now() + interval >= deadline) {
          throw new AppError('upstream_unavailable', `Mystic task ${taskId} did not finish before the deadline`, {
            retryable: true,
            detail: { taskId, status: task.status, reason: 'deadline' },
          });
        }
        await clock.sleep(interval, ctx.signal);
        interval = Math.min(config.mystic.maxPollIntervalMs, Math.round(interval * 1.5));
      }
    },

    downloadGenerated(ctx, url) {
      return download(ctx, url, ENDPOINTS.mysticFile, config.download);
    },

    fetchPreview(ctx, url) {
      // Previews are small (~740 px): a tight byte cap and timeout, so a bad one costs little.
      return download(ctx, url, ENDPOINTS.preview, {
        ...config.download,
        maxBytes: Math.min(config.download.maxBytes, PREVIEW_MAX_BYTES),
        timeoutMs: Math.min(config.download.timeoutMs, PREVIEW_TIMEOUT_MS),
      });
    },
  };
  return client;
}

// Bracket keys stay literal (`filters[orientation][landscape]=1`), as the contract shows them.
const encodeKey = (k: string) => encodeURIComponent(k).replace(/%5B/gi, '[').replace(/%5D/gi, ']');
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

function toStockItem(d: SearchItemBody): StockItem {
  const size = parseSize(d.image?.source?.size ?? undefined);
  return {
    id: d.id,
    title: d.title ?? undefined,
    pageUrl: d.url ?? undefined,
    imageType: d.image?.type ?? undefined,
    orientation: d.image?.orientation ?? undefined,
    previewUrl: d.image?.source?.url ?? undefined,
    width: size?.width,
    height: size?.height,
    licenses: (d.licenses ?? []).map((l) => ({ type: l.type, url: l.url ?? undefined })),
    author: d.author
      ? { id: d.author.id ?? undefined, name: d.author.name ?? undefined, slug: d.author.slug ?? undefined }
      : undefined,
  };
}

function toTask(d: {
  task_id: string;
  status: string;
  generated?: string[] | null;
  has_nsfw?: (boolean | null)[] | null;
}): MysticTask {
  return {
    taskId: d.task_id,
    status: d.status.toUpperCase(),
    generated: d.generated ?? [],
    hasNsfw: (d.has_nsfw ?? []).map(Boolean),
  };
}

/** Base64 image payload -> bytes; a data: URL prefix is tolerated. The type is sniffed later. */
export function decodeBase64Image(b64: string): Buffer {
  const raw = b64.replace(/^data:[^,]*,/, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(raw)) {
    throw new AppError('invalid_image', 'The generated image is not valid base64', {
      detail: { reason: 'bad_base64' },
    });
  }
  return Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64');
}

function errorCodeOf(e: unknown): string {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return 'network';
}

/** Failures that say the request never reached Freepik's work: safe to repeat even when paid. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const NOT_RUN_STATUSES = new Set(['http_408', 'http_429', 'http_503']);

/** A retryable failure after which the provider may still have done (and billed) the work. */
function mayHaveRun(e: unknown): boolean {
  if (!(e instanceof AppError) || !e.retryable) return false;
  const reason = String(e.detail?.reason ?? '');
  if (reason === 'network') return !NOT_SENT_CODES.has(String(e.detail?.code ?? ''));
  if (reason.startsWith('http_')) return !NOT_RUN_STATUSES.has(reason);
  return reason === 'timeout' || reason === 'malformed_json';
}

function uncertain(endpoint: string, e: AppError): AppError {
  return new AppError(
    'upstream_uncertain',
    `${endpoint} ${e.detail?.reason === 'timeout' ? 'timed out' : `failed (${String(e.detail?.reason ?? 'error')})`} after it may have been carried out. It was not repeated, so it is not paid twice; retry the request to try again`,
    { detail: { ...e.detail, endpoint }, cause: e },
  );
}

function errorBody(text: string): z.infer<typeof errorBodySchema> {
  try {
    const r = errorBodySchema.safeParse(JSON.parse(text));
    if (r.success) return r.data;
  } catch {
    /* non-JSON error page */
  }
  return {};
}

/**
 * A 429 that is not a rate limit but a daily cap (stock downloads per day outside Enterprise,
 * AI generations per day): waiting minutes will not help, so it is not retried. Freepik documents
 * no field for it; its message names the day.
 */
export function isDailyLimit(text: string): boolean {
  const message = errorBody(text).message ?? text;
  return (
    /\b(daily|per day|a day|today|24 ?h(ours)?)\b/i.test(message) &&
    /\b(limit|quota|cap|maximum|exceeded|reached)\b/i.test(message)
  );
}

/** Maps a non-2xx answer to the AppError callers see. */
function httpError(endpoint: string, status: number, text: string, retryAfterMs?: number): AppError {
  const body = errorBody(text);
  const upstreamMessage = body.message ?? undefined;
  const detail: Record<string, unknown> = { endpoint, status, upstreamMessage };
  if (status === 429 && isDailyLimit(text)) {
    return new AppError(
      'provider_quota_exceeded',
      `Freepik's daily limit for ${endpoint} is reached for our account${upstreamMessage ? ` ("${upstreamMessage.slice(0, 200)}")` : ''}. It resets the next day; retry the request then, or raise the plan's limit`,
      { detail: { ...detail, reason: 'daily_limit' } },
    );
  }
  if (status === 408 || status === 429 || status >= 500) {
    return new AppError('upstream_unavailable', `${endpoint} answered ${status}`, {
      retryable: true,
      detail: { ...detail, reason: `http_${status}`, retryAfterMs },
    });
  }
  if (status === 401) {
    return new AppError(
      'provider_misconfigured',
      'The Freepik API key was refused (401): check FREEPIK_API_KEY and FREEPIK_KEY_HEADER',
      { detail },
    );
  }
  if (status === 400 || status === 422) {
    const fields: FieldProblem[] = (body.invalid_params ?? []).map((p) => ({
      path: p.name ?? p.field ?? '',
      message: p.reason ?? 'invalid',
    }));
    return new AppError(
      'upstream_rejected',
      `Freepik refused the parameters of ${endpoint}${upstreamMessage ? `: ${upstreamMessage}` : ''}`,
      { fields, detail: { ...detail, reason: 'invalid_params', invalidParams: fields } },
    );
  }
  if (status === 403) {
    return new AppError(
      'upstream_rejected',
      `Freepik does not allow this for our key (403)${upstreamMessage ? `: ${upstreamMessage}` : ''}`,
      { detail: { ...detail, reason: 'forbidden' } },
    );
  }
  if (status === 404) {
    return new AppError('upstream_rejected', `Freepik does not know this resource (404)`, {
      detail: { ...detail, reason: 'not_found' },
    });
  }
  return new AppError('upstream_rejected', `${endpoint} answered ${status}`, {
    detail: { ...detail, reason: `http_${status}` },
  });
}
