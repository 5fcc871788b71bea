/**
 * Freepik API client written against ../shared/freepik-api.md (not against our emulator).
 * Every HTTP attempt: a token from the shared rate limiter, a timeout, one api_usage row through
 * the UsageRecorder port. Transient failures (429, 5xx, timeouts, resets, unparseable bodies) are
 * retried with full-jitter backoff or Retry-After inside one deadline; 4xx are surfaced at once
 * as typed AppErrors. The client does not check quotas: the use case (image-source.ts) does that
 * before the first call.
 *
 * The HTTP side lives in transport.ts, each endpoint (request, response schema, mapping) in
 * endpoints/; this file is the port callers hold.
 */
import type { SafeImage } from '../safe-fetch/safe-fetch.js';
import type { Price } from './config.js';
import {
  createMysticTask,
  downloadGenerated,
  getMysticTask,
  type MysticParams,
  type MysticTask,
  waitForMysticTask,
} from './endpoints/mystic.js';
import {
  type DownloadLink,
  downloadResource,
  fetchPreview,
  getDownloadLink,
  getResource,
  type ImageSize,
  type ResourceDetail,
  type SearchPage,
  type SearchParams,
  searchStock,
} from './endpoints/stock.js';
import { type TextToImageParams, type TextToImageResult, textToImage } from './endpoints/text-to-image.js';
import { type CallContext, createFreepikTransport, type FreepikClientDeps } from './transport.js';

export type { MysticParams, MysticStatus, MysticTask } from './endpoints/mystic.js';
export type {
  DownloadLink,
  ImageSize,
  Orientation,
  ResourceDetail,
  SearchPage,
  SearchParams,
  StockItem,
} from './endpoints/stock.js';
export type { GeneratedImage, TextToImageParams, TextToImageResult } from './endpoints/text-to-image.js';
export { decodeBase64Image } from './endpoints/text-to-image.js';
export type { CallContext, ClientConfig, FreepikClientDeps } from './transport.js';
export { ENDPOINTS, PROVIDER } from './transport.js';
export { isDailyLimit } from './upstream-errors.js';

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
  /**
   * Polls with growing intervals until COMPLETED; FAILED, CANCELLED or unknown -> AppError;
   * deadline -> retryable AppError.
   */
  waitForMysticTask(ctx: CallContext, taskId: string, opts?: { deadline?: number }): Promise<MysticTask>;
  /** Safe download of a Mystic result URL (metered). */
  downloadGenerated(ctx: CallContext, url: string): Promise<SafeImage>;
  /** Safe download of a search hit's preview (free, no key, metered at 0 credits). */
  fetchPreview(ctx: CallContext, url: string): Promise<SafeImage>;
}

export function createFreepikClient(deps: FreepikClientDeps): FreepikClient {
  const t = createFreepikTransport(deps);
  return {
    search: (ctx, p) => searchStock(t, ctx, p),
    getResource: (ctx, id) => getResource(t, ctx, id),
    getDownloadLink: (ctx, id, opts) => getDownloadLink(t, ctx, id, opts),
    downloadResource: (ctx, id, opts) => downloadResource(t, ctx, id, opts),
    textToImage: (ctx, p) => textToImage(t, ctx, p),
    createMysticTask: (ctx, p) => createMysticTask(t, ctx, p),
    getMysticTask: (ctx, taskId) => getMysticTask(t, ctx, taskId),
    waitForMysticTask: (ctx, taskId, opts) => waitForMysticTask(t, ctx, taskId, opts),
    downloadGenerated: (ctx, url) => downloadGenerated(t, ctx, url),
    fetchPreview: (ctx, url) => fetchPreview(t, ctx, url),
  };
}
