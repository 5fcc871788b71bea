/**
 * Pure rules for sourcing an image from a provider: what the bytes are (magic bytes, never the
 * declared type), how a layout maps to provider orientations and sizes, which stock result to take,
 * and the retry arithmetic (full-jitter backoff, Retry-After). No I/O here.
 */

export type ImageContentType = 'image/jpeg' | 'image/png' | 'image/webp';
export type Aspect = 'square' | 'tall' | 'wide';

/** Identifies JPEG / PNG / WebP from the first bytes; anything else is `null`. */
export function sniffImageType(bytes: Uint8Array): ImageContentType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (
    bytes.length >= 8 &&
    bytes[0] === 0x89 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x4e &&
    bytes[3] === 0x47 &&
    bytes[4] === 0x0d &&
    bytes[5] === 0x0a &&
    bytes[6] === 0x1a &&
    bytes[7] === 0x0a
  )
    return 'image/png';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'image/webp';
  return null;
}
const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

/** Stock search filter value (`filters[orientation][<value>]=1`) for a layout. */
export const stockOrientationFor: Record<Aspect, 'square' | 'portrait' | 'landscape'> = {
  square: 'square',
  tall: 'portrait',
  wide: 'landscape',
};
/** The values stock results report in `image.orientation` that suit a layout. */
const resultOrientations: Record<Aspect, string[]> = {
  square: ['square'],
  tall: ['vertical'],
  wide: ['horizontal', 'panoramic'],
};

/**
 * Text-to-image / Mystic size for a layout. Tall sources are 9:16 so a story crops nothing and a
 * 4:5 post crops little; wide ones 16:9.
 */
export const aiSizeFor: Record<Aspect, 'square_1_1' | 'social_story_9_16' | 'widescreen_16_9'> = {
  square: 'square_1_1',
  tall: 'social_story_9_16',
  wide: 'widescreen_16_9',
};

/** The fields of a stock search hit that the choice depends on. */
export interface StockCandidate {
  id: number | string;
  imageType?: string;
  orientation?: string;
  licenseTypes: string[];
  /** Preview size from the search (`image.source.size`, "740x640"), when present: its ratio is the original's. */
  width?: number;
  height?: number;
}

/**
 * Orders downloadable candidates best first. Only photos qualify (vectors and PSDs download as
 * archives, not images). Among those: matching orientation first, then freemium (premium needs plan
 * rights and may be refused with 403), then the provider's relevance order. Stable otherwise.
 */
export function rankStockCandidates<T extends StockCandidate>(items: T[], aspect?: Aspect): T[] {
  const photos = items
    .map((item, index) => ({ item, index }))
    .filter(({ item }) => (item.imageType ?? 'photo') === 'photo');
  const score = (c: StockCandidate) => {
    let s = 0;
    if (aspect && c.orientation && resultOrientations[aspect].includes(c.orientation)) s += 2;
    if (c.licenseTypes.includes('freemium')) s += 1;
    return s;
  };
  return photos.sort((a, b) => score(b.item) - score(a.item) || a.index - b.index).map(({ item }) => item);
}

/** Parses "740x640" into dimensions. */
export function parseSize(size: string | undefined): { width: number; height: number } | undefined {
  const m = /^(\d+)\s*x\s*(\d+)$/i.exec(size ?? '');
  return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
}

/**
 * Delay before retry `attempt` (0-based: the wait after the first failure is attempt 0) with
 * full jitter: uniform in [0, min(cap, base * 2^attempt)). Full jitter spreads synchronized
 * clients best (AWS Architecture Blog, "Exponential Backoff and Jitter").
 */
export function fullJitterDelay(
  attempt: number,
  opts: { baseMs: number; maxMs: number },
  random: () => number,
): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/**
 * Retry-After as milliseconds from `nowMs`: delta-seconds or an HTTP date. Invalid or absent ->
 * undefined (the caller then uses backoff). Past dates give 0.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** First day of the UTC month of `at`, as YYYY-MM-DD (the usage_counters key). */
export function monthKey(at: Date): string {
  return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}-01`;
}
