/**
 * The choices behind "legible by construction", kept pure: which brand colours text may switch
 * to, which colour a plate takes, which overlay opacities to try, and how each change is
 * explained. The render adapter measures the pixels (the compliance engine's own contrast measure,
 * contrastUnder) and applies these choices in order until every text block reaches the brand's
 * minContrast or nothing the brand allows is left to try.
 */
import type { BrandKit } from '../brand-types.js';
import { contrastRatio, hexToRgb } from '../compliance/color.js';
import { contrastUnder } from '../compliance/image-checks.js';
import { expand, intersect, type Box } from './geometry.js';
import type { PlannedPlate, PlannedText, TextBackground, TextSlotName } from './types.js';

export const SLOT_LABEL: Record<TextSlotName, string> = {
  headline: 'headline',
  body: 'body text',
  cta: 'call to action',
};

const round1 = (v: number) => Math.floor(v * 10) / 10;
export const ratioText = (v: number): string => `${round1(v).toFixed(1)}:1`;
export const pct = (v: number): string => `${Math.round(v * 100)}%`;

export interface BrandColor {
  hex: string;
  name: string;
  role: string;
}

const paletteOf = (brand: BrandKit): BrandColor[] =>
  brand.colors.palette.map((c) => ({ hex: c.hex.toUpperCase(), name: c.name, role: c.role }));

/** "Foam (#FFF8F0)", or the bare hex for a colour outside the palette. */
export function colorLabel(brand: BrandKit, hex: string): string {
  const c = paletteOf(brand).find((p) => p.hex === hex.toUpperCase());
  return c ? `${c.name} (${c.hex})` : hex.toUpperCase();
}

/** Colours text may switch to: the palette's `text` and `background` roles, once each. */
export function textColorCandidates(brand: BrandKit): BrandColor[] {
  const seen = new Set<string>();
  return paletteOf(brand).filter(
    (c) => (c.role === 'text' || c.role === 'background') && !seen.has(c.hex) && !!seen.add(c.hex),
  );
}

/** The candidate that reads best on `bg` (ties keep the current colour, then palette order). */
export function bestTextColor(
  current: string,
  candidates: readonly BrandColor[],
  bg: TextBackground,
): { hex: string; ratio: number } {
  let best = { hex: current.toUpperCase(), ratio: contrastUnder(current, bg) };
  for (const c of candidates) {
    const ratio = contrastUnder(c.hex, bg);
    if (ratio > best.ratio + 1e-9) best = { hex: c.hex, ratio };
  }
  return best;
}

/** The palette colour that stands out most from the text colour: the plate behind it. */
export function plateColorFor(brand: BrandKit, textHex: string): BrandColor {
  const text = hexToRgb(textHex);
  let best = paletteOf(brand)[0];
  let bestRatio = -1;
  for (const c of paletteOf(brand)) {
    const r = contrastRatio(text, hexToRgb(c.hex));
    if (r > bestRatio + 1e-9) {
      best = c;
      bestRatio = r;
    }
  }
  return best;
}

/** Opacities to try above `from`, in 5-point steps, ending exactly at `max`. */
export function opacitySteps(from: number, max: number): number[] {
  const steps: number[] = [];
  for (let v = Math.floor(from * 20 + 1e-9) / 20 + 0.05; v < max - 1e-9; v += 0.05)
    steps.push(Math.round(v * 100) / 100);
  if (max > from + 1e-9) steps.push(max);
  return steps;
}

/** A plate around a text block's ink: padding in proportion to the type, clipped to the canvas. */
export function plateFor(
  t: Pick<PlannedText, 'slot' | 'estimate' | 'size'>,
  color: string,
  opacity: number,
  canvas: Box,
): PlannedPlate {
  const padX = Math.max(4, Math.round(t.size * 0.35));
  const padY = Math.max(3, Math.round(t.size * 0.22));
  const b = intersect({ ...expand(t.estimate, padY), x: t.estimate.x - padX, w: t.estimate.w + 2 * padX }, canvas);
  return {
    slot: t.slot,
    box: b,
    color: color.toUpperCase(),
    opacity,
    radius: Math.round(Math.min(b.h / 2, t.size * 0.3)),
  };
}
