/**
 * Text measured by the engine that draws it: Pango through sharp's `text` input, with the shipped
 * fonts, fontconfig fallback, HarfBuzz shaping and colour emoji. sharp returns the text trimmed
 * to its ink, so the size of the rasterized block is exactly the ink the renderer will place.
 *
 * The plan is pure and synchronous, so it asks a cache (`RecordingMeasurer`): known blocks are
 * answered exactly, unknown ones get a rough guess and are recorded. `planMeasured` then measures
 * what was missing and plans again, until a pass needs nothing new. The last pass decided only on
 * measurements, so the plan does not depend on what the cache held before (deterministic), and
 * a block measured once per process is never measured again (fast).
 */
import sharp, { type SharpOptions } from 'sharp';
import { emojiPresentation, graphemes } from '../../domain/rendering/segments.js';
import { blockKey, type InkSize, type TextBlock, type TextMeasurer } from '../../domain/rendering/text-measure.js';
import { shippedFonts, type ShippedFont } from './fonts.js';

const RLM = '\u200F';
const MAX_ENTRIES = 50_000;
const MAX_PASSES = 60;
const cache = new Map<string, InkSize>();

const escapeMarkup = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Pango markup for the text: escaped, with each emoji-presentation sequence in a span of its own
 * in the colour emoji face. Left to fontconfig, the first face with the base character draws it
 * (Inter's monochrome ☀ for ☀️); and within one span of several emoji, Pango still draws a ☀️
 * after a 🍋 in Inter, so every sequence gets its own span.
 */
const MAYBE_EMOJI = /[\uFE0F\p{Emoji_Presentation}]/u;

function markup(text: string): string {
  // Most copy has no emoji: no segmentation for it (this runs for every block measured).
  const emoji = MAYBE_EMOJI.test(text) ? shippedFonts().find((f) => f.emoji) : undefined;
  if (!emoji) return escapeMarkup(text);
  let out = '';
  for (const g of graphemes(text)) {
    out +=
      emojiPresentation(g) && emoji.covers(g.codePointAt(0)!)
        ? `<span font_family="${emoji.family}">${escapeMarkup(g)}</span>`
        : escapeMarkup(g);
  }
  return out;
}

function faceFor(block: TextBlock): ShippedFont {
  const fonts = shippedFonts();
  return (
    fonts.find((f) => f.role === 'primary' && f.family === block.face.family && f.weight === block.face.weight) ??
    fonts.find((f) => f.role === 'primary' && f.family === block.face.family) ??
    fonts[0]
  );
}

/**
 * sharp's text input for a block, shared by measuring and drawing so both see the same layout.
 * Right-to-left lines start with a right-to-left mark: every line is its own paragraph for Pango,
 * and a line that starts with a Latin word or a number must still read right to left.
 */
export function textInput(block: TextBlock, color = '#FFFFFF'): NonNullable<SharpOptions['text']> {
  const face = faceFor(block);
  const lines = block.direction === 'rtl' ? block.lines.map((l) => RLM + l) : block.lines;
  return {
    text: `<span foreground="${color}">${markup(lines.join('\n'))}</span>`,
    font: `${face.pangoName} ${block.size}`,
    fontfile: face.path,
    dpi: 72, // 1 pt = 1 px, so the plan's px sizes are exact
    rgba: true,
    align: block.align === 'center' ? 'centre' : block.align,
  };
}

/** Rasterizes a block: RGBA pixels trimmed to the ink (null when it draws nothing, e.g. only spaces). */
export async function rasterizeBlock(
  block: TextBlock,
  color: string,
): Promise<{ data: Buffer; width: number; height: number } | null> {
  try {
    const { data, info } = await sharp({ text: textInput(block, color) })
      .raw()
      .toBuffer({ resolveWithObject: true });
    cache.set(blockKey(block), { w: info.width, h: info.height });
    return { data, width: info.width, height: info.height };
  } catch (e) {
    if (/no text to render/i.test((e as Error).message)) {
      cache.set(blockKey(block), { w: 0, h: 0 });
      return null;
    }
    throw e;
  }
}

/** Measures blocks into the cache (one rasterization each; Pango runs one at a time anyway). */
export async function measureBlocks(blocks: Iterable<TextBlock>): Promise<void> {
  for (const b of blocks) if (!cache.has(blockKey(b))) await rasterizeBlock(b, '#FFFFFF');
}

const WIDE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Extended_Pictographic}]/u;

/** A deliberately rough size for a block not measured yet; only ever used to decide what to measure. */
function guess(b: TextBlock): InkSize {
  const widths = b.lines.map((l) => [...l].reduce((w, ch) => w + (WIDE.test(ch) ? 1 : ch === ' ' ? 0.28 : 0.6), 0));
  return { w: Math.ceil(Math.max(0, ...widths) * b.size), h: Math.ceil(b.lines.length * b.size * 1.25) };
}

/** Answers from the cache, guesses and records the rest. */
export class RecordingMeasurer implements TextMeasurer {
  readonly missing = new Map<string, TextBlock>();
  ink(block: TextBlock): InkSize {
    const key = blockKey(block);
    const hit = cache.get(key);
    if (hit) return hit;
    if (!this.missing.has(key)) this.missing.set(key, { ...block, lines: [...block.lines] });
    return guess(block);
  }
}

/**
 * Runs `plan` until one pass is answered entirely from measurements. Throws when it does not
 * settle (a bug: every pass measures what the last one lacked, and the set of blocks is finite).
 */
export async function planMeasured<T>(plan: (measure: TextMeasurer) => T): Promise<T> {
  // Bounded memory for long-lived processes; never in the middle of a plan.
  if (cache.size > MAX_ENTRIES) cache.clear();
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const m = new RecordingMeasurer();
    const result = plan(m);
    if (m.missing.size === 0) return result;
    await measureBlocks(m.missing.values());
  }
  throw new Error(`text layout did not settle after ${MAX_PASSES} measuring passes`);
}

/** Forgets every measurement (benchmarks use it to time a brief the process has not seen). */
export function clearTextMeasurements(): void {
  cache.clear();
}
