/**
 * What the render plan decides and what the renderer reports back. The compliance engine judges
 * a variant from `RenderedLayout` + `VariantAnalysis`, never from the template's intentions.
 */
import type { LayoutClass } from '../brand-types.js';
import type { OutputFormat, OutputSpec } from '../platforms.js';
import type { Box } from './geometry.js';

export type TextSlotName = 'headline' | 'body' | 'cta';
export type FontWeight = 'regular' | 'bold';
export type Align = 'left' | 'center' | 'right';

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
  /** Lines exactly as drawn (the last may end with "…" when truncated). */
  lines: string[];
  /** The slot's box after clamping to the safe zone and avoiding logo/UI: the ink must stay inside. */
  box: Box;
  /** The template's box for this layout mapped into the safe rectangle, before cutting around logo/UI/other text. */
  templateBox: Box;
  align: Align;
  /** #RRGGBB text color. */
  color: string;
  font: PlannedFont;
  /** Font size in px. */
  size: number;
  lineHeight: number;
  /** Upper bound of where the ink will land (aligned inside `box`). */
  estimate: Box;
  truncated: boolean;
  shrunk: boolean;
  /** Characters the font has no glyph for. */
  missingGlyphs: string[];
}

export interface PlannedOverlay {
  kind: 'band' | 'gradient';
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
  placement: 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';
}

export interface RenderPlan {
  preset: string;
  width: number;
  height: number;
  layout: LayoutClass;
  safe: Box;
  uiOverlays: Box[];
  image: { focus: 'attention' | 'entropy' | 'center' };
  overlay: PlannedOverlay | null;
  texts: PlannedText[];
  logo: PlannedLogo | null;
  /** The template wants a logo; false when it is disabled. */
  logoExpected: boolean;
  output: OutputSpec;
  maxBytes: number;
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
