/**
 * Unicode text segmentation for layout, on the runtime's ICU (Intl.Segmenter): where a line may
 * break, grapheme clusters (never split an emoji sequence or a base + accent), the base direction
 * (first strong character, as Pango decides it) and glyph coverage against the shipped fonts.
 */
import type { FontFace } from './text-measure.js';
import type { Direction } from './types.js';

const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const wordSegmenter = new Intl.Segmenter(undefined, { granularity: 'word' });

export const graphemes = (s: string): string[] => Array.from(graphemeSegmenter.segment(s), (g) => g.segment);

/** Scripts written without spaces, where a line may break between words (ICU finds the words). */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Bopomofo}]/u;
/** Closing brackets, closing quotes and most punctuation never start a line... */
const NO_BREAK_BEFORE = /^[\p{Pe}\p{Pf}\p{Po}]/u;
/** ...and opening brackets and quotes never end one. */
const NO_BREAK_AFTER = /[\p{Ps}\p{Pi}]$/u;
const RTL_SCRIPT =
  /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Adlam}\p{Script=Samaritan}\p{Script=Mandaic}]/u;
const STRONG = /[\p{L}]/u;
/** Characters that draw nothing by design: never "missing". */
const INVISIBLE = /[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

/** Collapses whitespace inside paragraphs but keeps the line breaks the author typed. */
export function normalizeText(text: string): string[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p.length > 0);
}

/**
 * A paragraph as layout tokens: unbreakable units ("Order", "now!", "咖啡", "☕") and single
 * spaces. A line may break at a space, or between two units of a script without spaces.
 */
export function breakTokens(paragraph: string): string[] {
  const tokens: string[] = [];
  let unit = '';
  let last = '';
  for (const { segment } of wordSegmenter.segment(paragraph)) {
    if (/^\s+$/u.test(segment)) {
      if (unit) tokens.push(unit);
      unit = '';
      last = '';
      if (tokens.length > 0 && tokens[tokens.length - 1] !== ' ') tokens.push(' ');
      continue;
    }
    const mayBreak =
      unit !== '' &&
      (CJK.test(last) || CJK.test(segment)) &&
      !NO_BREAK_BEFORE.test(segment) &&
      !NO_BREAK_AFTER.test(last);
    if (mayBreak) {
      tokens.push(unit);
      unit = segment;
    } else unit += segment;
    last = segment;
  }
  if (unit) tokens.push(unit);
  while (tokens[tokens.length - 1] === ' ') tokens.pop();
  return tokens;
}

/** The paragraph direction Pango picks: that of the first strong (letter) character. */
export function baseDirection(text: string): Direction {
  for (const ch of text) if (STRONG.test(ch)) return RTL_SCRIPT.test(ch) ? 'rtl' : 'ltr';
  return 'ltr';
}

export interface Coverage {
  /** Fallback families needed for characters the primary face lacks, in fallback order. */
  fallbackFonts: string[];
  /** Characters no face in the chain can draw, once each, in order of appearance. */
  missing: string[];
}

/**
 * A grapheme meant to show as a colour emoji: one with the emoji variation selector (☀️, ❤️, 1️⃣,
 * whose base characters text fonts such as Inter also have) or a character emoji by default.
 * The renderer sets these in the emoji face explicitly; fontconfig would pick the text glyph.
 */
export function emojiPresentation(g: string): boolean {
  return !g.includes('\uFE0E') && (g.includes('\uFE0F') || EMOJI_PRESENTATION.test(g));
}
const EMOJI_PRESENTATION = /\p{Emoji_Presentation}/u;

/** Which faces draw `text`: the primary first, then each fallback in order (fontconfig's order). */
export function coverage(text: string, primary: FontFace, fallbacks: readonly FontFace[]): Coverage {
  const used = new Set<string>();
  const missing = new Set<string>();
  const emoji = fallbacks.find((f) => f.emoji);
  for (const g of graphemes(text)) {
    if (emoji && emojiPresentation(g) && emoji.covers(g.codePointAt(0)!)) {
      used.add(emoji.family);
      continue;
    }
    for (const ch of g) {
      if (INVISIBLE.test(ch)) continue;
      const cp = ch.codePointAt(0)!;
      if (primary.covers(cp)) continue;
      const face = fallbacks.find((f) => f.covers(cp));
      if (face) used.add(face.family);
      else missing.add(ch);
    }
  }
  return {
    fallbackFonts: fallbacks.map((f) => f.family).filter((f, i, all) => used.has(f) && all.indexOf(f) === i),
    missing: [...missing],
  };
}
