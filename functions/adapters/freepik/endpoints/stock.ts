/**
 * Stock endpoints (GET /v1/resources, /v1/resources/{id}, /v1/resources/{id}/download) and the
 * keyless downloads that follow them: the licensed file and a search hit's CDN preview.
 */
import { z } from 'zod';
import { parseSize } from '../../../domain/sourcing.js';
import type { SafeImage } from '../../safe-fetch/safe-fetch.js';
import { type CallContext, ENDPOINTS, type FreepikTransport } from '../transport.js';

const id = z.union([z.number(), z.string()]);
const optStr = z.string().nullish();

export const searchItemSchema = z.object({
  id,
  title: optStr,
  url: optStr,
  filename: optStr,
  licenses: z.array(z.object({ type: z.string(), url: optStr })).nullish(),
  image: z
    .object({
      type: optStr,
      orientation: optStr,
      source: z.object({ key: optStr, size: optStr, url: optStr }).nullish(),
    })
    .nullish(),
  author: z.object({ id: id.nullish(), name: optStr, slug: optStr, avatar: optStr }).nullish(),
});
export type SearchItemBody = z.infer<typeof searchItemSchema>;

const pageMeta = z.object({
  current_page: z.number().nullish(),
  per_page: z.number().nullish(),
  last_page: z.number().nullish(),
  total: z.number().nullish(),
});
export const searchResponseSchema = z.object({
  data: z.array(searchItemSchema),
  // Some API versions nest pagination under meta.pagination.
  meta: pageMeta.extend({ pagination: pageMeta.nullish() }).nullish(),
});

const boolish = z.union([z.boolean(), z.number()]).transform((v) => Boolean(v));
export const resourceDetailSchema = z.object({
  data: z.object({
    id,
    name: optStr,
    slug: optStr,
    type: optStr,
    is_ai_generated: boolish.nullish(),
    premium: boolish.nullish(),
    url: optStr,
    preview: z.object({ url: optStr, width: z.number().nullish(), height: z.number().nullish() }).nullish(),
    author: z.object({ id: id.nullish(), name: optStr, slug: optStr }).nullish(),
    license: optStr,
    dimensions: z.object({ width: z.number(), height: z.number() }).nullish(),
    available_formats: z.unknown().optional(),
  }),
});

const downloadEntry = z.object({ filename: optStr, url: z.string().min(1), signed_url: optStr });
export const downloadResponseSchema = z.object({
  // The format-specific variant answers with a list; take the first entry.
  data: z.union([downloadEntry, z.array(downloadEntry).min(1)]),
});

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

type Author = { id?: number | string; name?: string; slug?: string };

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
  author?: Author;
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
  author?: Author;
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

const PREVIEW_MAX_BYTES = 3 * 1024 * 1024;
const PREVIEW_TIMEOUT_MS = 10_000;

/** The contract's bracket filters (`filters[orientation][landscape]=1`) from our parameters. */
function searchQuery(p: SearchParams): [string, string][] {
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
  return q;
}

export async function searchStock(t: FreepikTransport, ctx: CallContext, p: SearchParams): Promise<SearchPage> {
  const { data } = await t.callJson(ctx, {
    endpoint: ENDPOINTS.search,
    method: 'GET',
    path: '/v1/resources',
    query: searchQuery(p),
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
}

export async function getResource(t: FreepikTransport, ctx: CallContext, id: number | string): Promise<ResourceDetail> {
  const { data } = await t.callJson(ctx, {
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
    author: toAuthor(d.author),
    width: d.dimensions?.width ?? d.preview?.width ?? undefined,
    height: d.dimensions?.height ?? d.preview?.height ?? undefined,
  };
}

export async function getDownloadLink(
  t: FreepikTransport,
  ctx: CallContext,
  id: number | string,
  opts: { imageSize?: ImageSize } = {},
): Promise<DownloadLink> {
  const q: [string, string][] = [];
  if (opts.imageSize !== undefined) {
    q.push(['image_size', typeof opts.imageSize === 'number' ? `${Math.round(opts.imageSize)}px` : opts.imageSize]);
  }
  const { data } = await t.callJson(ctx, {
    endpoint: ENDPOINTS.downloadLink,
    method: 'GET',
    path: `/v1/resources/${encodeURIComponent(String(id))}/download`,
    query: q,
    schema: downloadResponseSchema,
    price: () => t.config.pricing.stockDownload,
  });
  const d = Array.isArray(data.data) ? data.data[0] : data.data;
  return { filename: d.filename ?? undefined, url: d.url, signedUrl: d.signed_url ?? undefined };
}

/** Download link, then a plain GET of it (no key) through the safe downloader. */
export async function downloadResource(
  t: FreepikTransport,
  ctx: CallContext,
  id: number | string,
  opts: { imageSize?: ImageSize } = {},
): Promise<{ filename?: string; image: SafeImage }> {
  const link = await getDownloadLink(t, ctx, id, opts);
  const image = await t.download(ctx, link.url, ENDPOINTS.downloadFile, t.config.download);
  return { filename: link.filename, image };
}

export function fetchPreview(t: FreepikTransport, ctx: CallContext, url: string): Promise<SafeImage> {
  const policy = t.config.download;
  // Previews are small (~740 px): a tight byte cap and timeout, so a bad one costs little.
  return t.download(ctx, url, ENDPOINTS.preview, {
    ...policy,
    maxBytes: Math.min(policy.maxBytes, PREVIEW_MAX_BYTES),
    timeoutMs: Math.min(policy.timeoutMs, PREVIEW_TIMEOUT_MS),
  });
}

function toAuthor(a: { id?: number | string | null; name?: string | null; slug?: string | null } | null | undefined) {
  return a ? { id: a.id ?? undefined, name: a.name ?? undefined, slug: a.slug ?? undefined } : undefined;
}

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
    author: toAuthor(d.author),
  };
}
