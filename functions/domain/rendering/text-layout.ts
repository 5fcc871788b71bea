/**
 * Line breaking and auto-fit on measurements from the engine that draws (TextMeasurer). The
 * renderer draws exactly the lines chosen here (joined with "\n", no rasteriser wrapping), and a
 * block is accepted only once its measured ink fits the box, which is what makes "the text ends
 * up inside its box" true by construction.
 *
 * Measuring every candidate line would cost one rasterization each, so candidates come from an
 * estimate: each break unit's advance, measured once at REFERENCE_SIZE between two bars
 * ("|unit|" minus "||", which keeps side bearings out) and scaled to the size. Only the chosen
 * blocks are measured at their real size, and only those measurements decide. The estimate is a
 * function of measurements too, so the result is the same whatever the cache held.
 */
import { baseDirection, breakTokens, graphemes, normalizeText } from './segments.js';
import type { FaceRef, InkSize, TextBlock, TextMeasurer } from './text-measure.js';
import type { Align, Direction } from './types.js';

export { normalizeText } from './segments.js';

/** Size (px) at which break units are measured for estimates. */
export const REFERENCE_SIZE = 64;
const ELLIPSIS = '\u2026';
/** Exact probes below the estimated best size before switching to measured line breaking. */
const PROBES = 3;

export interface FittedText {
  /** Font size in px. */
  size: number;
  /** Baseline-to-baseline distance in px at this size (measured on the face). */
  lineHeight: number;
  lines: string[];
  /** Measured ink width of the block in px. */
  width: number;
  /** Measured ink height of the block in px. */
  height: number;
  /** True only when characters were left out (the last line then ends with "…"). */
  truncated: boolean;
  /** True when the size is below the slot's maximum. */
  shrunk: boolean;
}

export interface FitRequest {
  text: string;
  face: FaceRef;
  measure: TextMeasurer;
  maxWidth: number;
  maxHeight: number;
  minSize: number;
  maxSize: number;
  maxLines: number;
  /** Logical alignment (the template's); Pango mirrors it for right-to-left lines. */
  align: Align;
  /** Defaults to the direction of the text's first strong character. */
  direction?: Direction;
}

/** Estimates from per-unit measurements at REFERENCE_SIZE; cached per fit. */
class Estimator {
  private readonly adv = new Map<string, number>();
  private readonly tall = new Map<string, number>();
  private readonly bars: InkSize;
  private readonly pitchRef: number;

  constructor(
    private readonly m: TextMeasurer,
    private readonly face: FaceRef,
    private readonly direction: Direction,
  ) {
    this.bars = this.ink(['||']);
    this.pitchRef = Math.max(1, this.ink(['|', '|']).h - this.ink(['|']).h);
  }

  private ink(lines: string[]): InkSize {
    return this.m.ink({ face: this.face, size: REFERENCE_SIZE, lines, align: 'left', direction: this.direction });
  }

  /** Advance of a token at REFERENCE_SIZE (bars keep its side bearings in). */
  private unit(token: string): number {
    let a = this.adv.get(token);
    if (a === undefined) {
      const m = this.ink([`|${token}|`]);
      a = Math.max(0, m.w - this.bars.w);
      this.adv.set(token, a);
      // Taller than the bars: a fallback font with a taller line (Arabic, emoji) on this line.
      this.tall.set(token, Math.max(0, m.h - this.bars.h));
    }
    return a;
  }

  /** Width of any text as the sum of its graphemes' advances: each grapheme is measured once,
   *  however many cut or split variants of a long word are tried. */
  approx(text: string, size: number): number {
    let sum = 0;
    for (const g of graphemes(text)) sum += this.unit(g);
    return (sum * size) / REFERENCE_SIZE;
  }

  width(tokens: readonly string[], size: number): number {
    let sum = 0;
    for (const t of tokens) sum += this.unit(t);
    return (sum * size) / REFERENCE_SIZE;
  }

  pitch(size: number): number {
    return Math.ceil((this.pitchRef * size) / REFERENCE_SIZE);
  }

  /** Ink height of `lines` (as token lists): n - 1 pitches plus one line's ink. */
  height(lines: readonly string[][], size: number): number {
    if (lines.length === 0) return 0;
    let ref = 0;
    lines.forEach((tokens, i) => {
      let extra = 0;
      for (const t of tokens)
        if (t !== ' ') {
          this.unit(t);
          extra = Math.max(extra, this.tall.get(t) ?? 0);
        }
      ref += (i < lines.length - 1 ? this.pitchRef : this.bars.h) + extra;
    });
    return (ref * size) / REFERENCE_SIZE;
  }
}

/** A break unit and whether a space separates it from the previous one. */
interface Unit {
  text: string;
  space: boolean;
  /** A piece of a split unit: estimated from its graphemes (see Estimator.approx). */
  piece?: boolean;
}

interface Ctx {
  req: FitRequest;
  direction: Direction;
  est: Estimator;
  paragraphs: Unit[][];
}

function units(paragraph: string): Unit[] {
  const out: Unit[] = [];
  let space = false;
  for (const t of breakTokens(paragraph)) {
    if (t === ' ') space = true;
    else {
      out.push({ text: t, space: space && out.length > 0 });
      space = false;
    }
  }
  return out;
}

const lineText = (line: readonly Unit[]): string =>
  line.map((u, i) => (i > 0 && u.space ? ` ${u.text}` : u.text)).join('');

function lineWidth(ctx: Ctx, line: readonly Unit[], size: number): number {
  let w = 0;
  line.forEach((u, i) => {
    if (i > 0 && u.space) w += ctx.est.width([' '], size);
    w += u.piece ? ctx.est.approx(u.text, size) : ctx.est.width([u.text], size);
  });
  return w;
}

/** Splits units wider than the line into grapheme pieces that fit (long URLs, compound words). */
function splitWide(ctx: Ctx, para: readonly Unit[], size: number, maxWidth: number): Unit[] {
  return para.flatMap((u) => {
    if (ctx.est.width([u.text], size) <= maxWidth) return [u];
    // Piece widths as sums of grapheme advances: one reference measurement per grapheme, not
    // one per prefix of a 100-character word.
    const pieces: Unit[] = [];
    let cur = '';
    let w = 0;
    for (const g of graphemes(u.text)) {
      const gw = ctx.est.approx(g, size);
      if (cur && w + gw > maxWidth) {
        pieces.push({ text: cur, space: pieces.length === 0 && u.space, piece: true });
        cur = g;
        w = gw;
      } else {
        cur += g;
        w += gw;
      }
    }
    if (cur) pieces.push({ text: cur, space: pieces.length === 0 && u.space, piece: true });
    return pieces;
  });
}

/** Greedy line breaking on estimated widths: the same input always yields the same lines. */
function wrapEstimated(ctx: Ctx, size: number, maxWidth: number): Unit[][] {
  const lines: Unit[][] = [];
  for (const para of ctx.paragraphs) {
    let cur: Unit[] = [];
    for (const u of splitWide(ctx, para, size, maxWidth)) {
      if (cur.length > 0 && lineWidth(ctx, [...cur, u], size) > maxWidth) {
        lines.push(cur);
        cur = [{ ...u, space: false }];
      } else cur.push(cur.length === 0 ? { ...u, space: false } : u);
    }
    if (cur.length) lines.push(cur);
  }
  return lines;
}

function measure(ctx: Ctx, lines: readonly string[], size: number): InkSize {
  if (lines.length === 0) return { w: 0, h: 0 };
  const block: TextBlock = { face: ctx.req.face, size, lines, align: ctx.req.align, direction: ctx.direction };
  return ctx.req.measure.ink(block);
}

const fitsBox = (ctx: Ctx, ink: InkSize, count: number) =>
  count <= ctx.req.maxLines && ink.w <= ctx.req.maxWidth && ink.h <= ctx.req.maxHeight;

function result(
  ctx: Ctx,
  lines: string[],
  size: number,
  ink: InkSize,
  truncated: boolean,
  maxSize: number,
): FittedText {
  return {
    size,
    lineHeight: ctx.est.pitch(size),
    lines,
    width: ink.w,
    height: ink.h,
    truncated,
    shrunk: size < maxSize,
  };
}

/**
 * Greedy line breaking on measured widths, at one size: each line starts from the estimated break
 * and moves it by whole units until the measured line fits (used at the minimum size, where an
 * estimate that errs by a pixel would otherwise decide between fitting and cutting).
 */
function wrapMeasured(ctx: Ctx, size: number, maxWidth: number): string[] {
  const out: string[] = [];
  for (const para of ctx.paragraphs) {
    const us = splitWide(ctx, para, size, maxWidth);
    let start = 0;
    while (start < us.length) {
      const width = (end: number) =>
        measure(ctx, [lineText(us.slice(start, end).map((u, i) => (i === 0 ? { ...u, space: false } : u)))], size).w;
      let end = start + 1;
      while (end < us.length && lineWidth(ctx, us.slice(start, end + 1), size) <= maxWidth) end++;
      if (width(end) > maxWidth) {
        while (end - start > 1 && width(end) > maxWidth) end--;
      } else {
        while (end < us.length && width(end + 1) <= maxWidth) end++;
      }
      out.push(lineText(us.slice(start, end).map((u, i) => (i === 0 ? { ...u, space: false } : u))));
      start = end;
    }
  }
  return out;
}

/**
 * Keeps as many graphemes of the last line as fit with "…" appended, on measurements: a binary
 * search (the width grows with every grapheme kept), so a long line costs a handful of them.
 */
function cutLast(ctx: Ctx, kept: string[], size: number): { lines: string[]; ink: InkSize } {
  const head = kept.slice(0, -1);
  const g = graphemes(kept[kept.length - 1]);
  const withEllipsis = (n: number) => [...head, `${g.slice(0, n).join('').trimEnd()}${ELLIPSIS}`];
  const fits = (n: number) => measure(ctx, withEllipsis(n), size).w <= ctx.req.maxWidth;
  let lo = 1;
  let hi = g.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  const lines = withEllipsis(lo);
  return { lines, ink: measure(ctx, lines, size) };
}

/**
 * The same number of lines at the same size, as even as they go: greedy breaking fills the first
 * lines and can leave one word (or a lone emoji) on the last. The narrowest breaking width that
 * still gives as many lines is found on estimates (binary search), and kept only when the
 * measured block fits; otherwise the greedy lines stand.
 */
function balance(ctx: Ctx, size: number, lines: string[], ink: InkSize, maxSize: number): FittedText {
  const n = lines.length;
  if (n < 2 || ctx.paragraphs.length !== 1) return result(ctx, lines, size, ink, false, maxSize);
  const count = (w: number) => wrapEstimated(ctx, size, w).length;
  let lo = Math.floor(ink.w / n);
  let hi = Math.min(ctx.req.maxWidth, ink.w);
  if (count(hi) !== n) return result(ctx, lines, size, ink, false, maxSize);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (count(mid) <= n) hi = mid;
    else lo = mid;
  }
  const even = wrapEstimated(ctx, size, hi).map(lineText);
  if (even.length !== n || even.every((l, i) => l === lines[i])) return result(ctx, lines, size, ink, false, maxSize);
  const evenInk = measure(ctx, even, size);
  return fitsBox(ctx, evenInk, n)
    ? result(ctx, even, size, evenInk, false, maxSize)
    : result(ctx, lines, size, ink, false, maxSize);
}

/**
 * Largest size in [minSize, maxSize] whose lines fit the box and maxLines, on measured ink. When
 * nothing fits at minSize, keeps the lines that fit and ends the last with "…" (truncated). When
 * not even one line fits the height, returns no lines (truncated): the caller grows the box first.
 */
export function fitText(req: FitRequest): FittedText {
  const direction = req.direction ?? baseDirection(req.text);
  const minSize = Math.max(1, Math.floor(Math.min(req.minSize, req.maxSize)));
  const maxSize = Math.max(minSize, Math.floor(req.maxSize));
  const paragraphs = normalizeText(req.text).map(units);
  const ctx: Ctx = { req, direction, est: new Estimator(req.measure, req.face, direction), paragraphs };
  if (paragraphs.length === 0) return result(ctx, [], maxSize, { w: 0, h: 0 }, false, maxSize);

  const fitsEstimate = (size: number) => {
    const lines = wrapEstimated(ctx, size, req.maxWidth);
    return (
      lines.length <= req.maxLines &&
      ctx.est.height(
        lines.map((l) => l.map((u) => u.text)),
        size,
      ) <= req.maxHeight
    );
  };
  // Fit is monotonic in size for greedy wrapping of a fixed text, so a binary search finds the best.
  let lo = minSize;
  let hi = maxSize;
  let best = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (fitsEstimate(mid)) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const probe = (size: number) => {
    const lines = wrapEstimated(ctx, size, req.maxWidth).map(lineText);
    const ink = measure(ctx, lines, size);
    return fitsBox(ctx, ink, lines.length) ? { lines, ink } : null;
  };
  for (let size = best; best > 0 && size >= Math.max(minSize, best - PROBES + 1); size--) {
    const hit = probe(size);
    if (hit) return balance(ctx, size, hit.lines, hit.ink, maxSize);
  }
  // The estimate was too hopeful (a fallback font's taller lines, say): search the sizes below on
  // measurements rather than dropping straight to the minimum.
  let found: { size: number; lines: string[]; ink: InkSize } | null = null;
  for (let a = minSize + 1, b = best > 0 ? best - PROBES : maxSize; a <= b; ) {
    const mid = (a + b) >> 1;
    const hit = probe(mid);
    if (hit) {
      found = { size: mid, ...hit };
      a = mid + 1;
    } else b = mid - 1;
  }
  if (found) return balance(ctx, found.size, found.lines, found.ink, maxSize);

  // At the minimum size, on measurements only. A block can be a few px wider than its widest
  // line (lines start at different side bearings): narrow the breaking width by the overrun.
  let all: string[] = [];
  let whole: InkSize = { w: 0, h: 0 };
  for (let width = req.maxWidth, i = 0; i < 3 && width > 0; i++) {
    all = wrapMeasured(ctx, minSize, width);
    whole = measure(ctx, all, minSize);
    if (whole.w <= req.maxWidth) break;
    width -= whole.w - req.maxWidth;
  }
  if (fitsBox(ctx, whole, all.length)) return balance(ctx, minSize, all, whole, maxSize);
  let room = Math.min(all.length, req.maxLines);
  while (room > 0 && measure(ctx, all.slice(0, room), minSize).h > req.maxHeight) room--;
  if (room === 0) return result(ctx, [], minSize, { w: 0, h: 0 }, true, maxSize);
  const cut = cutLast(ctx, all.slice(0, room), minSize);
  return result(ctx, cut.lines, minSize, cut.ink, true, maxSize);
}

/** Ink of one line of `text` at `size` (what the plan needs to know whether a box has room). */
export function measureLine(
  measure: TextMeasurer,
  face: FaceRef,
  text: string,
  size: number,
  align: Align = 'left',
): InkSize {
  const direction = baseDirection(text);
  return measure.ink({ face, size, lines: [normalizeText(text).join(' ')], align, direction });
}
