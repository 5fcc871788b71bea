import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { brandKitSchema, templateLayersSchema } from '../../../functions/domain/brand-types.js';
import { PLATFORM_PRESETS, platformName, platformNames, safeRect } from '../../../functions/domain/platforms.js';
import { buildRenderPlan, type FontFace } from '../../../functions/domain/rendering/plan.js';
import { contains, expand, gap, intersects } from '../../../functions/domain/rendering/geometry.js';
import { fitText, wrapText } from '../../../functions/domain/rendering/text-layout.js';
import { measureText, missingGlyphs, parseFontMetrics } from '../../../functions/domain/rendering/font-metrics.js';
import { masterKey, variantKey } from '../../../functions/domain/rendering/keys.js';
import { shippedFonts } from '../../../functions/adapters/render/fonts.js';
import { brand, brief, layers } from './fixtures.js';

const fonts: FontFace[] = shippedFonts();
const bold = fonts.find((f) => f.weight === 'bold')!.metrics;
const kit = brandKitSchema.parse(brand());
const tpl = templateLayersSchema.parse(layers);
const plan = (name: keyof typeof PLATFORM_PRESETS, over: Partial<Parameters<typeof buildRenderPlan>[0]> = {}) =>
  buildRenderPlan({ preset: PLATFORM_PRESETS[name], layers: tpl, brand: kit, brief, fonts, logo: { width: 400, height: 160 }, ...over });

describe('platform presets', () => {
  it('defines the eight presets with their sizes and a layout class matching the aspect ratio', () => {
    const sizes = Object.fromEntries(platformNames.map((n) => [n, `${PLATFORM_PRESETS[n].width}x${PLATFORM_PRESETS[n].height}`]));
    expect(sizes).toEqual({
      instagram_square: '1080x1080', instagram_portrait: '1080x1350', instagram_story: '1080x1920', facebook: '1200x630',
      linkedin: '1200x627', x: '1600x900', pinterest: '1000x1500', youtube_thumbnail: '1280x720',
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

describe('font metrics', () => {
  it('reads the shipped Inter files', () => {
    expect(fonts.map((f) => `${f.metrics.family} ${f.metrics.style}`)).toEqual(['Inter Bold', 'Inter Regular']);
    expect(bold.unitsPerEm).toBe(2048);
    expect(measureText(bold, 'WWW', 100)).toBeGreaterThan(measureText(bold, 'iii', 100));
    expect(missingGlyphs(bold, 'Hello 😀 ß')).toEqual(['😀']);
  });

  it('rejects files that are not fonts', () => {
    expect(() => parseFontMetrics(new Uint8Array(64))).toThrow(/not a TrueType/);
  });
});

describe('text fitting', () => {
  it('wraps greedily at word boundaries within the width', () => {
    const lines = wrapText('the quick brown fox jumps over the lazy dog', bold, 40, 300);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(measureText(bold, l, 40)).toBeLessThanOrEqual(300);
    expect(lines.join(' ')).toBe('the quick brown fox jumps over the lazy dog');
  });

  it('picks the largest size that fits maxLines and the box', () => {
    const r = fitText({ text: 'Big news today', metrics: bold, maxWidth: 400, maxHeight: 200, minSize: 10, maxSize: 200, maxLines: 2 });
    expect(r.truncated).toBe(false);
    expect(r.lines.length).toBeLessThanOrEqual(2);
    expect(r.height).toBeLessThanOrEqual(200);
    const bigger = fitText({ text: 'Big news today', metrics: bold, maxWidth: 400, maxHeight: 200, minSize: r.size + 1, maxSize: r.size + 1, maxLines: 2 });
    expect(bigger.truncated).toBe(true);
  });

  it('cuts with an ellipsis when even the minimum size does not fit', () => {
    const r = fitText({ text: 'word '.repeat(60), metrics: bold, maxWidth: 300, maxHeight: 100, minSize: 30, maxSize: 60, maxLines: 2 });
    expect(r.truncated).toBe(true);
    expect(r.size).toBe(30);
    expect(r.lines.length).toBeLessThanOrEqual(2);
    expect(r.lines.at(-1)!.endsWith('…')).toBe(true);
  });

  it('breaks a word longer than the line', () => {
    const lines = wrapText('https://example.com/a/very/long/path/that/does/not/fit', bold, 40, 200);
    for (const l of lines) expect(measureText(bold, l, 40)).toBeLessThanOrEqual(200);
  });
});

describe('render plan', () => {
  it('keeps every text box and the logo inside the safe zone and off UI overlays, for every preset', () => {
    for (const n of platformNames) {
      const p = plan(n);
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

  it('moves the YouTube logo off the duration stamp when placed bottom-right', () => {
    const p = plan('youtube_thumbnail', { brand: { ...kit, logo: { ...kit.logo, placement: 'bottom-right' } } });
    const stamp = PLATFORM_PRESETS.youtube_thumbnail.uiOverlays[0];
    expect(intersects(p.logo!.box, stamp)).toBe(false);
    expect(contains(safeRect(PLATFORM_PRESETS.youtube_thumbnail), p.logo!.box)).toBe(true);
  });

  it('cuts a text box that would run under the logo, and stacks later slots below earlier text', () => {
    const top = templateLayersSchema.parse({ ...layers, headline: { box: { default: { x: 0, y: 0, w: 1, h: 0.3 } } } });
    const p = plan('instagram_square', { layers: top });
    const h = p.texts[0];
    expect(intersects(h.box, expand(p.logo!.box, p.logo!.clearSpace))).toBe(false);
    const [, body, cta] = p.texts;
    expect(intersects(body.estimate, h.estimate)).toBe(false);
    expect(intersects(cta.estimate, body.estimate)).toBe(false);
  });

  it('reports a missing logo and uses colors by role', () => {
    const p = plan('x', { logo: null });
    expect(p.logo).toBeNull();
    expect(p.logoExpected).toBe(true);
    expect(p.texts.map((t) => t.color)).toEqual(['#FFFFFF', '#FFFFFF', '#F59E0B']);
    expect(p.overlay?.color).toBe('#1E3A8A');
  });

  it('falls back to Inter when the brand font is not shipped, and records the request', () => {
    const p = plan('x', { brand: { ...kit, fonts: { headline: 'Montserrat', body: 'Inter', allowed: ['Montserrat'] } } });
    expect(p.texts[0].font).toEqual({ family: 'Inter', weight: 'bold', requestedFamily: 'Montserrat' });
  });

  it('is deterministic for arbitrary copy (property)', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 120 }), fc.constantFrom(...platformNames), (headline, n) => {
      const input = { preset: PLATFORM_PRESETS[n], layers: tpl, brand: kit, brief: { ...brief, headline }, fonts, logo: { width: 400, height: 160 } };
      const a = buildRenderPlan(input);
      expect(buildRenderPlan(input)).toEqual(a);
      for (const t of a.texts) expect(contains(safeRect(PLATFORM_PRESETS[n]), t.box)).toBe(true);
    }), { numRuns: 60 });
  });
});

describe('S3 keys', () => {
  it('are deterministic and reject unsafe ids', () => {
    expect(variantKey({ orgId: 'o-1', requestId: 'r_2', platform: 'instagram_story', format: 'jpeg' })).toBe('orgs/o-1/requests/r_2/variants/instagram_story.jpg');
    expect(masterKey({ orgId: 'o-1', requestId: 'r_2', format: 'jpeg' })).toBe('orgs/o-1/requests/r_2/master.jpg');
    expect(variantKey({ orgId: 'o', requestId: 'r', platform: 'x', format: 'webp' })).toBe('orgs/o/requests/r/variants/x.webp');
    expect(() => variantKey({ orgId: '../other', requestId: 'r', platform: 'x', format: 'png' })).toThrow(RangeError);
    expect(() => masterKey({ orgId: 'o', requestId: 'a/b', format: 'png' })).toThrow(RangeError);
  });
});
