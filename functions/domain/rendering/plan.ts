/**
 * The pure render plan: from a preset, template layers, brand and brief it decides every pixel box
 * (image, overlay, text, logo), the wrapped lines and font sizes. Same input -> same plan, so the
 * renderer's output is reproducible and the compliance engine can reason about boxes. Text is
 * measured through the TextMeasurer port (the engine that draws), so every planned box holds the
 * ink that will be drawn in it.
 *
 * Rules, in order:
 * 1. Text boxes come from the template (per layout class, else `default`) and are laid out
 *    relative to the preset's safe rectangle, not the full canvas: one "tall" template then works
 *    on a 4:5 post and on a story with 250/340 px UI bands, and text can never start in a band.
 *    Boxes are then cut away from platform UI overlays and from the logo's clear space. A later
 *    slot (headline > body > cta) whose box runs into an earlier slot's text is placed below that
 *    text in its own column (the template's x and width), or else in what is left of its box
 *    beside the text, whichever holds its copy (below first: it reads in order).
 * 2. Font sizes are the template's range scaled by canvas width / 1080 and auto-fitted (largest
 *    size whose lines fit the box and maxLines on measured ink). Copy that does not fit even at
 *    the minimum size first gets room: more lines in its box (multi-line slots: maxLines is a
 *    style, a cut disclaimer is a legal problem), then its box grown down into free space of the
 *    safe rectangle (clear of the logo, UI and the other slots), then wider. Only when nothing
 *    holds it are lines dropped and the last one ends in "…". Every such change is an adjustment.
 * 3. The logo sits in its corner of the safe rectangle, widthPct of the canvas wide (height capped
 *    at 25% of the canvas), nudged off UI overlays.
 * 4. The overlay is the text's backing, so it is placed with the text: an explicit band/gradient
 *    box is extended until every text block on its side of the canvas sits on its fully opaque
 *    part (a story's headline, lifted out of the bottom UI zone, lands above a template band that
 *    hugs the bottom edge). Without an explicit box, the overlay spans the text to the nearest
 *    canvas edge (full width on square/tall, full height on wide), with the gradient's ramp beyond
 *    the text.
 * 5. Right-to-left copy mirrors the template's alignment (start-aligned), and a box narrower than
 *    the column of text boxes it overlaps is mirrored within that column, so RTL lines end flush.
 */
import {
  textSlotNames,
  type BrandKit,
  type Brief,
  type RelBox,
  type TemplateLayers,
  type TextSlot,
} from '../brand-types.js';
import { safeRect, type PlatformPreset } from '../platforms.js';
import { contrastRatio, hexToRgb } from '../compliance/color.js';
import {
  avoid,
  type Box,
  box as mkBox,
  contains,
  expand,
  intersect,
  intersects,
  isEmpty,
  nudgeAway,
  union,
  bottom,
  right,
} from './geometry.js';
import { baseDirection, coverage } from './segments.js';
import { fitText, measureLine, type FittedText } from './text-layout.js';
import { placeInk, type FontFace, type TextBlock, type TextMeasurer } from './text-measure.js';
import type {
  Adjustment,
  Align,
  FontWeight,
  PlannedLogo,
  PlannedOverlay,
  PlannedText,
  RenderPlan,
  TextSlotName,
} from './types.js';

export type { FontFace } from './text-measure.js';

export interface PlanInput {
  preset: PlatformPreset;
  /** Parsed template layers (templateLayersSchema output). */
  layers: TemplateLayers;
  /** Parsed brand kit (brandKitSchema output). */
  brand: BrandKit;
  brief: Pick<Brief, 'headline' | 'body' | 'callToAction'>;
  /** Shipped faces: primaries (the first primary's family is the default) and fallbacks in fallback order. */
  fonts: readonly FontFace[];
  /** Measures text as the renderer draws it. */
  measure: TextMeasurer;
  /** Intrinsic size of the logo image; omit when the brand has no logo. */
  logo?: { width: number; height: number } | null;
}

const REFERENCE_WIDTH = 1080;
const MAX_LOGO_HEIGHT_PCT = 0.25;
const SLOT_LABEL: Record<TextSlotName, string> = { headline: 'headline', body: 'body text', cta: 'call to action' };
const MIRROR: Record<Align, Align> = { left: 'right', right: 'left', center: 'center' };
/** Capitals with accents and descenders: the tallest ordinary line a slot must have room for. */
const ROOM_SAMPLE = 'ÉÅgjy';
/** Space between earlier text and a slot placed below it, in the earlier text's size (ink to ink). */
const BELOW_GAP = 0.75;

export function relToPx(r: RelBox, width: number, height: number): Box {
  return relToBox(r, { x: 0, y: 0, w: width, h: height });
}

/** A relative box (0..1) mapped into `frame`, cut at the frame's edges. */
export function relToBox(r: RelBox, frame: Box): Box {
  return mkBox(
    frame.x + r.x * frame.w,
    frame.y + r.y * frame.h,
    Math.min(r.w, 1 - r.x) * frame.w,
    Math.min(r.h, 1 - r.y) * frame.h,
  );
}

function slotBox(slot: TextSlot, layout: PlatformPreset['layout']): RelBox {
  return slot.box[layout] ?? slot.box.default;
}

/** First palette color with the role; sensible fallbacks so a sparse palette still renders. */
export function colorForRole(brand: BrandKit, role: string, against?: string): string {
  const hit = brand.colors.palette.find((c) => c.role === role);
  if (hit) return hit.hex.toUpperCase();
  if (role === 'text') {
    // No text color in the palette: pick white or near-black, whichever reads better on the overlay.
    const bg = hexToRgb(against ?? '#000000');
    return contrastRatio([255, 255, 255], bg) >= contrastRatio([17, 17, 17], bg) ? '#FFFFFF' : '#111111';
  }
  return (brand.colors.palette.find((c) => c.role === 'primary') ?? brand.colors.palette[0]).hex.toUpperCase();
}

export function pickFace(fonts: readonly FontFace[], family: string, weight: FontWeight): FontFace {
  const primaries = fonts.filter((f) => f.role === 'primary');
  if (primaries.length === 0) throw new RangeError('no shipped fonts');
  const same = primaries.filter((f) => f.family.toLowerCase() === family.trim().toLowerCase());
  const pool = same.length > 0 ? same : primaries.filter((f) => f.family === primaries[0].family);
  return pool.find((f) => f.weight === weight) ?? pool[0];
}

function planLogo(input: PlanInput, safe: Box, uiOverlays: Box[]): PlannedLogo | null {
  const { preset, brand, layers, logo } = input;
  if (!layers.logo.enabled || !logo || logo.width <= 0 || logo.height <= 0) return null;
  const W = preset.width;
  const H = preset.height;
  let w = Math.round(brand.logo.widthPct * W);
  let h = Math.round((w * logo.height) / logo.width);
  const maxH = Math.round(MAX_LOGO_HEIGHT_PCT * H);
  if (h > maxH) {
    h = maxH;
    w = Math.round((h * logo.width) / logo.height);
  }
  w = Math.min(w, safe.w);
  h = Math.min(h, safe.h);
  const placement = layers.logo.placement ?? brand.logo.placement;
  const x = placement.endsWith('left') ? safe.x : right(safe) - w;
  const y = placement.startsWith('top') ? safe.y : bottom(safe) - h;
  let b: Box = { x, y, w, h };
  for (const o of uiOverlays) b = nudgeAway(b, o, safe);
  return {
    box: b,
    clearSpace: Math.round(brand.logo.clearSpacePct * w),
    minWidth: Math.ceil(brand.logo.minWidthPct * W),
    placement,
  };
}

/** Space `b` can grow into inside `bounds` without touching `obstacles` (down, up, then sideways). */
export function freeAround(b: Box, bounds: Box, obstacles: readonly Box[]): Box {
  const live = obstacles.filter((o) => !isEmpty(o) && !intersects(o, b));
  const overlapsX = (o: Box, x0: number, x1: number) => o.x < x1 && right(o) > x0;
  const overlapsY = (o: Box, y0: number, y1: number) => o.y < y1 && bottom(o) > y0;
  let y1 = bottom(bounds);
  for (const o of live) if (overlapsX(o, b.x, right(b)) && o.y >= bottom(b)) y1 = Math.min(y1, o.y);
  let y0 = bounds.y;
  for (const o of live) if (overlapsX(o, b.x, right(b)) && bottom(o) <= b.y) y0 = Math.max(y0, bottom(o));
  y0 = Math.min(y0, b.y);
  y1 = Math.max(y1, bottom(b));
  let x1 = right(bounds);
  for (const o of live) if (overlapsY(o, y0, y1) && o.x >= right(b)) x1 = Math.min(x1, o.x);
  let x0 = bounds.x;
  for (const o of live) if (overlapsY(o, y0, y1) && right(o) <= b.x) x0 = Math.max(x0, right(o));
  x0 = Math.min(x0, b.x);
  x1 = Math.max(x1, right(b));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** The smallest box that holds `need` px, grown out of `b` inside `free`, keeping its alignment edge. */
function growWithin(b: Box, free: Box, need: { w: number; h: number }, align: Align): Box {
  const w = Math.min(free.w, Math.max(b.w, need.w));
  const h = Math.min(free.h, Math.max(b.h, need.h));
  const clampX = (x: number) => Math.max(free.x, Math.min(right(free) - w, x));
  const x =
    align === 'left' ? clampX(b.x) : align === 'right' ? clampX(right(b) - w) : clampX(b.x - Math.floor((w - b.w) / 2));
  const y = Math.max(free.y, Math.min(bottom(free) - h, b.y));
  return { x, y, w, h };
}

const keptChars = (f: FittedText) =>
  f.lines
    .join('')
    .replace(/\u2026$/, '')
    .replace(/\s+/g, '').length;
const fits = (f: FittedText | null): f is FittedText => !!f && !f.truncated && f.lines.length > 0;

/** Lines a block may take once its template's maxLines would otherwise cost characters. */
const ANY_LINES = Number.POSITIVE_INFINITY;

/** Where one slot's copy goes and how it is set, before it becomes a PlannedText. */
interface SlotLayout {
  /** The box as planned: the one given, with room for one line at the minimum size. */
  planned: Box;
  box: Box;
  fitted: FittedText | null;
  /** The copy took space beyond the planned box. */
  grown: boolean;
}

interface SlotContext {
  input: PlanInput;
  slotName: TextSlotName;
  slot: TextSlot;
  text: string;
  face: FontFace;
  align: Align;
  direction: ReturnType<typeof baseDirection>;
  minSize: number;
  maxSize: number;
}

function slotContext(input: PlanInput, slotName: TextSlotName, slot: TextSlot, text: string): SlotContext {
  const scale = input.preset.width / REFERENCE_WIDTH;
  const requestedFamily = slotName === 'headline' ? input.brand.fonts.headline : input.brand.fonts.body;
  const direction = baseDirection(text);
  return {
    input,
    slotName,
    slot,
    text,
    direction,
    face: pickFace(input.fonts, requestedFamily, slot.weight),
    align: direction === 'rtl' ? MIRROR[slot.align] : slot.align,
    minSize: Math.round(slot.minSize * scale),
    maxSize: Math.round(slot.maxSize * scale),
  };
}

/**
 * Sets the copy in `b0`, giving it room before cutting anything. In order: the largest size that
 * fits the box within the template's maxLines; for a multi-line slot, more lines in the same box
 * (a block of copy reads better one line longer than wider, and far better than cut); then, at
 * the minimum size, the box grown down/up in its own column, with maxLines and then with more
 * lines; then grown into all free space around it. Only when none of these holds the copy is it
 * cut, where the most of it shows. Single-line slots (calls to action) widen before wrapping.
 */
function layoutSlot(c: SlotContext, b0: Box, obstacles: readonly Box[]): SlotLayout {
  const { input, slot, text, face, align, direction, minSize, maxSize } = c;
  const safe = safeRect(input.preset);
  const fit = (b: Box, max: number, maxLines: number) =>
    fitText({
      text,
      face,
      measure: input.measure,
      maxWidth: b.w,
      maxHeight: b.h,
      minSize,
      maxSize: max,
      maxLines,
      align: slot.align,
      direction,
    });

  // Every slot has room for a line at its minimum size: a box cut shorter than that (by the logo,
  // UI or the slot above) takes the height from free space below/above it.
  let box = b0;
  if (!isEmpty(box)) {
    const line = measureLine(input.measure, face, ROOM_SAMPLE, minSize, slot.align);
    if (box.h < line.h) box = growWithin(box, freeAround(box, safe, obstacles), { w: box.w, h: line.h }, align);
  }
  const fitted = isEmpty(box) ? null : fit(box, maxSize, slot.maxLines);
  if (fits(fitted)) return { planned: box, box, fitted, grown: false };

  const free = freeAround(box, safe, obstacles);
  const column: Box = { x: box.x, y: free.y, w: box.w, h: free.h };
  const multi = slot.maxLines > 1;
  const attempts: Array<{ area: Box; max: number; lines: number }> = [
    ...(multi ? [{ area: box, max: maxSize, lines: ANY_LINES }] : []),
    { area: column, max: minSize, lines: slot.maxLines },
    ...(multi ? [{ area: column, max: minSize, lines: ANY_LINES }] : []),
    { area: free, max: minSize, lines: slot.maxLines },
    { area: free, max: minSize, lines: ANY_LINES },
  ];
  let best: { area: Box; fitted: FittedText } | null = fitted ? { area: box, fitted } : null;
  for (const a of attempts) {
    if (isEmpty(a.area)) continue;
    const r = fit(a.area, a.max, a.lines);
    if (fits(r)) {
      const grown = a.area === box ? box : growWithin(box, a.area, { w: r.width, h: r.height }, align);
      return { planned: box, box: grown, fitted: r, grown: !sameBox(grown, box) };
    }
    if (!best || keptChars(r) > keptChars(best.fitted)) best = { area: a.area, fitted: r };
  }
  // Nothing holds it: cut, in the area where the most of it shows.
  const area = best?.area ?? box;
  return { planned: box, box: area, fitted: best?.fitted ?? null, grown: !sameBox(area, box) };
}

const sameBox = (a: Box, b: Box) => a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;

function plannedText(c: SlotContext, l: SlotLayout, templateBox: Box): PlannedText {
  const { input, slotName, text, face, align, direction, minSize, maxSize } = c;
  const f: FittedText = l.fitted ?? {
    size: minSize,
    lineHeight: 0,
    lines: [],
    width: 0,
    height: 0,
    truncated: true,
    shrunk: minSize < maxSize,
  };
  const chain = input.fonts.filter((x) => x.role === 'fallback');
  const cov = coverage(text, face, chain);
  return {
    slot: slotName,
    sourceText: text,
    lines: f.lines,
    box: l.box,
    templateBox,
    align,
    direction,
    color: '#000000',
    font: {
      family: face.family,
      weight: face.weight,
      requestedFamily: slotName === 'headline' ? input.brand.fonts.headline : input.brand.fonts.body,
    },
    size: f.size,
    lineHeight: f.lineHeight,
    estimate: placeInk(l.box, { w: f.width, h: f.height }, align),
    truncated: f.truncated || f.lines.length === 0,
    shrunk: f.shrunk,
    fallbackFonts: cov.fallbackFonts,
    missingGlyphs: cov.missing,
  };
}

const listOf = (xs: string[]) =>
  xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;

type Edge = PlannedOverlay['opaqueEdge'];

/**
 * Extends an overlay box along its gradient axis so its fully opaque part covers `cover`, keeping
 * the ramp's length in px on the transparent side; across the axis it grows to cover too.
 */
function extendOverlay(b: Box, edge: Edge, ramp: number, cover: Box, canvas: Box): { box: Box; ramp: number } {
  const vertical = edge === 'top' || edge === 'bottom';
  const [pos, len, cPos, cLen, limit] = vertical
    ? [b.y, b.h, cover.y, cover.h, canvas.h]
    : [b.x, b.w, cover.x, cover.w, canvas.w];
  const rampPx = Math.round(ramp * len);
  const opaqueEdgeFirst = edge === 'top' || edge === 'left';
  // Opaque interval along the axis.
  let o0 = opaqueEdgeFirst ? pos : pos + rampPx;
  let o1 = opaqueEdgeFirst ? pos + len - rampPx : pos + len;
  o0 = Math.max(0, Math.min(o0, cPos));
  o1 = Math.min(limit, Math.max(o1, cPos + cLen));
  const n0 = opaqueEdgeFirst ? o0 : Math.max(0, o0 - rampPx);
  const n1 = opaqueEdgeFirst ? Math.min(limit, o1 + rampPx) : o1;
  const newRamp = n1 - n0 > 0 ? (opaqueEdgeFirst ? n1 - o1 : o0 - n0) / (n1 - n0) : 0;
  const [cross, crossLen, ccPos, ccLen, crossLimit] = vertical
    ? [b.x, b.w, cover.x, cover.w, canvas.w]
    : [b.y, b.h, cover.y, cover.h, canvas.h];
  const x0 = Math.max(0, Math.min(cross, ccPos));
  const x1 = Math.min(crossLimit, Math.max(cross + crossLen, ccPos + ccLen));
  const box = vertical ? { x: x0, y: n0, w: x1 - x0, h: n1 - n0 } : { x: n0, y: x0, w: n1 - n0, h: x1 - x0 };
  return { box, ramp: newRamp };
}

/** The part of an overlay that is fully opaque (gradients ramp up on their transparent side). */
export function opaquePart(o: Pick<PlannedOverlay, 'box' | 'opaqueEdge' | 'ramp'>): Box {
  const { box: b, opaqueEdge: edge, ramp } = o;
  const vertical = edge === 'top' || edge === 'bottom';
  const rampPx = Math.round(ramp * (vertical ? b.h : b.w));
  if (edge === 'top') return { ...b, h: b.h - rampPx };
  if (edge === 'bottom') return { ...b, y: b.y + rampPx, h: b.h - rampPx };
  if (edge === 'left') return { ...b, w: b.w - rampPx };
  return { ...b, x: b.x + rampPx, w: b.w - rampPx };
}

function planOverlay(
  input: PlanInput,
  texts: PlannedText[],
  textColorHint: string,
  adjustments: Adjustment[],
): PlannedOverlay | null {
  const { preset, layers, brand } = input;
  const o = layers.overlay;
  if (o.kind === 'none' || o.opacity <= 0) return null;
  const W = preset.width;
  const H = preset.height;
  const color = colorForRole(brand, o.colorRole, textColorHint);
  const explicit = o.box ? relToPx(o.box[preset.layout] ?? o.box.default, W, H) : null;
  const drawn = texts.filter((t) => t.lines.length > 0);
  const textArea = union(drawn.map((t) => t.estimate)) ?? union(texts.map((t) => t.box));
  const canvas: Box = { x: 0, y: 0, w: W, h: H };
  const pad = Math.round(Math.min(W, H) * 0.04);

  let b: Box;
  let opaqueEdge: PlannedOverlay['opaqueEdge'];
  let ramp = 0;
  if (explicit) {
    b = intersect(explicit, canvas);
    const horizontal = b.h >= H * 0.9 && b.w < W * 0.9;
    const cx = b.x + b.w / 2;
    const cy = b.y + b.h / 2;
    opaqueEdge = horizontal ? (cx <= W / 2 ? 'left' : 'right') : cy >= H / 2 ? 'bottom' : 'top';
    ramp = o.kind === 'gradient' ? 0.45 : 0;
    // The text this backing is for: what touches it, or lies on its side of the canvas.
    const side = (t: PlannedText) => {
      const e = t.estimate;
      const [c, mid] = horizontal ? [e.x + e.w / 2, W / 2] : [e.y + e.h / 2, H / 2];
      return opaqueEdge === 'bottom' || opaqueEdge === 'right' ? c >= mid : c <= mid;
    };
    const members = drawn.filter((t) => intersects(t.estimate, b) || side(t));
    const ink = union(members.map((t) => t.estimate));
    const cover = union(members.map((t) => intersect(expand(t.estimate, pad), canvas)));
    if (ink && cover && !isEmpty(b)) {
      // Text well inside the opaque part keeps the template's box; text off it, or with its
      // letters at the very edge (safe-relative text boxes over a canvas-relative band can put a
      // headline's cap tops a few px from the band's edge), gets the box extended with some
      // margin around the letters.
      const opaque = opaquePart({ box: b, opaqueEdge, ramp });
      const margin = Math.round(pad / 2);
      if (!members.every((t) => contains(opaque, intersect(expand(t.estimate, margin), canvas)))) {
        const ext = extendOverlay(b, opaqueEdge, ramp, cover, canvas);
        const names = members.map((t) => SLOT_LABEL[t.slot]).join(' and ');
        const them = members.length > 1 ? 'them' : 'it';
        adjustments.push({
          kind: 'overlay_extended',
          from: b,
          to: ext.box,
          reason: contains(opaque, ink)
            ? `On ${preset.label} the ${names} would touch the edge of the ${o.kind}, so the ${o.kind} was extended to leave a margin around ${them}.`
            : `On ${preset.label} the ${names} would sit ${o.kind === 'band' ? 'off the band' : 'on the faded part of the gradient'}, ` +
              `so the ${o.kind} was extended under ${them}.`,
        });
        b = ext.box;
        ramp = ext.ramp;
      }
    }
  } else if (textArea) {
    if (preset.layout === 'wide') {
      const toLeft = textArea.x + textArea.w / 2 <= W / 2;
      const inner = toLeft ? right(textArea) + pad : textArea.x - pad;
      const rampPx = o.kind === 'gradient' ? Math.round(Math.min(W * 0.25, textArea.w * 0.6)) : 0;
      const edge = toLeft ? Math.min(W, inner + rampPx) : Math.max(0, inner - rampPx);
      b = toLeft ? { x: 0, y: 0, w: edge, h: H } : { x: edge, y: 0, w: W - edge, h: H };
      opaqueEdge = toLeft ? 'left' : 'right';
      ramp = b.w > 0 ? rampPx / b.w : 0;
    } else {
      const toBottom = textArea.y + textArea.h / 2 >= H / 2;
      const inner = toBottom ? textArea.y - pad : bottom(textArea) + pad;
      const rampPx = o.kind === 'gradient' ? Math.round(Math.min(H * 0.25, textArea.h * 0.8)) : 0;
      const edge = toBottom ? Math.max(0, inner - rampPx) : Math.min(H, inner + rampPx);
      b = toBottom ? { x: 0, y: edge, w: W, h: H - edge } : { x: 0, y: 0, w: W, h: edge };
      opaqueEdge = toBottom ? 'bottom' : 'top';
      ramp = b.h > 0 ? rampPx / b.h : 0;
    }
  } else return null;
  if (isEmpty(b)) return null;
  return { kind: o.kind, box: b, color, opacity: o.opacity, opaqueEdge, ramp: Math.min(0.95, Math.max(0, ramp)) };
}

/** The reviewer's explanation of a text box that is not where (or as big as) the template put it. */
function layoutReason(
  preset: PlatformPreset,
  name: TextSlotName,
  slot: TextSlot,
  after: TextSlotName[],
  l: SlotLayout,
): string | null {
  const lines = l.fitted && l.fitted.lines.length > slot.maxLines ? l.fitted.lines.length : 0;
  // Placing a slot below text it ran into is how stacked slots are laid out: worth a word only
  // together with a change made for the copy.
  if (!l.grown && !lines) return null;
  const label = SLOT_LABEL[name];
  const linesNote = lines
    ? `set in ${lines} lines (the template asks for at most ${slot.maxLines}) rather than cut`
    : '';
  if (after.length) {
    const them = after.length > 1 ? 'them' : 'it';
    return `On ${preset.label} the ${label} would have run into the ${listOf(after.map((s) => SLOT_LABEL[s]))}, so it was placed below ${them}${[
      l.grown ? 'its box grown into the free space there' : '',
      linesNote,
    ]
      .filter(Boolean)
      .map((p) => `, ${p}`)
      .join('')}.`;
  }
  if (l.grown)
    return (
      `The ${label} did not fit its template box on ${preset.label} even at the smallest size the template allows, ` +
      `so the box was grown into free space${linesNote ? ` and ${linesNote}` : ''}.`
    );
  return `The ${label} did not fit on ${preset.label} in the ${slot.maxLines} lines the template allows, so it was ${linesNote}.`;
}

export function buildRenderPlan(input: PlanInput): RenderPlan {
  const { preset, layers, brand, brief } = input;
  const W = preset.width;
  const H = preset.height;
  const safe = safeRect(preset);
  const uiOverlays: Box[] = preset.uiOverlays.map(({ x, y, w, h }) => ({ x, y, w, h }));
  const logo = planLogo(input, safe, uiOverlays);
  const logoZone = logo ? expand(logo.box, logo.clearSpace) : null;
  const adjustments: Adjustment[] = [];

  const overlayColorHint = layers.overlay.kind === 'none' ? undefined : colorForRole(brand, layers.overlay.colorRole);
  const copy: Record<TextSlotName, string | undefined> = {
    headline: brief.headline,
    body: brief.body,
    cta: brief.callToAction,
  };
  const placed = textSlotNames.flatMap((name) => {
    const slot = layers[name];
    const text = copy[name]?.trim();
    return slot && text ? [{ name, slot, text, templateBox: relToBox(slotBox(slot, preset.layout), safe) }] : [];
  });
  // Right-to-left copy starts at the right: a box narrower than the column of text boxes it shares
  // a left edge with (a call to action under a wider headline) is mirrored within that column, so
  // the lines of every slot end flush at the same right edge, as left-to-right lines start at one.
  const columnOf = (b: Box) =>
    union(placed.map((p) => p.templateBox).filter((o) => o.x < right(b) && right(o) > b.x)) ?? b;
  const slots = placed.map((p) => {
    if (baseDirection(p.text) !== 'rtl') return p;
    const col = columnOf(p.templateBox);
    return { ...p, templateBox: { ...p.templateBox, x: col.x + right(col) - right(p.templateBox) } };
  });
  const texts: PlannedText[] = [];
  for (const [i, { name, slot, text, templateBox }] of slots.entries()) {
    let own = intersect(templateBox, safe);
    for (const o of uiOverlays) own = avoid(own, o);
    if (logoZone) own = avoid(own, logoZone);
    const earlier = texts
      .filter((t) => t.lines.length > 0)
      .map((t) => ({
        slot: t.slot,
        zone: expand(t.estimate, Math.round(t.size * 0.25)),
        under: bottom(t.estimate) + Math.round(t.size * BELOW_GAP),
      }));
    let cut = own;
    for (const e of earlier) cut = avoid(cut, e.zone);
    // Growing never takes space the later slots' template boxes need.
    const later = slots.slice(i + 1).map((s) => intersect(s.templateBox, safe));
    const obstacles = [...uiOverlays, ...(logoZone ? [logoZone] : []), ...earlier.map((e) => e.zone), ...later];
    const c = slotContext(input, name, slot, text);
    const candidates: Array<{ box: Box; after: TextSlotName[] }> = [];
    // Copy that runs into earlier text reads on below it, in its own column (the template's x and
    // width), rather than in whatever sliver is left beside it.
    const hit = earlier.filter((e) => intersects(own, e.zone));
    if (hit.length > 0) {
      let below = intersect({ ...own, y: Math.max(...hit.map((e) => e.under)) }, safe);
      for (const o of uiOverlays) below = avoid(below, o);
      if (logoZone) below = avoid(below, logoZone);
      for (const e of earlier) below = avoid(below, e.zone);
      if (!isEmpty(below)) candidates.push({ box: below, after: hit.map((e) => e.slot) });
    }
    candidates.push({ box: cut, after: [] });
    const laid = candidates.map((cand) => ({ cand, layout: layoutSlot(c, cand.box, obstacles) }));
    let pick = laid.find((l) => fits(l.layout.fitted)) ?? laid[0];
    for (const l of laid)
      if (
        !fits(pick.layout.fitted) &&
        l.layout.fitted &&
        (!pick.layout.fitted || keptChars(l.layout.fitted) > keptChars(pick.layout.fitted))
      )
        pick = l;
    const t = plannedText(c, pick.layout, templateBox);
    t.color = colorForRole(brand, slot.colorRole, overlayColorHint);
    const why = layoutReason(preset, name, slot, pick.cand.after, pick.layout);
    if (why)
      adjustments.push({
        kind: 'text_box_grown',
        slot: name,
        from: pick.cand.after.length ? own : pick.layout.planned,
        to: t.box,
        reason: why,
      });
    texts.push(t);
  }

  const textColorHint = texts[0]?.color ?? '#FFFFFF';
  return {
    preset: preset.name,
    width: W,
    height: H,
    layout: preset.layout,
    safe,
    uiOverlays,
    image: { focus: layers.image.focus },
    overlay: planOverlay(input, texts, textColorHint, adjustments),
    texts,
    plates: [],
    logo,
    logoExpected: layers.logo.enabled,
    output: { ...preset.output },
    maxBytes: preset.maxBytes,
    adjustments,
  };
}

/** The block the renderer draws for a planned text (Pango gets the template's logical alignment). */
export function textBlockOf(t: Pick<PlannedText, 'font' | 'size' | 'lines' | 'align' | 'direction'>): TextBlock {
  return {
    face: { family: t.font.family, weight: t.font.weight },
    size: t.size,
    lines: t.lines,
    align: t.direction === 'rtl' ? MIRROR[t.align] : t.align,
    direction: t.direction,
  };
}
