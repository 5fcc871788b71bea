/**
 * What the render plan decides and what the renderer reports back. The compliance engine judges
 * a variant from `RenderedLayout` + `VariantAnalysis`, never from the template's intentions.
 */
import type { Align, FontWeight, LayoutClass, LogoPlacement, TemplateLayers, TextSlotName } from '../brand-types.js';
import type { OutputFormat, OutputSpec } from '../platforms.js';
import type { Box } from './geometry.js';

/** The template's text vocabulary, defined next to the schema that validates templates. */
export type { Align, FontWeight, TextSlotName };
export type Direction = 'ltr' | 'rtl';

export interface PlannedFont {
  /** Family the renderer draws with (always a shipped font). */
  family: string;
  weight: FontWeight;
  /** Family the brand asked for in `fonts.headline` / `fonts.body`. */
  requestedFamily: string;
}

export interface PlannedText {
  slot: TextSlotName;
  /** The copy from the brief, before wrapping. */
  sourceText: string;
  /** Lines exactly as drawn (the last ends with "…" when characters were cut). */
  lines: string[];
  /** The slot's box after clamping to the safe zone and avoiding logo/UI (placed below earlier text
   *  it ran into, grown when the copy needed room): the ink must stay inside. */
  box: Box;
  /** The template's box for this layout mapped into the safe rectangle, before cutting around logo/UI/other text. */
  templateBox: Box;
  /** Where the block sits in its box and how its lines align: the template's alignment, mirrored for
   *  right-to-left copy (a "left" template starts Arabic lines at the right edge). */
  align: Align;
  /** Base direction of the copy (from its first strong character). */
  direction: Direction;
  /** #RRGGBB text color. */
  color: string;
  font: PlannedFont;
  /** Font size in px. */
  size: number;
  /** Baseline-to-baseline distance in px (measured on the shipped face). */
  lineHeight: number;
  /** Where the ink lands: the block's measured ink size, aligned inside `box`. */
  estimate: Box;
  /** True only when characters of the copy were left out. */
  truncated: boolean;
  shrunk: boolean;
  /** Fallback families that draw characters the font lacks (e.g. Noto Sans Arabic, Noto Color Emoji). */
  fallbackFonts: string[];
  /** Characters no shipped font has a glyph for (drawn as boxes). */
  missingGlyphs: string[];
}

/** A rectangle in a brand colour behind one text block, added when nothing else made it legible. */
export interface PlannedPlate {
  slot: TextSlotName;
  box: Box;
  color: string;
  opacity: number;
  /** Corner radius in px. */
  radius: number;
}

/** `text_box_grown` covers every change to a text box made to hold its copy: grown, placed below
 *  earlier text it ran into, or set in more lines than the template's maxLines (the reason says which). */
export const adjustmentKinds = [
  'text_box_grown',
  'overlay_extended',
  'overlay_opacity',
  'text_color',
  'plate',
] as const;
export type AdjustmentKind = (typeof adjustmentKinds)[number];

/**
 * Something the renderer changed on its own to keep the brand's rules (text that fits, backing under
 * the text, legible contrast). Stored on the variant so reviewers see what differs from the template.
 */
export interface Adjustment {
  kind: AdjustmentKind;
  /** The text block concerned; absent when the change is to the shared overlay. */
  slot?: TextSlotName;
  /** Value before the change (a box, an opacity, a #RRGGBB colour; null when nothing was there). */
  from: Box | number | string | null;
  to: Box | number | string;
  /** Plain-language reason, written for a reviewer. */
  reason: string;
  /** Measured contrast under the text before and after (legibility adjustments). */
  contrast?: { before: number; after: number; min: number };
}

export interface PlannedOverlay {
  /** The template's overlay kind ('none' plans no overlay). */
  kind: Exclude<TemplateLayers['overlay']['kind'], 'none'>;
  box: Box;
  color: string;
  opacity: number;
  /** Edge the gradient is opaque at (bands: ignored). */
  opaqueEdge: 'top' | 'bottom' | 'left' | 'right';
  /** Fraction (0..1) of the box, from the transparent side, over which the gradient ramps up. */
  ramp: number;
}

export interface PlannedLogo {
  box: Box;
  /** Required free space around the logo, px. */
  clearSpace: number;
  /** Smallest acceptable logo width for this canvas, px. */
  minWidth: number;
  placement: LogoPlacement;
}

export interface RenderPlan {
  preset: string;
  width: number;
  height: number;
  layout: LayoutClass;
  safe: Box;
  uiOverlays: Box[];
  image: TemplateLayers['image'];
  overlay: PlannedOverlay | null;
  texts: PlannedText[];
  /** Plates behind text blocks (the plan has none; legibility adds them). */
  plates: PlannedPlate[];
  logo: PlannedLogo | null;
  /** The template wants a logo; false when it is disabled. */
  logoExpected: boolean;
  output: OutputSpec;
  maxBytes: number;
  /** Layout changes made to fit the copy and keep the backing under it. */
  adjustments: Adjustment[];
}

export interface RenderedText extends PlannedText {
  /** Actual ink rectangle on the canvas (null when nothing was drawn). */
  bbox: Box | null;
}

export interface RenderedLayout extends Omit<RenderPlan, 'texts' | 'output' | 'maxBytes'> {
  texts: RenderedText[];
  /** Distinct font families drawn. */
  fonts: string[];
  crop: {
    sourceWidth: number;
    sourceHeight: number;
    /** Region of the source (source px) that fills the canvas. */
    region: Box;
    /** Output px per source px (> 1 means the source was enlarged). */
    scale: number;
  };
  format: OutputFormat;
  /** Encoder quality actually used (after stepping down for the size limit). */
  quality: number;
}

export interface DominantColor {
  hex: string;
  /** Share of the image's pixels (0..1). */
  share: number;
}

/** Background under one text block, measured on the image before text was drawn. */
export interface TextBackground {
  slot: TextSlotName;
  samples: number;
  /** Percentiles of WCAG relative luminance (0..1). */
  luminance: { min: number; p10: number; p50: number; p90: number; max: number };
  meanHex: string;
}

export interface ImageAnalysis {
  width: number;
  height: number;
  dominantColors: DominantColor[];
}

export interface VariantAnalysis extends ImageAnalysis {
  textBackgrounds: TextBackground[];
}
