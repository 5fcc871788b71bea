import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { brandKitSchema, templateLayersSchema } from '../../../functions/domain/brand-types.js';
import { PLATFORM_PRESETS, platformName, platformNames, safeRect } from '../../../functions/domain/platforms.js';
import { buildRenderPlan, freeAround, type PlanInput } from '../../../functions/domain/rendering/plan.js';
import { contains, expand, gap, intersects } from '../../../functions/domain/rendering/geometry.js';
import { fitText, type FitRequest } from '../../../functions/domain/rendering/text-layout.js';
import { baseDirection, breakTokens, coverage, graphemes } from '../../../functions/domain/rendering/segments.js';
import type { FontFace, InkSize, TextBlock, TextMeasurer } from '../../../functions/domain/rendering/text-measure.js';
import { masterKey, variantKey } from '../../../functions/domain/rendering/keys.js';
import { shippedFonts } from '../../../functions/adapters/render/fonts.js';
import { planMeasured } from '../../../functions/adapters/render/text-measure.js';
import { brand, brief, layers } from './fixtures.js';

const fonts: FontFace[] = shippedFonts();
const kit = brandKitSchema.parse(brand());
const tpl = templateLayersSchema.parse(layers);
type Over = Partial<Omit<PlanInput, 'measure'>>;
/** A plan measured by Pango, as the renderer plans. */
const plan = (name: keyof typeof PLATFORM_PRESETS, over: Over = {}) =>
  planMeasured((measure) =>
    buildRenderPlan({
      preset: PLATFORM_PRESETS[name],
      layers: tpl,
      brand: kit,
      brief,
      fonts,
      logo: { width: 400, height: 160 },
      ...over,
      measure,
    }),
  );

/**
 * A fake measurer for the fitting rules alone: every grapheme is `em` x size wide, a block is
 * lines x size tall, and a "|" costs nothing (so reference advances are exact). Counts calls.
 */
function fakeMeasure(em = 0.5): TextMeasurer & { calls: number } {
  return {
    calls: 0,
    ink(b: TextBlock): InkSize {
      this.calls++;
      const w = Math.max(0, ...b.lines.map((l) => graphemes(l.replace(/\|/g, '')).length * em * b.size));
      return { w: Math.ceil(w), h: b.lines.length * b.size };
    },
  };
}
const fit = (over: Partial<FitRequest>) =>
  fitText({
    text: 'Order now',
    face: { family: 'Inter', weight: 'bold' },
    measure: fakeMeasure(),
    maxWidth: 500,
    maxHeight: 100,
    minSize: 10,
    maxSize: 40,
    maxLines: 2,
    align: 'left',
    ...over,
  });

describe('platform presets', () => {
  it('defines the eight presets with their sizes and a layout class matching the aspect ratio', () => {
    const sizes = Object.fromEntries(
      platformNames.map((n) => [n, `${PLATFORM_PRESETS[n].width}x${PLATFORM_PRESETS[n].height}`]),
    );
    expect(sizes).toEqual({
      instagram_square: '1080x1080',
      instagram_portrait: '1080x1350',
      instagram_story: '1080x1920',
      facebook: '1200x630',
      linkedin: '1200x627',
      x: '1600x900',
      pinterest: '1000x1500',
      youtube_thumbnail: '1280x720',
    });
    for (const n of platformNames) {
      const p = PLATFORM_PRESETS[n];
      const ratio = p.width / p.height;
      expect(p.layout, n).toBe(ratio > 1.1 ? 'wide' : ratio < 0.9 ? 'tall' : 'square');
      expect(safeRect(p).w).toBeGreaterThan(p.width * 0.7);
      expect(p.maxBytes).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    }
    expect(PLATFORM_PRESETS.instagram_story.safeZone).toMatchObject({ top: 250, bottom: 340 });
  });

  it('validates platform names with a zod enum', () => {
    expect(platformName.parse('linkedin')).toBe('linkedin');
    expect(platformName.safeParse('tiktok').success).toBe(false);
  });
});

describe('segmentation', () => {
  it('breaks at spaces, and between words of scripts written without them', () => {
    expect(breakTokens('Order  now!')).toEqual(['Order', ' ', 'now!']);
    expect(breakTokens('single-origin beans')).toEqual(['single-origin', ' ', 'beans']);
    expect(breakTokens('秋季新品咖啡上市').length).toBeGreaterThan(1);
    expect(breakTokens('秋季新品咖啡上市。').at(-1)).toMatch(/。$/); // no line starts with a full stop
    expect(breakTokens('☕ New 👩‍💻').filter((t) => t !== ' ')).toEqual(['☕', 'New', '👩‍💻']);
  });

  it('reads the base direction from the first strong character', () => {
    expect(baseDirection('مزيج الخريف')).toBe('rtl');
    expect(baseDirection('2024 مزيج')).toBe('rtl');
    expect(baseDirection('Acme مزيج')).toBe('ltr');
    expect(baseDirection('☕ 123')).toBe('ltr');
  });

  it('reports characters no shipped font draws, and which fallbacks draw the rest', () => {
    const inter = fonts.find((f) => f.family === 'Inter' && f.weight === 'bold')!;
    const fallbacks = fonts.filter((f) => f.role === 'fallback');
    expect(coverage('Hello Ж λ', inter, fallbacks)).toEqual({ fallbackFonts: [], missing: [] });
    expect(coverage('☕ مزيج 秋季 👍🏽\u200d', inter, fallbacks)).toEqual({
      fallbackFonts: ['Noto Sans Arabic', 'Noto Sans SC', 'Noto Color Emoji'],
      missing: [],
    });
    expect(coverage('x \u{10FFFD} \u0378', inter, fallbacks).missing).toEqual(['\u{10FFFD}', '\u0378']);
  });
});

describe('text fitting (rules, on a fake measurer)', () => {
  it('picks the largest size whose measured block fits the box and maxLines', () => {
    const r = fit({ text: 'Big news today', maxWidth: 400, maxHeight: 200, maxSize: 200 });
    expect(r).toMatchObject({ truncated: false, lines: ['Big news', 'today'] });
    expect(r.size).toBe(100); // 8 graphemes x 0.5 em = 400 px, 2 lines x 100 px = 200 px
    expect(r.width).toBeLessThanOrEqual(400);
    expect(r.height).toBeLessThanOrEqual(200);
  });

  it('never cuts copy that fits at the minimum size, however tight the box (the old "Order now…")', () => {
    // A box exactly one line high at the minimum size: fits, untouched, no ellipsis.
    const r = fit({ text: 'Order now', maxWidth: 500, maxHeight: 18, minSize: 18, maxSize: 28, maxLines: 1 });
    expect(r).toMatchObject({ lines: ['Order now'], truncated: false, size: 18 });
  });

  it('cuts with an ellipsis only when characters are removed, and says so', () => {
    const r = fit({ text: 'word '.repeat(60), maxWidth: 300, maxHeight: 60, minSize: 30, maxSize: 60, maxLines: 2 });
    expect(r.truncated).toBe(true);
    expect(r.size).toBe(30);
    expect(r.lines.length).toBe(2);
    expect(r.lines.at(-1)!.endsWith('…')).toBe(true);
    expect(r.width).toBeLessThanOrEqual(300);
  });

  it('returns no lines (truncated) when not even one line fits the height: the plan then grows the box', () => {
    expect(fit({ text: 'Order now', maxHeight: 12, minSize: 18, maxSize: 28 })).toMatchObject({
      lines: [],
      truncated: true,
    });
  });

  it('breaks a word longer than the line at grapheme boundaries', () => {
    const r = fit({
      text: 'https://example.com/a/very/long/path',
      maxWidth: 200,
      maxHeight: 400,
      minSize: 20,
      maxSize: 20,
      maxLines: 10,
    });
    expect(r.truncated).toBe(false);
    expect(r.lines.join('')).toBe('https://example.com/a/very/long/path');
    expect(r.width).toBeLessThanOrEqual(200);
  });

  it('evens out the lines instead of leaving one word on the last (same size, same line count)', () => {
    // 10 px per character: greedy breaking at 200 px gives "Slow mornings, fresh" / "roasts".
    const r = fit({ text: 'Slow mornings, fresh roasts', maxWidth: 200, maxHeight: 100, minSize: 20, maxSize: 20 });
    expect(r).toMatchObject({ lines: ['Slow mornings,', 'fresh roasts'], size: 20, truncated: false });
    expect(fit({ text: 'New class drop 💪🔥', maxWidth: 160, maxHeight: 100, minSize: 20, maxSize: 20 }).lines).toEqual(
      ['New class', 'drop 💪🔥'],
    );
    // One line stays one line; lines the author typed are kept as typed.
    expect(fit({ text: 'Order now', maxSize: 20 }).lines).toEqual(['Order now']);
    expect(fit({ text: 'Slow mornings, fresh\nroasts', maxWidth: 400, maxSize: 20 }).lines).toEqual([
      'Slow mornings, fresh',
      'roasts',
    ]);
  });

  it('searches the sizes below on measurements when the estimate was too hopeful, instead of dropping to the minimum', () => {
    // Blocks of several lines measure taller than their lines add up to (as a fallback font's
    // taller lines do): the estimate says 50 px fits two lines in 100 px, the measurement says 45.
    const taller: TextMeasurer = {
      ink(b: TextBlock): InkSize {
        const w = Math.max(0, ...b.lines.map((l) => graphemes(l.replace(/\|/g, '')).length * 0.5 * b.size));
        const n = b.lines.length;
        const letters = b.lines.some((l) => /[^|]/.test(l));
        return { w: Math.ceil(w), h: Math.ceil(b.size * (n + (letters ? 0.2 * (n - 1) : 0))) };
      },
    };
    const r = fit({
      text: 'Big news today',
      measure: taller,
      maxWidth: 220,
      maxHeight: 100,
      minSize: 10,
      maxSize: 60,
      maxLines: 3,
    });
    expect(r).toMatchObject({ size: 45, lines: ['Big news', 'today'], truncated: false });
  });

  it('keeps the lines an author typed', () => {
    expect(fit({ text: 'One\nTwo', maxSize: 20 }).lines).toEqual(['One', 'Two']);
  });
});

describe('free space', () => {
  it('grows a box down, up and sideways until an obstacle or the bounds', () => {
    const bounds = { x: 0, y: 0, w: 1000, h: 1000 };
    const b = { x: 100, y: 500, w: 200, h: 20 };
    expect(
      freeAround(b, bounds, [
        { x: 0, y: 700, w: 1000, h: 10 },
        { x: 600, y: 0, w: 50, h: 1000 },
      ]),
    ).toEqual({ x: 0, y: 0, w: 600, h: 700 });
  });
});

describe('render plan', () => {
  it('keeps every text box and the logo inside the safe zone and off UI overlays, for every preset', async () => {
    for (const n of platformNames) {
      const p = await plan(n);
      const safe = safeRect(PLATFORM_PRESETS[n]);
      for (const t of p.texts) {
        expect(contains(safe, t.box), `${n} ${t.slot}`).toBe(true);
        expect(contains(t.box, t.estimate), `${n} ${t.slot} estimate`).toBe(true);
        for (const o of p.uiOverlays) expect(intersects(o, t.box)).toBe(false);
        expect(gap(p.logo!.box, t.box), `${n} ${t.slot} clear space`).toBeGreaterThanOrEqual(p.logo!.clearSpace);
      }
      expect(contains(safe, p.logo!.box), `${n} logo`).toBe(true);
      for (const o of p.uiOverlays) expect(intersects(o, p.logo!.box)).toBe(false);
    }
  });

  it('moves the YouTube logo off the duration stamp when placed bottom-right', async () => {
    const p = await plan('youtube_thumbnail', { brand: { ...kit, logo: { ...kit.logo, placement: 'bottom-right' } } });
    const stamp = PLATFORM_PRESETS.youtube_thumbnail.uiOverlays[0];
    expect(intersects(p.logo!.box, stamp)).toBe(false);
    expect(contains(safeRect(PLATFORM_PRESETS.youtube_thumbnail), p.logo!.box)).toBe(true);
  });

  it('cuts a text box that would run under the logo, and stacks later slots below earlier text', async () => {
    const top = templateLayersSchema.parse({ ...layers, headline: { box: { default: { x: 0, y: 0, w: 1, h: 0.3 } } } });
    const p = await plan('instagram_square', { layers: top });
    const h = p.texts[0];
    expect(intersects(h.box, expand(p.logo!.box, p.logo!.clearSpace))).toBe(false);
    const [, body, cta] = p.texts;
    expect(intersects(body.estimate, h.estimate)).toBe(false);
    expect(intersects(cta.estimate, body.estimate)).toBe(false);
  });

  it('reports a missing logo and uses colors by role', async () => {
    const p = await plan('x', { logo: null });
    expect(p.logo).toBeNull();
    expect(p.logoExpected).toBe(true);
    expect(p.texts.map((t) => t.color)).toEqual(['#FFFFFF', '#FFFFFF', '#F59E0B']);
    expect(p.overlay?.color).toBe('#1E3A8A');
  });

  it('falls back to Inter when the brand font is not shipped, and records the request', async () => {
    const p = await plan('x', {
      brand: { ...kit, fonts: { headline: 'Montserrat', body: 'Inter', allowed: ['Montserrat'] } },
    });
    expect(p.texts[0].font).toEqual({ family: 'Inter', weight: 'bold', requestedFamily: 'Montserrat' });
  });

  it('is deterministic for arbitrary copy, keeps text in its box and cuts only what it removes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 120 }),
        fc.constantFrom(...platformNames),
        async (headline, n) => {
          const a = await plan(n, { brief: { ...brief, headline } });
          expect(await plan(n, { brief: { ...brief, headline } })).toEqual(a);
          for (const t of a.texts) {
            expect(contains(safeRect(PLATFORM_PRESETS[n]), t.box)).toBe(true);
            expect(contains(t.box, t.estimate)).toBe(true);
            const drawn = t.lines.join(' ').replace(/\s+/g, '');
            if (!t.truncated) expect(drawn).toBe(t.sourceText.replace(/\s+/g, ''));
            else expect(t.lines.length === 0 || t.lines.at(-1)!.endsWith('…')).toBe(true);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('S3 keys', () => {
  it('are deterministic and reject unsafe ids', () => {
    expect(variantKey({ orgId: 'o-1', requestId: 'r_2', platform: 'instagram_story', format: 'jpeg' })).toBe(
      'orgs/o-1/requests/r_2/variants/instagram_story.jpg',
    );
    expect(masterKey({ orgId: 'o-1', requestId: 'r_2', format: 'jpeg' })).toBe('orgs/o-1/requests/r_2/master.jpg');
    expect(variantKey({ orgId: 'o', requestId: 'r', platform: 'x', format: 'webp' })).toBe(
      'orgs/o/requests/r/variants/x.webp',
    );
    expect(() => variantKey({ orgId: '../other', requestId: 'r', platform: 'x', format: 'png' })).toThrow(RangeError);
    expect(() => masterKey({ orgId: 'o', requestId: 'a/b', format: 'png' })).toThrow(RangeError);
  });
});
