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
const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);

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
export function dominantColors(img: RawImage, k = 5, maxSamples = 4096): DominantColor[] {
  const { data, width, height, channels } = img;
  const step = Math.max(1, Math.sqrt((width * height) / maxSamples));
  const pts: number[] = [];
  for (let fy = step / 2; fy < height; fy += step) {
    for (let fx = step / 2; fx < width; fx += step) {
      const i = (Math.floor(fy) * width + Math.floor(fx)) * channels;
      pts.push(...labOf(data[i], data[i + 1], data[i + 2]));
    }
  }
  const n = pts.length / 3;
  if (n === 0) return [];
  // Initial centers: points at evenly spaced lightness quantiles, deduplicated.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => pts[3 * a] - pts[3 * b] || a - b);
  let centers: number[][] = [];
  for (let c = 0; c < k; c++) {
    const i = order[Math.min(n - 1, Math.floor(((c + 0.5) * n) / k))];
    const cand = [pts[3 * i], pts[3 * i + 1], pts[3 * i + 2]];
    if (!centers.some((e) => e[0] === cand[0] && e[1] === cand[1] && e[2] === cand[2])) centers.push(cand);
  }
  const assign = new Int32Array(n);
  for (let iter = 0; iter < 15; iter++) {
    let changed = false;
    for (let p = 0; p < n; p++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < centers.length; c++) {
        const dl = pts[3 * p] - centers[c][0];
        const da = pts[3 * p + 1] - centers[c][1];
        const db = pts[3 * p + 2] - centers[c][2];
        const d = dl * dl + da * da + db * db;
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      if (assign[p] !== best || iter === 0) changed = true;
      assign[p] = best;
    }
    const sums = centers.map(() => [0, 0, 0, 0]);
    for (let p = 0; p < n; p++) {
      const s = sums[assign[p]];
      s[0] += pts[3 * p];
      s[1] += pts[3 * p + 1];
      s[2] += pts[3 * p + 2];
      s[3] += 1;
    }
    centers = sums.map((s, c) => (s[3] > 0 ? [s[0] / s[3], s[1] / s[3], s[2] / s[3]] : centers[c]));
    if (!changed) break;
  }
  const counts = new Array(centers.length).fill(0);
  for (let p = 0; p < n; p++) counts[assign[p]]++;
  return centers
    .map((c, i) => ({ hex: rgbToHex(labToRgb([c[0], c[1], c[2]])), share: counts[i] / n }))
    .filter((c) => c.share > 0)
    .sort((a, b) => b.share - a.share || (a.hex < b.hex ? -1 : 1))
    .map((c) => ({ hex: c.hex, share: Math.round(c.share * 10000) / 10000 }));
}

const percentile = (sorted: Float64Array, q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];

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
  const lum: number[] = [];
  let sr = 0;
  let sg = 0;
  let sb = 0;
  for (let fy = y0 + step / 2; fy < y1; fy += step) {
    for (let fx = x0 + step / 2; fx < x1; fx += step) {
      const i = (Math.floor(fy) * width + Math.floor(fx)) * channels;
      const r = data[i];
      const g = data[i + 1];
      const b = data[i + 2];
      sr += r;
      sg += g;
      sb += b;
      lum.push(0.2126 * LINEAR[r] + 0.7152 * LINEAR[g] + 0.0722 * LINEAR[b]);
    }
  }
  const sorted = Float64Array.from(lum).sort();
  const n = sorted.length;
  const r4 = (v: number) => Math.round(v * 10000) / 10000;
  return {
    slot,
    samples: n,
    luminance: { min: r4(sorted[0]), p10: r4(percentile(sorted, 0.1)), p50: r4(percentile(sorted, 0.5)), p90: r4(percentile(sorted, 0.9)), max: r4(sorted[n - 1]) },
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
