/**
 * Word wrapping and auto-fit, computed from font metrics so the plan is pure and deterministic.
 * The renderer draws exactly the lines chosen here (joined with "\n", no rasteriser wrapping),
 * which is what makes "the text ends up inside its box" checkable.
 */
import { type FontMetrics, lineHeightPx, measureText } from './font-metrics.js';

export interface FittedText {
  /** Font size in px. */
  size: number;
  /** Baseline-to-baseline distance in px (what Pango uses with no extra spacing, rounded up). */
  lineHeight: number;
  lines: string[];
  /** Widest line in px (upper bound of the ink width). */
  width: number;
  /** lines * lineHeight (upper bound of the ink height). */
  height: number;
  /** True when the text did not fit even at the minimum size and was cut with an ellipsis. */
  truncated: boolean;
  /** True when the size is below the slot's maximum. */
  shrunk: boolean;
}

export interface FitRequest {
  text: string;
  metrics: FontMetrics;
  maxWidth: number;
  maxHeight: number;
  minSize: number;
  maxSize: number;
  maxLines: number;
}

const ELLIPSIS = '\u2026';

export const pitch = (m: FontMetrics, size: number): number => lineHeightPx(m, size) + 1;

/** Collapses whitespace but keeps explicit line breaks the author typed. */
export function normalizeText(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').split('\n').map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p.length > 0);
}

/** Splits a word that is wider than the line into pieces that fit (long URLs, compound words). */
function breakWord(word: string, m: FontMetrics, size: number, maxWidth: number): string[] {
  const pieces: string[] = [];
  let cur = '';
  for (const ch of word) {
    if (cur && measureText(m, cur + ch, size) > maxWidth) {
      pieces.push(cur);
      cur = ch;
    } else cur += ch;
  }
  if (cur) pieces.push(cur);
  return pieces;
}

/** Greedy word wrap: the same input always yields the same lines. */
export function wrapText(text: string, m: FontMetrics, size: number, maxWidth: number): string[] {
  const lines: string[] = [];
  for (const para of normalizeText(text)) {
    let cur = '';
    for (const raw of para.split(' ')) {
      const words = measureText(m, raw, size) > maxWidth ? breakWord(raw, m, size, maxWidth) : [raw];
      for (const word of words) {
        const candidate = cur ? `${cur} ${word}` : word;
        if (!cur || measureText(m, candidate, size) <= maxWidth) cur = candidate;
        else {
          lines.push(cur);
          cur = word;
        }
      }
    }
    if (cur) lines.push(cur);
  }
  return lines;
}

function fits(lines: string[], m: FontMetrics, size: number, req: FitRequest): boolean {
  return lines.length <= req.maxLines && lines.length * pitch(m, size) <= req.maxHeight
    && lines.every((l) => measureText(m, l, size) <= req.maxWidth);
}

function result(lines: string[], m: FontMetrics, size: number, maxSize: number, truncated: boolean): FittedText {
  const lh = pitch(m, size);
  return {
    size, lineHeight: lh, lines, truncated, shrunk: size < maxSize,
    width: Math.ceil(Math.max(0, ...lines.map((l) => measureText(m, l, size)))),
    height: lines.length * lh,
  };
}

/**
 * Largest integer size in [minSize, maxSize] whose wrapped lines fit the box and maxLines.
 * Fit is monotonic in size for greedy wrapping of a fixed text, so a binary search is exact.
 * When nothing fits at minSize, keeps as many lines as the box allows and ends the last with "…".
 */
export function fitText(req: FitRequest): FittedText {
  const m = req.metrics;
  const minSize = Math.max(1, Math.floor(Math.min(req.minSize, req.maxSize)));
  const maxSize = Math.max(minSize, Math.floor(req.maxSize));
  if (normalizeText(req.text).length === 0) return result([], m, maxSize, maxSize, false);

  let lo = minSize;
  let hi = maxSize;
  let best: { size: number; lines: string[] } | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const lines = wrapText(req.text, m, mid, req.maxWidth);
    if (fits(lines, m, mid, req)) {
      best = { size: mid, lines };
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best) return result(best.lines, m, best.size, maxSize, false);

  const size = minSize;
  const all = wrapText(req.text, m, size, req.maxWidth);
  const room = Math.max(1, Math.min(req.maxLines, Math.floor(req.maxHeight / pitch(m, size))));
  const kept = all.slice(0, room);
  let last = kept[kept.length - 1] ?? '';
  while (last.length > 0 && measureText(m, `${last}${ELLIPSIS}`, size) > req.maxWidth) {
    last = [...last].slice(0, -1).join('').trimEnd();
  }
  kept[kept.length - 1] = `${last}${ELLIPSIS}`;
  return result(kept, m, size, maxSize, true);
}
