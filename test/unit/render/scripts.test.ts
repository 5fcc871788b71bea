/**
 * Any script, emoji included, renders real glyphs: checked on rendered pixels. The stack draws a
 * code point no font can draw as a "tofu" box (a frame around its hex digits). Pango draws that
 * very box on request: with font fallback switched off, in a face that lacks the character. So
 * each character is drawn the way the renderer draws it and compared with its own tofu: they
 * must differ (and for a code point no shipped font has, they must be the same, which shows the
 * comparison works). Colour emoji are told by pixels in colours of their own.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { renderVariant } from '../../../functions/adapters/render/index.js';
import { shippedFonts } from '../../../functions/adapters/render/fonts.js';
import { rasterizeBlock } from '../../../functions/adapters/render/text-measure.js';
import { checkVariant } from '../../../functions/domain/compliance/index.js';
import { baseDirection, graphemes } from '../../../functions/domain/rendering/segments.js';
import type { TextBlock } from '../../../functions/domain/rendering/text-measure.js';
import { brand, decode, layers, solid } from './fixtures.js';

const SAMPLES: Record<string, string> = {
  'Latin with emoji': '☕ New autumn blend 🍂',
  Cyrillic: 'Новый осенний вкус',
  Greek: 'Νέα φθινοπωρινή γεύση',
  Arabic: 'مزيج الخريف الجديد',
  CJK: '秋季新品咖啡上市',
};
const UNASSIGNED = ['\u0378', '\u{10FFFD}', '\u{3FFFD}'];

interface Ink {
  data: Buffer;
  width: number;
  height: number;
}
const draw = async (text: string, size = 64): Promise<Ink> => {
  const block: TextBlock = {
    face: { family: 'Inter', weight: 'bold' },
    size,
    lines: [text],
    align: 'left',
    direction: baseDirection(text),
  };
  return (await rasterizeBlock(block, '#000000'))!;
};
const _inked = (g: Ink, x: number, y: number) => g.data[(y * g.width + x) * 4 + 3] > 128;

/** The tofu the stack draws for `ch`: fallback off, in a shipped face that does not have it. */
async function tofu(ch: string, size = 64): Promise<Ink> {
  const cp = ch.codePointAt(0)!;
  const face = shippedFonts().find((f) => !f.covers(cp))!;
  const { data, info } = await sharp({
    text: {
      text: `<span fallback="false" font_family="${face.family}">${baseDirection(ch) === 'rtl' ? '\u200F' : ''}${ch}</span>`,
      font: `Inter Bold ${size}`,
      dpi: 72,
      rgba: true,
    },
  })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Share of pixels whose coverage differs clearly (1 when the sizes differ). */
function difference(a: Ink, b: Ink): number {
  if (a.width !== b.width || a.height !== b.height) return 1;
  let diff = 0;
  for (let i = 3; i < a.data.length; i += 4) if (Math.abs(a.data[i] - b.data[i]) > 96) diff++;
  return diff / (a.width * a.height);
}

/** Share of inked pixels drawn in a colour of their own (the text colour here is black), from column `fromX` on. */
function ownColourShare(g: Ink, fromX = 0): number {
  let ink = 0;
  let own = 0;
  for (let i = 0; i < g.data.length; i += 4) {
    if (g.data[i + 3] < 128 || (i / 4) % g.width < fromX) continue;
    ink++;
    if (Math.max(g.data[i], g.data[i + 1], g.data[i + 2]) > 80) own++;
  }
  return ink ? own / ink : 0;
}

describe('glyphs, not boxes', () => {
  it('draws exactly its tofu for code points no shipped font has (the comparison works)', async () => {
    for (const ch of UNASSIGNED)
      expect(difference(await draw(ch), await tofu(ch)), `U+${ch.codePointAt(0)!.toString(16)}`).toBe(0);
  });

  for (const [script, text] of Object.entries(SAMPLES)) {
    it(`${script}: every character is a glyph`, async () => {
      const chars = graphemes(text).filter((g) => g.trim());
      for (const ch of chars)
        expect(difference(await draw(ch), await tofu(ch)), `${script} "${ch}"`).toBeGreaterThan(0.2);
      // Arabic letters join: the word is narrower than its letters drawn apart.
      if (script === 'Arabic') {
        const word = await draw('مزيج');
        let apart = 0;
        for (const ch of graphemes('مزيج')) apart += (await draw(ch)).width;
        expect(word.width).toBeLessThan(apart);
      }
    });
  }

  it('emoji are drawn in their own colours, not the text colour', async () => {
    for (const e of ['☕', '🍂', '👩‍💻', '👍🏽', '🇫🇷']) expect(ownColourShare(await draw(e)), e).toBeGreaterThan(0.5);
    // With the emoji variation selector, also where Inter has a (monochrome) glyph for the base.
    // With the emoji variation selector, also where Inter has a (monochrome) glyph for the base,
    // and after another emoji (Pango then drew the sun from Inter in the text colour).
    for (const e of ['☀️', '❤️', '1️⃣', '✔️']) expect(ownColourShare(await draw(`Sunny ${e}`)), e).toBeGreaterThan(0.2);
    for (const e of ['🍋☀️', '🍋 ☀️', '☕❤️']) {
      const g = await draw(e);
      expect(ownColourShare(g, Math.round(g.width * 0.6)), `the second of ${e}`).toBeGreaterThan(0.5);
    }
    expect(ownColourShare(await draw('☀\uFE0E'))).toBe(0);
    expect(ownColourShare(await draw('New autumn blend'))).toBe(0);
  });
});

describe('in a rendered variant', () => {
  let source: Buffer;
  beforeAll(async () => {
    source = await solid('#222222', 1600, 1200);
  });

  it('draws each script with the fallback font that has it, with no missing-glyph warning', async () => {
    const fallbacks: Record<string, string[]> = {
      'Latin with emoji': ['Noto Color Emoji'],
      Cyrillic: [],
      Greek: [],
      Arabic: ['Noto Sans Arabic'],
      CJK: ['Noto Sans SC'],
    };
    for (const [script, headline] of Object.entries(SAMPLES)) {
      const v = await renderVariant({
        source,
        preset: 'instagram_square',
        brand: brand(),
        layers: { ...layers, overlay: { kind: 'none' } },
        brief: { headline },
      });
      const h = v.layout.texts[0];
      expect(h, script).toMatchObject({ missingGlyphs: [], fallbackFonts: fallbacks[script], truncated: false });
      expect(v.layout.fonts).toEqual(['Inter', ...fallbacks[script]]);
      expect(
        checkVariant({ variant: v, brand: brand() }).findings.filter((f) => f.check === 'fonts'),
        script,
      ).toEqual([]);
      // The drawn headline is white text on the dark photo: its pixels fill the measured box.
      const img = await decode(v.buffer);
      let light = 0;
      for (let y = h.bbox!.y; y < h.bbox!.y + h.bbox!.h; y++) {
        for (let x = h.bbox!.x; x < h.bbox!.x + h.bbox!.w; x++) if (img.data[(y * img.width + x) * 3] > 200) light++;
      }
      expect(light / (h.bbox!.w * h.bbox!.h), script).toBeGreaterThan(0.05);
    }
  });

  it('still warns about a character no shipped font has', async () => {
    const v = await renderVariant({
      source,
      preset: 'instagram_square',
      brand: brand(),
      layers,
      brief: { headline: 'Autumn \u0378 blend' },
    });
    expect(v.layout.texts[0].missingGlyphs).toEqual(['\u0378']);
    const f = checkVariant({ variant: v, brand: brand() }).findings.find((x) => x.check === 'fonts')!;
    expect(f).toMatchObject({ severity: 'warning', details: { missing: ['\u0378'] } });
  });
});
