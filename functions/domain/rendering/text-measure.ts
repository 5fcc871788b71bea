/**
 * How the pure plan learns text sizes: a port the render adapter implements with the engine that
 * draws (Pango through sharp's text input, fallback fonts, shaping and emoji included), so a
 * planned width is the drawn width. The plan stays synchronous: the adapter answers from a cache
 * and re-plans after measuring what was missing (functions/adapters/render/text-measure.ts).
 */
import type { Box } from './geometry.js';
import type { Align, Direction, FontWeight } from './types.js';

/** A shipped face as the measurer and the renderer name it. */
export interface FaceRef {
  family: string;
  weight: FontWeight;
}

/** One block of text exactly as the renderer draws it: the lines joined with "\n". */
export interface TextBlock {
  face: FaceRef;
  /** Font size in px. */
  size: number;
  lines: readonly string[];
  /** Alignment handed to Pango (logical: mirrored by Pango for right-to-left lines). */
  align: Align;
  direction: Direction;
}

/** Width and height in px of the ink the block draws (the rasterized text, trimmed to its ink). */
export interface InkSize {
  w: number;
  h: number;
}

export interface TextMeasurer {
  /** The ink size of `block` as drawn. Same block, same answer. */
  ink(block: TextBlock): InkSize;
}

/** A font the renderer ships: what the plan needs to pick it and to know what it can draw. */
export interface FontFace extends FaceRef {
  /** `primary`: selectable by brands; `fallback`: draws the characters primaries lack. */
  role: 'primary' | 'fallback';
  /** True when the face has a glyph for the code point. */
  covers(codePoint: number): boolean;
  /** Draws colour emoji: what an emoji-presentation sequence (☀️, ❤️, 1️⃣) is set in. */
  emoji?: boolean;
}

export const blockKey = (b: TextBlock): string =>
  `${b.face.family}\u0000${b.face.weight}\u0000${b.size}\u0000${b.align}\u0000${b.direction}\u0000${b.lines.join('\n')}`;

/** Aligns an ink box of `ink` size inside `b` (top edge, horizontal by `align`). */
export function placeInk(b: Box, ink: InkSize, align: Align): Box {
  const w = Math.min(ink.w, b.w);
  const x = align === 'left' ? b.x : align === 'right' ? b.x + b.w - w : b.x + Math.floor((b.w - w) / 2);
  return { x, y: b.y, w, h: Math.min(ink.h, b.h) };
}
