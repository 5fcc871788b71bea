import { describe, expect, it, beforeAll } from 'vitest';
import sharp from 'sharp';
import { renderVariant, renderVariants, type RenderedVariant } from '../../../functions/adapters/render/renderer.js';
import { PLATFORM_PRESETS, platformNames, safeRect, type PlatformPreset } from '../../../functions/domain/platforms.js';
import { contains, expand, intersects, type Box } from '../../../functions/domain/rendering/geometry.js';
import { variantKey } from '../../../functions/domain/rendering/keys.js';
import { isAppError } from '../../../functions/shared/errors.js';
import {
  brand,
  brandPhoto,
  brief,
  decode,
  findColor,
  GOLD,
  layers,
  magentaLogo,
  noise,
  solid,
  WHITE,
} from './fixtures.js';

const dark = '#333333';

describe('renderVariants on every preset', () => {
  let source: Buffer;
  let logo: Buffer;
  let variants: RenderedVariant[];
  beforeAll(async () => {
    source = await solid(dark, 2000, 1500);
    logo = await magentaLogo();
    variants = await renderVariants({
      source,
      presets: [...platformNames],
      logo,
      brief,
      brand: brand(),
      layers: { ...layers, overlay: { kind: 'none' } },
    });
  });

  it('returns one variant per preset, in order, decoding to the exact size and format', async () => {
    expect(variants.map((v) => v.platform)).toEqual([...platformNames]);
    for (const v of variants) {
      const preset = PLATFORM_PRESETS[v.platform as keyof typeof PLATFORM_PRESETS];
      const meta = await sharp(v.buffer).metadata();
      expect({ p: v.platform, w: meta.width, h: meta.height, f: meta.format }).toEqual({
        p: v.platform,
        w: preset.width,
        h: preset.height,
        f: preset.output.format,
      });
      expect({ w: v.width, h: v.height, bytes: v.bytes }).toEqual({
        w: preset.width,
        h: preset.height,
        bytes: v.buffer.length,
      });
      expect(v.bytes).toBeLessThanOrEqual(preset.maxBytes);
      expect(v.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(meta.exif).toBeUndefined();
    }
  });

  it('draws text pixels only inside the text boxes, and every box inside the safe zone', async () => {
    for (const v of variants) {
      const preset = PLATFORM_PRESETS[v.platform as keyof typeof PLATFORM_PRESETS];
      const img = await decode(v.buffer);
      const safe = safeRect(preset);
      const white = v.layout.texts.filter((t) => t.color === WHITE);
      const gold = v.layout.texts.filter((t) => t.color === GOLD);
      expect(white.length, v.platform).toBe(2);
      expect(gold.length, v.platform).toBe(1);
      for (const [color, slots] of [
        [WHITE, white],
        [GOLD, gold],
      ] as const) {
        const all = findColor(img, color, 30);
        expect(all, `${v.platform} ${color} text drawn`).not.toBeNull();
        // Every text-colored pixel lies in one of the slots' boxes...
        const inSlots = slots.reduce((n, t) => n + (findColor(img, color, 30, t.box)?.count ?? 0), 0);
        expect(inSlots, `${v.platform}: ${color} pixels outside the text boxes`).toBe(all!.count);
        for (const t of slots) {
          // ...each slot really drew inside its own box, and the box respects the safe zone.
          expect(findColor(img, color, 30, t.box), `${v.platform} ${t.slot}`).not.toBeNull();
          expect(contains(safe, t.box), `${v.platform} ${t.slot} box in safe zone`).toBe(true);
          expect(contains(t.box, t.bbox!), `${v.platform} ${t.slot} ink in box`).toBe(true);
          for (const o of preset.uiOverlays) expect(intersects(o, t.bbox!)).toBe(false);
        }
      }
    }
  });

  it('places the logo at its corner of the safe zone, at the brand width, with clear space kept free of text', async () => {
    for (const v of variants) {
      const preset = PLATFORM_PRESETS[v.platform as keyof typeof PLATFORM_PRESETS];
      const img = await decode(v.buffer);
      const logoBox = v.layout.logo!.box;
      const found = findColor(img, '#FF00FF', 40)!;
      expect(found, v.platform).not.toBeNull();
      // Magenta pixels fill the planned box (JPEG may soften the outermost pixel row/column).
      expect(contains(expand(logoBox, 1), found.box), v.platform).toBe(true);
      expect(found.box.w).toBeGreaterThanOrEqual(logoBox.w - 2);
      expect(found.box.h).toBeGreaterThanOrEqual(logoBox.h - 2);
      expect(logoBox.w).toBe(Math.round(0.16 * preset.width));
      const safe = safeRect(preset);
      expect(logoBox.y).toBe(safe.y); // top-right
      if (preset.uiOverlays.length === 0) expect(logoBox.x + logoBox.w).toBe(safe.x + safe.w);
      // No text pixel in the clear-space zone around the logo.
      const zone = expand(logoBox, v.layout.logo!.clearSpace);
      expect(findColor(img, WHITE, 30, zone), `${v.platform} text in logo clear space`).toBeNull();
      expect(findColor(img, GOLD, 30, zone)).toBeNull();
    }
  });

  it('draws with the shipped Inter font, exactly where the plan measured (planned ink = drawn pixels)', async () => {
    for (const v of variants) {
      expect(v.layout.fonts).toEqual(['Inter']);
      const img = await decode(v.buffer);
      for (const t of v.layout.texts) {
        // The plan measured this block before drawing it: same size, same place.
        expect(t.bbox, `${v.platform} ${t.slot}`).toEqual(t.estimate);
        // And the text-coloured pixels around it span that box (antialiased edges, JPEG: 3 px).
        const found = findColor(img, t.color, 60, expand(t.estimate, 12))!;
        expect(found, `${v.platform} ${t.slot}`).not.toBeNull();
        for (const [a, b] of [
          [found.box.x, t.estimate.x],
          [found.box.y, t.estimate.y],
          [found.box.w, t.estimate.w],
          [found.box.h, t.estimate.h],
        ]) {
          expect(
            Math.abs(a - b),
            `${v.platform} ${t.slot} ${JSON.stringify(found.box)} vs ${JSON.stringify(t.estimate)}`,
          ).toBeLessThanOrEqual(3);
        }
      }
    }
  });
});

describe('determinism', () => {
  it('renders the same input to identical bytes and keys, alone or in a parallel batch', async () => {
    const source = await brandPhoto();
    const logo = await magentaLogo();
    const input = { source, logo, brief, brand: brand(), layers };
    const a = await renderVariants({ ...input, presets: ['instagram_story', 'x', 'youtube_thumbnail'], pool: 3 });
    const b = await renderVariants({ ...input, presets: ['instagram_story', 'x', 'youtube_thumbnail'], pool: 1 });
    const c = await renderVariant({ ...input, preset: 'x' });
    expect(a.map((v) => v.sha256)).toEqual(b.map((v) => v.sha256));
    expect(c.sha256).toBe(a[1].sha256);
    expect(Buffer.compare(c.buffer, a[1].buffer)).toBe(0);
    const key = (v: RenderedVariant) =>
      variantKey({ orgId: 'org1', requestId: 'req1', platform: v.platform, format: v.format });
    expect(a.map(key)).toEqual(b.map(key));
    expect(key(c)).toBe('orgs/org1/requests/req1/variants/x.jpg');
  });
});

describe('file-size limits', () => {
  const base = PLATFORM_PRESETS.instagram_square;
  const custom = (over: Partial<PlatformPreset>): PlatformPreset => ({ ...base, name: 'instagram_square', ...over });

  it('steps quality down until the file fits the limit', async () => {
    const source = await noise(1400, 1400);
    const unconstrained = await renderVariant({ source, preset: base, brief, brand: brand(), layers });
    const limit = Math.floor(unconstrained.bytes * 0.7);
    const v = await renderVariant({ source, preset: custom({ maxBytes: limit }), brief, brand: brand(), layers });
    expect(v.bytes).toBeLessThanOrEqual(limit);
    expect(v.layout.quality).toBeLessThan(base.output.quality);
    expect((await sharp(v.buffer).metadata()).width).toBe(1080);
  });

  it('fails clearly when even the minimum quality is too large', async () => {
    const source = await noise(1400, 1400);
    const err = await renderVariant({
      source,
      preset: custom({ maxBytes: 5_000 }),
      brief,
      brand: brand(),
      layers,
    }).catch((e) => e);
    expect(isAppError(err)).toBe(true);
    expect(err.code).toBe('invalid_image');
    expect(err.detail.reason).toBe('size_limit');
    expect(err.message).toMatch(/cannot be made smaller than 5000 bytes/);
  });

  it('encodes png and webp presets', async () => {
    const source = await brandPhoto(1200, 900);
    for (const format of ['png', 'webp'] as const) {
      const v = await renderVariant({
        source,
        preset: custom({ output: { format, quality: 80, minQuality: 40 } }),
        brief,
        brand: brand(),
        layers,
      });
      const meta = await sharp(v.buffer).metadata();
      expect(meta.format).toBe(format);
      expect(v.contentType).toBe(`image/${format}`);
      expect(meta.width).toBe(1080);
    }
  });
});

describe('bad input', () => {
  it('rejects a file that is not an image', async () => {
    const err = await renderVariant({
      source: Buffer.from('not an image'),
      preset: 'x',
      brief,
      brand: brand(),
      layers,
    }).catch((e) => e);
    expect(err.code).toBe('invalid_image');
    expect(err.name).toBe('Permanent.invalid_image');
  });

  it('rejects invalid template layers with validation_failed', async () => {
    const err = await renderVariant({
      source: await solid(dark, 400, 400),
      preset: 'x',
      brief,
      brand: brand(),
      layers: { headline: {} },
    }).catch((e) => e);
    expect(err.code).toBe('validation_failed');
  });
});

describe('smart crop', () => {
  it('keeps the subject in frame with attention and entropy, unlike a centre crop', async () => {
    // A flat scene with one busy, saturated subject near the right edge.
    const W = 2000;
    const H = 1000;
    const subject = Array.from(
      { length: 12 },
      (_, i) =>
        `<rect x="${1700 + (i % 4) * 45}" y="${380 + Math.floor(i / 4) * 80}" width="30" height="60" fill="${i % 2 ? '#E11D48' : '#FACC15'}"/>`,
    ).join('');
    const source = await sharp(
      Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="${W}" height="${H}" fill="#8A9A8A"/>${subject}</svg>`,
      ),
    )
      .png()
      .toBuffer();
    const regionFor = async (focus: 'attention' | 'entropy' | 'center') =>
      (
        await renderVariant({
          source,
          preset: 'instagram_story',
          brief,
          brand: brand(),
          layers: { ...layers, image: { focus } },
        })
      ).layout.crop.region;
    const subjectX = [1700, 1865];
    for (const focus of ['attention', 'entropy'] as const) {
      const r = await regionFor(focus);
      expect(r.x <= subjectX[0] && r.x + r.w >= subjectX[1], `${focus}: ${JSON.stringify(r)}`).toBe(true);
    }
    const c = await regionFor('center');
    expect(c.x + c.w).toBeLessThan(subjectX[0]);
    expect(c).toEqual({ x: 719, y: 0, w: 563, h: 1000 });
  });
});

describe('layout adapts to the layout class', () => {
  it('puts wide text on the left with a left overlay, tall text low with a bottom overlay', async () => {
    const source = await brandPhoto();
    const [story, x] = await renderVariants({
      source,
      presets: ['instagram_story', 'x'],
      brief,
      brand: brand(),
      layers: { ...layers, overlay: { kind: 'gradient', colorRole: 'primary', opacity: 0.9 } },
    });
    const hx = x.layout.texts[0].bbox as Box;
    expect(hx.x + hx.w).toBeLessThan(x.width * 0.6);
    expect(x.layout.overlay).toMatchObject({ opaqueEdge: 'left', box: { x: 0, y: 0, h: 900 } });
    const hs = story.layout.texts[0].bbox as Box;
    expect(hs.y).toBeGreaterThan(story.height * 0.45);
    expect(story.layout.overlay).toMatchObject({ opaqueEdge: 'bottom', box: { x: 0, w: 1080 } });
  });
});
