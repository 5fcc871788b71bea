/**
 * Procedural test images and a reference brand/template. Everything is generated with sharp from
 * SVG or raw pixels: no downloaded fixtures.
 */
import sharp from 'sharp';
import type { BrandKitInput, Brief } from '../../../functions/domain/brand-types.js';
import type { RawImage } from '../../../functions/adapters/render/analyze.js';
import type { Box } from '../../../functions/domain/rendering/geometry.js';

export const NAVY = '#1E3A8A';
export const GOLD = '#F59E0B';
export const WHITE = '#FFFFFF';

/** An on-brand photo stand-in: navy/gold shapes on white, some texture so JPEG sizes are realistic. */
export async function brandPhoto(width = 2000, height = 1500): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="${width}" height="${height}" fill="${NAVY}"/>
    <circle cx="${width * 0.7}" cy="${height * 0.35}" r="${Math.min(width, height) * 0.2}" fill="${GOLD}"/>
    <rect x="${width * 0.1}" y="${height * 0.1}" width="${width * 0.25}" height="${height * 0.2}" fill="${WHITE}"/>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toBuffer();
}

/** A single flat color (makes text pixels easy to find). */
export async function solid(hex: string, width = 1600, height = 1200, format: 'jpeg' | 'png' = 'png'): Promise<Buffer> {
  const img = sharp({ create: { width, height, channels: 3, background: hex } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 95 }).toBuffer();
}

/** Deterministic pseudo-random noise: compresses badly, for file-size tests. */
export async function noise(width = 2000, height = 1500, seed = 1): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    data[i] = s >> 23;
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

/** A brand logo: a white badge with a navy mark (on-palette and neutral colors only). */
export async function brandLogo(width = 400, height = 160): Promise<Buffer> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="${width}" height="${height}" rx="20" fill="${WHITE}"/>` +
    `<rect x="${width * 0.1}" y="${height * 0.25}" width="${width * 0.8}" height="${height * 0.5}" fill="${NAVY}"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A solid magenta logo (no transparency) so its pixels can be located exactly. */
export async function magentaLogo(width = 400, height = 160): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 255, g: 0, b: 255, alpha: 1 } } })
    .png()
    .toBuffer();
}

export function brand(overrides: Partial<BrandKitInput> = {}): BrandKitInput {
  return {
    colors: {
      palette: [
        { name: 'Navy', hex: NAVY, role: 'primary' },
        { name: 'Gold', hex: GOLD, role: 'accent' },
        { name: 'White', hex: WHITE, role: 'text' },
      ],
    },
    fonts: { headline: 'Inter', body: 'Inter', allowed: ['Inter'] },
    logo: { placement: 'top-right', widthPct: 0.16, minWidthPct: 0.08, clearSpacePct: 0.25 },
    voiceRules: { bannedWords: ['cheap', 'guaranteed results'], requiredHashtags: ['#acme'], maxHashtags: 5 },
    complianceThresholds: {},
    ...overrides,
  };
}

/** Headline/body/CTA stacked in the lower part (square/tall), on the left half (wide). */
export const layers = {
  image: { focus: 'attention' },
  overlay: { kind: 'band', colorRole: 'primary', opacity: 0.92 },
  headline: {
    box: { default: { x: 0, y: 0.5, w: 1, h: 0.25 }, wide: { x: 0, y: 0.1, w: 0.55, h: 0.4 } },
    minSize: 28,
    maxSize: 76,
    maxLines: 3,
  },
  body: {
    box: { default: { x: 0, y: 0.76, w: 1, h: 0.12 }, wide: { x: 0, y: 0.52, w: 0.55, h: 0.26 } },
    weight: 'regular',
    minSize: 18,
    maxSize: 34,
    maxLines: 3,
  },
  cta: {
    box: { default: { x: 0, y: 0.89, w: 0.6, h: 0.11 }, wide: { x: 0, y: 0.8, w: 0.45, h: 0.2 } },
    colorRole: 'accent',
    minSize: 18,
    maxSize: 36,
    maxLines: 1,
  },
  logo: { enabled: true },
} as const;

export const brief: Brief = {
  headline: 'Warm layers for cold days',
  body: 'New knitwear in store and online from Monday. Terms apply.',
  callToAction: 'Shop the collection',
  hashtags: ['#acme', '#autumn'],
};

/** Decodes any image to raw RGB. */
export async function decode(buf: Buffer): Promise<RawImage & { format: string }> {
  const meta = await sharp(buf).metadata();
  const { data, info } = await sharp(buf).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels, format: meta.format ?? '' };
}

/** Bounding box of the pixels within `tolerance` (max channel difference) of `hex`, or null. */
export function findColor(
  img: RawImage,
  hex: string,
  tolerance = 40,
  within?: Box,
): { box: Box; count: number } | null {
  const r = parseInt(hex.slice(1, 3), 16);
  const g = parseInt(hex.slice(3, 5), 16);
  const b = parseInt(hex.slice(5, 7), 16);
  const x0 = within?.x ?? 0;
  const y0 = within?.y ?? 0;
  const x1 = within ? within.x + within.w : img.width;
  const y1 = within ? within.y + within.h : img.height;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -1;
  let maxY = -1;
  let count = 0;
  for (let y = Math.max(0, y0); y < Math.min(img.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(img.width, x1); x++) {
      const i = (y * img.width + x) * img.channels;
      if (
        Math.abs(img.data[i] - r) <= tolerance &&
        Math.abs(img.data[i + 1] - g) <= tolerance &&
        Math.abs(img.data[i + 2] - b) <= tolerance
      ) {
        count++;
        if (x < minX) minX = x;
        if (y < minY) minY = y;
        if (x > maxX) maxX = x;
        if (y > maxY) maxY = y;
      }
    }
  }
  return count === 0 ? null : { box: { x: minX, y: minY, w: maxX - minX + 1, h: maxY - minY + 1 }, count };
}

/** An RGB pixel; each channel is clamped to 0..255 when written. */
export type Rgb = readonly [number, number, number];

/** The size, grain seed and JPEG quality of a synthetic photo. */
export interface GrainyPhotoSpec {
  width: number;
  height: number;
  seed: number;
  quality: number;
}

/**
 * A synthetic photo as JPEG: `pixel` colours each pixel from its position and `grain`, a seeded
 * pseudo-random value in -64..63 (the same seed gives the same picture, byte for byte).
 */
export async function grainyPhoto(
  spec: GrainyPhotoSpec,
  pixel: (x: number, y: number, grain: number) => Rgb,
): Promise<Buffer> {
  const { width, height } = spec;
  const raw = Buffer.alloc(width * height * 3);
  let s = spec.seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const rgb = pixel(x, y, (s >> 24) - 64);
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) raw[i + c] = Math.max(0, Math.min(255, rgb[c]));
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: spec.quality })
    .toBuffer();
}

const STRIPES: Rgb[] = [
  [255, 255, 255],
  [10, 10, 10],
  [230, 40, 40],
  [250, 220, 30],
  [30, 90, 230],
  [40, 200, 120],
];

/**
 * The three backgrounds legibility must survive: near-white, near-black, and busy (fine diagonal
 * stripes of white, black and saturated colours, with grain), as JPEG like a sourced photo.
 */
export function photo(kind: 'light' | 'dark' | 'busy', width = 1600, height = 1200): Promise<Buffer> {
  return grainyPhoto({ width, height, seed: 7, quality: 92 }, (x, y, n) => {
    const base =
      kind === 'light' ? [244, 240, 232] : kind === 'dark' ? [20, 18, 16] : STRIPES[((x >> 3) + (y >> 4)) % 6];
    const grain = kind === 'busy' ? n : n >> 4;
    return [base[0] + grain, base[1] + grain, base[2] + grain];
  });
}
