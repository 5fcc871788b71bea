/**
 * Pixel measurements for the compliance engine: dominant colors (k-means in CIELAB on a sampled
 * grid) and the luminance of the background under each text block. Deterministic: fixed sampling
 * grid, initial centers from luminance quantiles, fixed iteration cap.
 */
import sharp from 'sharp';
import { labToRgb, rgbToHex, srgbToLinear } from '../../domain/compliance/color.js';
import type { Box } from '../../domain/rendering/geometry.js';
import type { DominantColor, ImageAnalysis, TextBackground, TextSlotName } from '../../domain/rendering/types.js';
import { INPUT_LIMITS } from './sharp-config.js';

/** Raw interleaved 8-bit pixels. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

const LINEAR = Float64Array.from({ length: 256 }, (_, v) => srgbToLinear(v));
const XN = 0.95047;
const ZN = 1.08883;
const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);

function labOf(r: number, g: number, b: number): [number, number, number] {
  const lr = LINEAR[r];
  const lg = LINEAR[g];
  const lb = LINEAR[b];
  const x = (0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) / XN;
  const y = 0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb;
  const z = (0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb) / ZN;
  const fy = f(y);
  return [116 * fy - 16, 500 * (f(x) - fy), 200 * (fy - f(z))];
}

/**
 * k-means (k clusters, Lloyd iterations) over up to `maxSamples` pixels taken on a regular grid.
 * Returns clusters sorted by share, largest first.
 */
export function dominantColors(img: RawImage, k = 5, maxSamples = 1600): DominantColor[] {
  const { data, width, height, channels } = img;
  const step = Math.max(1, Math.sqrt((width * height) / maxSamples));
  const cols = Math.max(1, Math.floor(width / step));
  const rows = Math.max(1, Math.floor(height / step));
  const n = cols * rows;
  if (width === 0 || height === 0) return [];
  // Typed arrays and integer indices keep V8 on its fast paths (a plain number[] was 20x slower).
  const pts = new Float64Array(n * 3);
  let p = 0;
  for (let r = 0; r < rows; r++) {
    const y = Math.min(height - 1, ((r + 0.5) * step) | 0);
    for (let c = 0; c < cols; c++, p += 3) {
      const x = Math.min(width - 1, ((c + 0.5) * step) | 0);
      const i = (y * width + x) * channels;
      const lab = labOf(data[i], data[i + 1], data[i + 2]);
      pts[p] = lab[0];
      pts[p + 1] = lab[1];
      pts[p + 2] = lab[2];
    }
  }
  // Initial centers: the points at evenly spaced lightness quantiles (first match, deduplicated).
  const lightness = new Float64Array(n);
  for (let q = 0; q < n; q++) lightness[q] = pts[3 * q];
  const sortedL = Float64Array.from(lightness).sort();
  const centers = new Float64Array(k * 3);
  let kk = 0;
  for (let c = 0; c < k; c++) {
    const target = sortedL[Math.min(n - 1, Math.floor(((c + 0.5) * n) / k))];
    const q = lightness.indexOf(target);
    let dup = false;
    for (let e = 0; e < kk; e++) {
      if (
        centers[3 * e] === pts[3 * q] &&
        centers[3 * e + 1] === pts[3 * q + 1] &&
        centers[3 * e + 2] === pts[3 * q + 2]
      )
        dup = true;
    }
    if (dup) continue;
    centers[3 * kk] = pts[3 * q];
    centers[3 * kk + 1] = pts[3 * q + 1];
    centers[3 * kk + 2] = pts[3 * q + 2];
    kk++;
  }
  const assign = new Int32Array(n).fill(-1);
  const sums = new Float64Array(kk * 4);
  for (let iter = 0; iter < 15; iter++) {
    let changed = false;
    for (let q = 0; q < n; q++) {
      const L = pts[3 * q];
      const a = pts[3 * q + 1];
      const b = pts[3 * q + 2];
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < kk; c++) {
        const dl = L - centers[3 * c];
        const da = a - centers[3 * c + 1];
        const db = b - centers[3 * c + 2];
        const d = dl * dl + da * da + db * db;
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      if (assign[q] !== best) {
        changed = true;
        assign[q] = best;
      }
    }
    if (!changed) break;
    sums.fill(0);
    for (let q = 0; q < n; q++) {
      const s = 4 * assign[q];
      sums[s] += pts[3 * q];
      sums[s + 1] += pts[3 * q + 1];
      sums[s + 2] += pts[3 * q + 2];
      sums[s + 3] += 1;
    }
    for (let c = 0; c < kk; c++) {
      const cnt = sums[4 * c + 3];
      if (cnt === 0) continue;
      centers[3 * c] = sums[4 * c] / cnt;
      centers[3 * c + 1] = sums[4 * c + 1] / cnt;
      centers[3 * c + 2] = sums[4 * c + 2] / cnt;
    }
  }
  const counts = new Array<number>(kk).fill(0);
  for (let q = 0; q < n; q++) counts[assign[q]]++;
  const out: DominantColor[] = [];
  for (let c = 0; c < kk; c++) {
    if (counts[c] === 0) continue;
    out.push({
      hex: rgbToHex(labToRgb([centers[3 * c], centers[3 * c + 1], centers[3 * c + 2]])),
      share: Math.round((counts[c] / n) * 10000) / 10000,
    });
  }
  return out.sort((a, b) => b.share - a.share || (a.hex < b.hex ? -1 : 1));
}

const percentile = (sorted: Float64Array, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];

/** Luminance distribution of the pixels inside `region` (sampled on a grid of at most ~2500 points). */
export function sampleBackground(img: RawImage, region: Box, slot: TextSlotName): TextBackground {
  const { data, width, height, channels } = img;
  const x0 = Math.max(0, region.x);
  const y0 = Math.max(0, region.y);
  const x1 = Math.min(width, region.x + region.w);
  const y1 = Math.min(height, region.y + region.h);
  const w = x1 - x0;
  const h = y1 - y0;
  if (w <= 0 || h <= 0) {
    return { slot, samples: 0, luminance: { min: 0, p10: 0, p50: 0, p90: 0, max: 0 }, meanHex: '#000000' };
  }
  const step = Math.max(1, Math.sqrt((w * h) / 2500));
  const cols = Math.max(1, Math.floor(w / step));
  const rows = Math.max(1, Math.floor(h / step));
  const lum = new Float64Array(cols * rows);
  let sr = 0;
  let sg = 0;
  let sb = 0;
  let k = 0;
  for (let r = 0; r < rows; r++) {
    const y = Math.min(y1 - 1, (y0 + (r + 0.5) * step) | 0);
    for (let c = 0; c < cols; c++) {
      const x = Math.min(x1 - 1, (x0 + (c + 0.5) * step) | 0);
      const i = (y * width + x) * channels;
      const R = data[i];
      const G = data[i + 1];
      const B = data[i + 2];
      sr += R;
      sg += G;
      sb += B;
      lum[k++] = 0.2126 * LINEAR[R] + 0.7152 * LINEAR[G] + 0.0722 * LINEAR[B];
    }
  }
  const sorted = lum.sort();
  const n = sorted.length;
  const r4 = (v: number) => Math.round(v * 10000) / 10000;
  return {
    slot,
    samples: n,
    luminance: {
      min: r4(sorted[0]),
      p10: r4(percentile(sorted, 0.1)),
      p50: r4(percentile(sorted, 0.5)),
      p90: r4(percentile(sorted, 0.9)),
      max: r4(sorted[n - 1]),
    },
    meanHex: rgbToHex([sr / n, sg / n, sb / n]),
  };
}

/** Dominant colors of any encoded image (used for the master). */
export async function analyzeImage(input: Buffer): Promise<ImageAnalysis> {
  const img = sharp(input, INPUT_LIMITS).rotate();
  const meta = await img.metadata();
  const { data, info } = await img
    .resize(96, 96, { fit: 'inside' })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const rotated = (meta.orientation ?? 1) >= 5;
  return {
    width: (rotated ? meta.height : meta.width) ?? info.width,
    height: (rotated ? meta.width : meta.height) ?? info.height,
    dominantColors: dominantColors({ data, width: info.width, height: info.height, channels: info.channels }),
  };
}
