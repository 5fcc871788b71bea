/**
 * Server-side download of provider images (signed CDN URLs) without becoming an SSRF gadget:
 * https only (plain http only for configured local hosts), host allow-list, redirects followed by
 * hand and re-checked hop by hop, every resolved address checked and the socket pinned to it,
 * a byte cap enforced while streaming, one deadline for the whole download, then the bytes are
 * inspected (magic bytes, pixel limit) before anyone uses them.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { AppError, isAppError, isTransientStatus } from '../../shared/errors.js';
import type { UsageOutcome } from '../../domain/sourcing-ports.js';
import { parseRetryAfter } from '../../domain/sourcing.js';
import {
  checkTarget,
  redact,
  systemResolver,
  type AddressPolicy,
  type CheckedTarget,
  type Resolver,
} from './address-policy.js';
import { DEFAULT_MAX_PIXELS, inspectImage, type InspectedImage } from './inspect-image.js';

export interface DownloadPolicy extends AddressPolicy {
  /** Largest body accepted, in bytes (streaming stops beyond it). */
  maxBytes: number;
  /** Redirect hops followed at most. */
  maxRedirects: number;
  /** Deadline for the whole download, all hops included. */
  timeoutMs: number;
  /** Largest width*height accepted by fetchImage. */
  maxPixels: number;
}

/** Hosts Freepik serves stock downloads, previews and Mystic results from. */
export const FREEPIK_DOWNLOAD_HOSTS = [
  'img.freepik.com',
  'downloadscdn*.freepik.com',
  'ai-statics.freepik.com',
] as const;

export const defaultDownloadPolicy: DownloadPolicy = {
  allowedHosts: FREEPIK_DOWNLOAD_HOSTS,
  localHttpHosts: [],
  maxBytes: 25 * 1024 * 1024,
  maxRedirects: 3,
  timeoutMs: 30_000,
  maxPixels: DEFAULT_MAX_PIXELS,
};

/** One HTTP request made during a download (each redirect hop is one). */
export interface HopReport {
  /** The URL without query string (signed tokens stay out of logs). */
  url: string;
  statusCode: number | null;
  latencyMs: number;
  outcome: UsageOutcome;
  errorCode?: string;
  /** 0 for the first request, 1 for the first redirect followed, ... */
  hop: number;
}

export interface SafeFetchOptions {
  signal?: AbortSignal;
  /** DNS resolution (tests inject answers). */
  resolve?: Resolver;
  /** Called after every HTTP request, successful or not (metering). Awaited. */
  onHop?: (hop: HopReport) => void | Promise<void>;
  now?: () => number;
}

export interface FetchedBytes {
  bytes: Buffer;
  /** The URL that finally answered 200, without its query string. */
  finalUrl: string;
  /** Content-Type the server declared (informational only; never trusted). */
  declaredType?: string;
}

/** An image proven by its bytes. */
export interface SafeImage extends InspectedImage {
  bytes: Buffer;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Downloads `url` under `policy`; throws AppError unsafe_download / upstream_unavailable / upstream_rejected. */
export async function safeFetch(
  url: string,
  policy: DownloadPolicy,
  opts: SafeFetchOptions = {},
): Promise<FetchedBytes> {
  const now = opts.now ?? Date.now;
  const resolve = opts.resolve ?? systemResolver;
  const deadline = AbortSignal.timeout(policy.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  let current: string | URL = url;
  for (let hop = 0; ; hop++) {
    const target = await checkTarget(current, policy, resolve);
    const started = now();
    const report = (r: Omit<HopReport, 'url' | 'hop' | 'latencyMs'>) =>
      opts.onHop?.({ ...r, url: redact(target.url), hop, latencyMs: Math.max(0, Math.round(now() - started)) });
    let res: http.IncomingMessage;
    try {
      res = await request(target, signal);
    } catch (e) {
      if (opts.signal?.aborted) {
        await report({ statusCode: null, outcome: 'error', errorCode: 'aborted' });
        throw opts.signal.reason;
      }
      const err = networkError(e, signal);
      await report({
        statusCode: null,
        outcome: err.detail?.reason === 'timeout' ? 'timeout' : 'network_error',
        errorCode: String(err.detail?.code ?? err.detail?.reason),
      });
      throw err;
    }
    const status = res.statusCode ?? 0;
    if (REDIRECTS.has(status)) {
      res.resume();
      const location = res.headers.location;
      await report({ statusCode: status, outcome: 'success' });
      if (!location)
        throw new AppError('upstream_rejected', 'A redirect without a Location header', { detail: { status } });
      if (hop + 1 > policy.maxRedirects) {
        throw new AppError('unsafe_download', 'Too many redirects', {
          detail: { reason: 'too_many_redirects', url: redact(target.url) },
        });
      }
      current = new URL(location, target.url);
      continue;
    }
    if (status !== 200) {
      res.resume();
      const retryable = isTransientStatus(status);
      await report({
        statusCode: status,
        outcome: retryable ? 'retryable_error' : 'error',
        errorCode: `http_${status}`,
      });
      const retryAfterMs = parseRetryAfter(header(res, 'retry-after'), now());
      throw retryable
        ? new AppError('upstream_unavailable', `The image host answered ${status}`, {
            retryable: true,
            detail: { status, retryAfterMs },
          })
        : new AppError('upstream_rejected', `The image host refused the download (${status})`, { detail: { status } });
    }
    try {
      const bytes = await readCapped(res, policy.maxBytes, signal);
      await report({ statusCode: status, outcome: 'success' });
      return { bytes, finalUrl: redact(target.url), declaredType: header(res, 'content-type') };
    } catch (e) {
      if (opts.signal?.aborted) {
        await report({ statusCode: status, outcome: 'error', errorCode: 'aborted' });
        throw opts.signal.reason;
      }
      const err = networkError(e, signal);
      const reason = String(err.detail?.reason ?? 'error');
      await report({
        statusCode: status,
        outcome: reason === 'timeout' ? 'timeout' : err.retryable ? 'network_error' : 'error',
        errorCode: reason === 'network' ? String(err.detail?.code) : reason,
      });
      throw err;
    }
  }
}

/** safeFetch + inspectImage: the bytes, their real type, dimensions and SHA-256. */
export async function fetchImage(url: string, policy: DownloadPolicy, opts: SafeFetchOptions = {}): Promise<SafeImage> {
  const { bytes } = await safeFetch(url, policy, opts);
  const info = await inspectImage(bytes, { maxPixels: policy.maxPixels });
  return { bytes, ...info };
}

const header = (res: http.IncomingMessage, name: string) => {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

function request(target: CheckedTarget, signal: AbortSignal): Promise<http.IncomingMessage> {
  // The socket may only use the addresses checkTarget approved (no second DNS answer).
  const pinned: LookupFunction = (_host, options, cb) => {
    const opts = typeof options === 'object' ? options : {};
    const candidates = opts.family ? target.addresses.filter((a) => a.family === opts.family) : target.addresses;
    const list = candidates.length ? candidates : target.addresses;
    if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: typeof list) => void)(null, list);
    else cb(null, list[0].address, list[0].family);
  };
  const mod = target.url.protocol === 'https:' ? https : http;
  return new Promise((resolvePromise, reject) => {
    const req = mod.request(
      target.url,
      {
        method: 'GET',
        lookup: pinned,
        signal,
        headers: {
          accept: 'image/jpeg,image/png,image/webp;q=0.9,*/*;q=0.1',
          'accept-encoding': 'identity',
          'user-agent': 'svp-image-fetch/1',
        },
      },
      resolvePromise,
    );
    req.on('error', reject);
    req.end();
  });
}

function readCapped(res: http.IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const tooLarge = () =>
    new AppError('unsafe_download', `The image is larger than ${maxBytes} bytes`, {
      detail: { reason: 'too_large', maxBytes },
    });
  const declared = Number(header(res, 'content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    // destroy() emits 'aborted'/'error' synchronously: settle first so the real reason wins.
    const settle = (err: unknown, value?: Buffer) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (err) {
        res.destroy();
        reject(err);
      } else resolvePromise(value!);
    };
    const onAbort = () => settle(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    res.on('data', (c: Buffer) => {
      total += c.length;
      if (total > maxBytes) return settle(tooLarge());
      chunks.push(c);
    });
    res.on('end', () => settle(null, Buffer.concat(chunks, total)));
    res.on('error', (e) => settle(e));
    res.on('aborted', () => settle(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
  });
}

/** Maps a transport failure to AppError (the caller handles its own abort first). */
function networkError(e: unknown, signal: AbortSignal): AppError {
  if (isAppError(e)) return e;
  if (signal.aborted) {
    return new AppError('upstream_unavailable', 'The image download timed out', {
      retryable: true,
      detail: { reason: 'timeout', code: 'timeout' },
      cause: e,
    });
  }
  const code = (e as { code?: string })?.code ?? 'network';
  return new AppError('upstream_unavailable', `The image download failed (${code})`, {
    retryable: true,
    detail: { reason: 'network', code },
    cause: e,
  });
}
