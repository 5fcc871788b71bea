/**
 * Procedural images for the Freepik emulator: a gradient and a few shapes at the exact requested
 * size. Colours come either from a hash of the theme (a prompt) or from an explicit palette
 * (`palette:#RRGGBB,#RRGGBB,...:<seed>`: stock results, and AI calls that pass `styling.colors`).
 * Also the hostile payloads its fault knobs serve.
 */
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { hash32, seededRandom } from '../../seeded-random.js';

// Re-exported: the catalog, AI routes and fault knobs draw from the same generators.
export { hash32, seededRandom };

const cache = new Map<string, Promise<Buffer>>();
const CACHE_MAX = 48;

/** A themed JPEG/PNG of exactly width x height. Cached (the emulator serves the same files often). */
export function renderThemedImage(
  theme: string,
  width: number,
  height: number,
  format: 'jpeg' | 'png' = 'jpeg',
): Promise<Buffer> {
  const key = `${theme}|${width}x${height}|${format}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const p = render(theme, width, height, format);
  cache.set(key, p);
  p.catch(() => cache.delete(key));
  if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  return p;
}

/** The theme string of an image drawn in these colours (first two: the gradient; all: the shapes). */
export function paletteTheme(colors: readonly string[], seed: number): string {
  return `palette:${colors.join(',')}:${seed}`;
}

function parsePalette(theme: string): { colors: string[]; seed: number } | undefined {
  const m = /^palette:((?:#[0-9a-fA-F]{6},?)+):(\d+)$/.exec(theme);
  return m ? { colors: m[1].split(',').filter(Boolean), seed: Number(m[2]) } : undefined;
}

/** `hsl(h, s%, l%)` as #RRGGBB. */
export function hslHex(h: number, s: number, l: number): string {
  const hh = ((h % 360) + 360) % 360;
  const ss = Math.max(0, Math.min(100, s)) / 100;
  const ll = Math.max(0, Math.min(100, l)) / 100;
  const k = (n: number) => (n + hh / 30) % 12;
  const a = ss * Math.min(ll, 1 - ll);
  const f = (n: number) => ll - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return `#${[f(0), f(8), f(4)]
    .map((v) =>
      Math.round(v * 255)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`.toUpperCase();
}

async function render(theme: string, width: number, height: number, format: 'jpeg' | 'png'): Promise<Buffer> {
  const palette = parsePalette(theme);
  const rnd = seededRandom(palette ? palette.seed : hash32(theme));
  const hue = Math.floor(rnd() * 360);
  const c1 = palette ? palette.colors[0] : `hsl(${hue},70%,55%)`;
  const c2 = palette
    ? palette.colors[1 % palette.colors.length]
    : `hsl(${(hue + 40 + Math.floor(rnd() * 80)) % 360},65%,35%)`;
  // Draw small and scale up: gradients and soft shapes survive it, and big sizes stay fast.
  const scale = Math.max(1, Math.ceil(Math.max(width, height) / 512));
  const w = Math.max(8, Math.round(width / scale));
  const h = Math.max(8, Math.round(height / scale));
  const shapes: string[] = [];
  const n = 3 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    const fill = palette
      ? palette.colors[Math.floor(rnd() * palette.colors.length)]
      : `hsl(${(hue + 120 + Math.floor(rnd() * 120)) % 360},75%,${40 + Math.floor(rnd() * 40)}%)`;
    const x = Math.round(rnd() * w),
      y = Math.round(rnd() * h),
      r = Math.round((0.08 + rnd() * 0.25) * Math.min(w, h));
    shapes.push(
      rnd() < 0.6
        ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${fill}" opacity="0.7"/>`
        : `<rect x="${x - r}" y="${y - r}" width="${2 * r}" height="${Math.round(1.4 * r)}" rx="${Math.round(r / 5)}" fill="${fill}" opacity="0.6"/>`,
    );
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${c1}"/><stop offset="1" stop-color="${c2}"/></linearGradient></defs>
<rect width="100%" height="100%" fill="url(#g)"/>${shapes.join('')}</svg>`;
  const img = sharp(Buffer.from(svg)).resize(width, height, { fit: 'fill', kernel: 'cubic' });
  return format === 'png' ? img.png({ compressionLevel: 6 }).toBuffer() : img.jpeg({ quality: 82 }).toBuffer();
}

function crc32(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const b of buf) {
    let c = (crc ^ b) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid-looking PNG whose header claims width x height (default 30000 x 30000) in a few dozen bytes. */
export function pixelBombPng(width = 30_000, height = 30_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(64))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** What a CDN error page looks like when served under an image content type. */
export const NON_IMAGE_BYTES = Buffer.from(
  '<!doctype html><html><head><title>Access denied</title></head><body>Access denied</body></html>\n',
);

/** Stable short id for a theme (used in task ids and filenames). */
export const themeId = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 12);
