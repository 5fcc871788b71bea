/**
 * The stock endpoints, validated as ../shared/freepik-api.md describes them: search with bracket
 * filters and pagination, detail, download links signed on this server, and the free previews.
 */
import {
  downloadLongSide,
  ORIENTATION_FILTER,
  previewSize,
  renderPreview,
  type StockCatalog,
  type StockDef,
  scaled,
  slug,
  stockLicenseUrl,
  stockPageUrl,
  stockTheme,
  stockTitle,
} from './catalog.js';
import { bad, errorBody, notFound, type Reply } from './replies.js';
import type { SignedFiles } from './signed-files.js';

export interface StockRouteContext {
  catalog: StockCatalog;
  files: SignedFiles;
  baseUrl: () => string;
  /** When false, premium resources answer 403 on download. */
  premiumDownloadsAllowed: boolean;
}

const AUTHORS = ['flaticon', 'rawpixel', 'wirestock', 'freepik', 'pikisuperstar'];
const previewUrl = (ctx: StockRouteContext, d: StockDef) => `${ctx.baseUrl()}/previews/${d.id}.jpg`;

/** Values of `filters[group][value]=1`. */
const pickedFilters = (q: URLSearchParams, group: string) =>
  [...q.keys()]
    .map((k) => new RegExp(`^filters\\[${group}\\]\\[([^\\]]+)\\]$`).exec(k)?.[1])
    .filter((v): v is string => !!v && q.get(`filters[${group}][${v}]`) === '1');

export function search(ctx: StockRouteContext, q: URLSearchParams): Reply {
  const page = q.has('page') ? Number(q.get('page')) : 1;
  const limit = q.has('limit') ? Number(q.get('limit')) : 10;
  if (!Number.isInteger(page) || page < 1 || page > 100)
    return bad('page', 'page must be an integer between 1 and 100');
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    return bad('limit', 'limit must be an integer between 1 and 200');
  const order = q.get('order') ?? 'relevance';
  if (!['relevance', 'recent'].includes(order)) return bad('order', 'order must be relevance or recent');
  const orientations = pickedFilters(q, 'orientation').map((o) => ORIENTATION_FILTER[o] ?? o);
  const types = pickedFilters(q, 'content_type');
  const licenses = pickedFilters(q, 'license');
  let items = ctx.catalog.itemsFor(q.get('term') ?? '');
  if (orientations.length) items = items.filter((d) => orientations.includes(d.orientation));
  if (types.length) items = items.filter((d) => types.includes(d.type));
  if (licenses.length) items = items.filter((d) => licenses.includes(d.license));
  if (order === 'recent') items = items.reverse();
  const total = items.length;
  const slice = items.slice((page - 1) * limit, page * limit);
  return {
    status: 200,
    json: {
      data: slice.map((d) => searchItem(ctx, d)),
      meta: {
        current_page: page,
        per_page: limit,
        last_page: Math.max(1, Math.ceil(total / limit)),
        total,
        clean_search: true,
      },
    },
  };
}

function searchItem(ctx: StockRouteContext, d: StockDef) {
  const title = stockTitle(d);
  const [pw, ph] = previewSize(d);
  return {
    id: d.id,
    title,
    url: stockPageUrl(d),
    filename: `${slug(title)}.zip`,
    licenses: [{ type: d.license, url: stockLicenseUrl(d) }],
    image: {
      type: d.type,
      orientation: d.orientation,
      source: { key: 'large', size: `${pw}x${ph}`, url: previewUrl(ctx, d) },
    },
    author: {
      id: 744082 + (d.index % 5),
      name: AUTHORS[d.index % 5],
      avatar: 'https://avatar.cdnpk.net/744082.jpg',
      slug: 'author',
    },
    stats: { downloads: 1000 + d.index * 37, likes: d.index * 3 },
    meta: { published_at: '2022-01-14T20:45:28.000Z', is_new: d.index < 3 },
    // Newer responses carry fields the client must ignore.
    active: true,
    related: { serie: [] },
  };
}

export function detail(ctx: StockRouteContext, rawId: string): Reply {
  const d = ctx.catalog.item(Number(rawId));
  if (!d) return notFound('Resource not found');
  const title = stockTitle(d);
  const [pw, ph] = previewSize(d);
  return {
    status: 200,
    json: {
      data: {
        id: d.id,
        name: title,
        slug: slug(title),
        type: d.type,
        is_ai_generated: false,
        premium: d.license === 'premium',
        url: stockPageUrl(d),
        preview: { url: previewUrl(ctx, d), width: pw, height: ph },
        author: { id: 744082, name: 'flaticon', slug: 'flaticon' },
        license: stockLicenseUrl(d),
        created: '2022-01-14T20:45:28.000Z',
        dimensions: { width: d.width, height: d.height },
        available_formats: { jpg: { total: 1 } },
      },
    },
  };
}

export function downloadLink(ctx: StockRouteContext, rawId: string, q: URLSearchParams): Reply {
  const d = ctx.catalog.item(Number(rawId));
  if (!d) return notFound('Resource not found');
  if (d.license === 'premium' && !ctx.premiumDownloadsAllowed) {
    return { status: 403, json: errorBody('You do not have access to premium content with this API key') };
  }
  const long = downloadLongSide(d, q.get('image_size'));
  if (long === undefined) return bad('image_size', 'must be small, medium, large, original or 100px..2000px', 'field');
  const [w, h] = scaled(d.width, d.height, long);
  return {
    status: 200,
    json: {
      data: { filename: `${slug(d.term)}-${d.id}.jpg`, url: ctx.files.url(stockTheme(d), w, h), signed_url: null },
    },
  };
}

export async function preview(ctx: StockRouteContext, rawId: string): Promise<Reply> {
  const d = ctx.catalog.item(Number(rawId.replace(/\.jpg$/, '')));
  if (!d) return { status: 404, raw: 'Not found' };
  return { status: 200, raw: await renderPreview(d), headers: { 'content-type': 'image/jpeg' } };
}
