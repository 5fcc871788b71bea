/**
 * The pure render plan: from a preset, template layers, brand and brief it decides every pixel box
 * (image, overlay, text, logo), the wrapped lines and font sizes. Same input -> same plan, so the
 * renderer's output is reproducible and the compliance engine can reason about boxes.
 *
 * Rules, in order:
 * 1. Text boxes come from the template (per layout class, else `default`) and are laid out
 *    relative to the preset's safe rectangle, not the full canvas: one "tall" template then works
 *    on a 4:5 post and on a story with 250/340 px UI bands, and text can never start in a band.
 *    Boxes are then cut away from platform UI overlays and from the logo's clear space, and later
 *    slots are cut away from earlier slots' text (headline > body > cta).
 * 2. Font sizes are the template's range scaled by canvas width / 1080 and auto-fitted (largest
 *    size whose wrapped lines fit the box and maxLines; else minimum size with "…").
 * 3. The logo sits in its corner of the safe rectangle, widthPct of the canvas wide (height capped
 *    at 25% of the canvas), nudged off UI overlays.
 * 4. Without an explicit overlay box, the overlay spans the text area to the nearest canvas edge
 *    (full width on square/tall, full height on wide), with the gradient's ramp above/beside the
 *    text so every glyph sits on the fully opaque part.
 */
import type { BrandKit, Brief, RelBox, TemplateLayers, TextSlot } from '../brand-types.js';
import { safeRect, type PlatformPreset } from '../platforms.js';
import { contrastRatio, hexToRgb } from '../compliance/color.js';
import { avoid, type Box, box as mkBox, expand, intersect, isEmpty, nudgeAway, union, bottom, right } from './geometry.js';
import { type FontMetrics, missingGlyphs } from './font-metrics.js';
import { fitText } from './text-layout.js';
import type { FontWeight, PlannedLogo, PlannedOverlay, PlannedText, RenderPlan, TextSlotName } from './types.js';

/** A font the renderer ships, with its metrics. */
export interface FontFace {
  family: string;
  weight: FontWeight;
  metrics: FontMetrics;
}

export interface PlanInput {
  preset: PlatformPreset;
  /** Parsed template layers (templateLayersSchema output). */
  layers: TemplateLayers;
  /** Parsed brand kit (brandKitSchema output). */
  brand: BrandKit;
  brief: Pick<Brief, 'headline' | 'body' | 'callToAction'>;
  /** Shipped font faces; the first face's family is the fallback. */
  fonts: readonly FontFace[];
  /** Intrinsic size of the logo image; omit when the brand has no logo. */
  logo?: { width: number; height: number } | null;
}

const REFERENCE_WIDTH = 1080;
const MAX_LOGO_HEIGHT_PCT = 0.25;
const SLOT_ORDER: TextSlotName[] = ['headline', 'body', 'cta'];

export function relToPx(r: RelBox, width: number, height: number): Box {
  return relToBox(r, { x: 0, y: 0, w: width, h: height });
}

/** A relative box (0..1) mapped into `frame`, cut at the frame's edges. */
export function relToBox(r: RelBox, frame: Box): Box {
  return mkBox(frame.x + r.x * frame.w, frame.y + r.y * frame.h, Math.min(r.w, 1 - r.x) * frame.w, Math.min(r.h, 1 - r.y) * frame.h);
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
  if (fonts.length === 0) throw new RangeError('no shipped fonts');
  const same = fonts.filter((f) => f.family.toLowerCase() === family.trim().toLowerCase());
  const pool = same.length > 0 ? same : fonts.filter((f) => f.family === fonts[0].family);
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

function alignedEstimate(b: Box, width: number, height: number, align: PlannedText['align']): Box {
  const w = Math.min(width, b.w);
  const x = align === 'left' ? b.x : align === 'right' ? right(b) - w : b.x + Math.floor((b.w - w) / 2);
  return { x, y: b.y, w, h: Math.min(height, b.h) };
}

function planOverlay(input: PlanInput, texts: PlannedText[], textColorHint: string): PlannedOverlay | null {
  const { preset, layers, brand } = input;
  const o = layers.overlay;
  if (o.kind === 'none' || o.opacity <= 0) return null;
  const W = preset.width;
  const H = preset.height;
  const color = colorForRole(brand, o.colorRole, textColorHint);
  const explicit = o.box ? relToPx(o.box[preset.layout] ?? o.box.default, W, H) : null;
  const textArea = union(texts.map((t) => t.estimate)) ?? union(texts.map((t) => t.box));
  const canvas: Box = { x: 0, y: 0, w: W, h: H };

  let b: Box;
  let opaqueEdge: PlannedOverlay['opaqueEdge'];
  let ramp = 0;
  if (explicit) {
    b = intersect(explicit, canvas);
    const horizontal = b.h >= H * 0.9 && b.w < W * 0.9;
    const cx = b.x + b.w / 2;
    const cy = b.y + b.h / 2;
    opaqueEdge = horizontal ? (cx <= W / 2 ? 'left' : 'right') : (cy >= H / 2 ? 'bottom' : 'top');
    ramp = o.kind === 'gradient' ? 0.45 : 0;
  } else if (textArea) {
    const pad = Math.round(Math.min(W, H) * 0.04);
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

export function buildRenderPlan(input: PlanInput): RenderPlan {
  const { preset, layers, brand, brief, fonts } = input;
  const W = preset.width;
  const H = preset.height;
  const safe = safeRect(preset);
  const uiOverlays: Box[] = preset.uiOverlays.map(({ x, y, w, h }) => ({ x, y, w, h }));
  const logo = planLogo(input, safe, uiOverlays);
  const scale = W / REFERENCE_WIDTH;

  const overlayColorHint = layers.overlay.kind === 'none' ? undefined : colorForRole(brand, layers.overlay.colorRole);
  const copy: Record<TextSlotName, string | undefined> = { headline: brief.headline, body: brief.body, cta: brief.callToAction };
  const texts: PlannedText[] = [];
  for (const slotName of SLOT_ORDER) {
    const slot = layers[slotName];
    const text = copy[slotName]?.trim();
    if (!slot || !text) continue;
    const templateBox = relToBox(slotBox(slot, preset.layout), safe);
    let b = intersect(templateBox, safe);
    for (const o of uiOverlays) b = avoid(b, o);
    if (logo) b = avoid(b, expand(logo.box, logo.clearSpace));
    for (const earlier of texts) b = avoid(b, expand(earlier.estimate, Math.round(earlier.size * 0.25)));

    const requestedFamily = slotName === 'headline' ? brand.fonts.headline : brand.fonts.body;
    const face = pickFace(fonts, requestedFamily, slot.weight);
    const fitted = fitText({
      text, metrics: face.metrics, maxWidth: b.w, maxHeight: b.h,
      minSize: Math.round(slot.minSize * scale), maxSize: Math.round(slot.maxSize * scale), maxLines: slot.maxLines,
    });
    const placeable = !isEmpty(b);
    texts.push({
      slot: slotName,
      sourceText: text,
      lines: placeable ? fitted.lines : [],
      box: b,
      templateBox,
      align: slot.align,
      color: colorForRole(brand, slot.colorRole, overlayColorHint),
      font: { family: face.family, weight: face.weight, requestedFamily },
      size: fitted.size,
      lineHeight: fitted.lineHeight,
      estimate: alignedEstimate(b, fitted.width, fitted.height, slot.align),
      truncated: fitted.truncated || !placeable,
      shrunk: fitted.shrunk,
      missingGlyphs: missingGlyphs(face.metrics, text),
    });
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
    overlay: planOverlay(input, texts, textColorHint),
    texts,
    logo,
    logoExpected: layers.logo.enabled,
    output: { ...preset.output },
    maxBytes: preset.maxBytes,
  };
}
