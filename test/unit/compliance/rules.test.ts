/**
 * Each case renders a real image that breaks one rule on purpose and expects exactly that check to
 * fail; the baseline renders an on-brand image that passes everything.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import {
  checkBriefAgainstBrand,
  checkMaster,
  checkVariant,
  summarize,
  type ComplianceResult,
} from '../../../functions/domain/compliance/index.js';
import {
  composeMaster,
  renderVariant,
  renderVariants,
  type RenderedVariant,
} from '../../../functions/adapters/render/index.js';
import { PLATFORM_PRESETS, platformNames } from '../../../functions/domain/platforms.js';
import { brand, brandLogo, brandPhoto, brief, layers, NAVY } from '../render/fixtures.js';

const failing = (r: ComplianceResult) =>
  Object.entries(r.checks)
    .filter(([, s]) => s !== 'ok' && s !== 'skipped')
    .map(([k]) => k)
    .sort();
const shapes = (w: number, h: number, a: string, b: string) =>
  sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="${a}"/>` +
        `<circle cx="${w * 0.6}" cy="${h * 0.4}" r="${h * 0.3}" fill="${b}"/></svg>`,
    ),
  )
    .jpeg({ quality: 92 })
    .toBuffer();

let photo: Buffer;
let logo: Buffer;
beforeAll(async () => {
  photo = (await composeMaster(await brandPhoto())).buffer;
  logo = await brandLogo();
});

const render = (over: Partial<Parameters<typeof renderVariant>[0]> = {}) =>
  renderVariant({ source: photo, preset: 'instagram_square', logo, brief, brand: brand(), layers, ...over });

describe('on-brand content', () => {
  let variants: RenderedVariant[];
  beforeAll(async () => {
    variants = await renderVariants({
      source: photo,
      presets: [...platformNames],
      logo,
      brief,
      brand: brand(),
      layers,
    });
  });

  it('passes every variant, the master and the copy with a high score', async () => {
    const master = await composeMaster(await brandPhoto());
    const m = checkMaster({
      width: master.width,
      height: master.height,
      analysis: master.analysis,
      license: { type: 'owned', attributionRequired: false },
      brand: brand(),
      platforms: [...platformNames],
    });
    const c = checkBriefAgainstBrand(brief, brand(), [...platformNames]);
    const vs = variants.map((variant) => checkVariant({ variant, brand: brand() }));
    for (const r of [m, c, ...vs]) {
      expect(r.findings).toEqual([]);
      expect(r).toMatchObject({ score: 100, decision: 'pass' });
    }
    const request = summarize(
      [...m.findings, ...c.findings, ...vs.flatMap((r) => r.findings)],
      brand().complianceThresholds,
    );
    expect(request).toMatchObject({ score: 100, decision: 'pass' });
  });
});

describe('each rule, broken on purpose', () => {
  it('off-palette colors', async () => {
    const source = await shapes(2000, 1500, '#052E16', '#450A0A'); // dark green and dark red, far from navy/gold
    const v = await render({ source, layers: { ...layers, overlay: { kind: 'none' } } });
    const r = checkVariant({ variant: v, brand: brand() });
    expect(failing(r)).toEqual(['palette']);
    expect(r.findings[0]).toMatchObject({ check: 'palette', severity: 'error', platform: 'instagram_square' });
    expect(r.findings[0].message).toMatch(/brand palette/);
  });

  it('low text contrast where the text sits', async () => {
    const source = await shapes(2000, 1500, '#F1F5F9', '#E2E8F0'); // near-white, neutral
    // A brand that lets the renderer change nothing: what the template draws is what is judged.
    const fixed = brand({ complianceThresholds: { legibility: { allowTextColorSwitch: false, allowPlate: false } } });
    const v = await render({ source, brand: fixed, layers: { ...layers, overlay: { kind: 'none' } } });
    expect(v.adjustments).toEqual([]);
    const r = checkVariant({ variant: v, brand: fixed });
    expect(failing(r)).toEqual(['contrast']);
    const headline = r.findings.find((f) => f.details.slot === 'headline')!;
    expect(headline.severity).toBe('error');
    expect(headline.details.ratio).toBeLessThan(1.5);
    expect(headline.fixHint).toMatch(/overlay/);
  });

  it('missing logo', async () => {
    const r = checkVariant({ variant: await render({ logo: null }), brand: brand() });
    expect(failing(r)).toEqual(['logo']);
    expect(r.findings[0]).toMatchObject({ severity: 'error', message: expect.stringMatching(/logo is missing/) });
  });

  it('logo smaller than the brand minimum', async () => {
    const small = brand({ logo: { placement: 'top-right', widthPct: 0.05, minWidthPct: 0.1, clearSpacePct: 0.25 } });
    const r = checkVariant({ variant: await render({ brand: small }), brand: small });
    expect(failing(r)).toEqual(['logo']);
    expect(r.findings[0].details).toMatchObject({ minWidth: 108, box: { w: 54 } });
  });

  it('text too close to the logo', async () => {
    const v = await render({
      source: await shapes(2000, 1500, NAVY, NAVY),
      // The call to action 10 px under the logo, still inside the safe zone.
      adjustPlan: (p) => ({
        ...p,
        texts: p.texts.map((t) =>
          t.slot === 'cta' ? { ...t, box: { x: 600, y: p.logo!.box.y + p.logo!.box.h + 10, w: 426, h: 60 } } : t,
        ),
      }),
    });
    const r = checkVariant({ variant: v, brand: brand() });
    expect(failing(r)).toEqual(['logo']);
    expect(r.findings[0]).toMatchObject({ severity: 'warning', details: { slot: 'cta', gap: 10, clearSpace: 43 } });
  });

  it('a font outside the brand fonts', async () => {
    const strict = brand({ fonts: { headline: 'Inter', body: 'Inter', allowed: ['Montserrat'] } });
    const r = checkVariant({ variant: await render({ brand: strict }), brand: strict });
    expect(failing(r)).toEqual(['fonts']);
    expect(r.findings.every((f) => f.severity === 'error')).toBe(true);
    expect(r.findings[0].message).toMatch(/Inter, which is not one of your brand fonts \(Montserrat\)/);
  });

  it('a brand font the renderer does not ship', async () => {
    const b = brand({ fonts: { headline: 'Montserrat', body: 'Inter', allowed: ['Montserrat', 'Inter'] } });
    const r = checkVariant({ variant: await render({ brand: b }), brand: b });
    expect(failing(r)).toEqual(['fonts']);
    expect(r.findings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        details: { slot: 'headline', requested: 'Montserrat', used: 'Inter' },
      }),
    ]);
  });

  it('banned word, missing disclaimer, missing hashtag in the copy', () => {
    const b = brand({
      voiceRules: { bannedWords: ['cheap'], requiredDisclaimer: 'Offer ends Sunday.', requiredHashtags: ['#acme'] },
    });
    expect(
      failing(checkBriefAgainstBrand({ ...brief, headline: 'Cheap layers', body: 'Offer ends Sunday.' }, b, ['x'])),
    ).toEqual(['banned_words']);
    expect(failing(checkBriefAgainstBrand(brief, b, ['x']))).toEqual(['disclaimer']);
    expect(
      failing(checkBriefAgainstBrand({ ...brief, body: 'Offer ends Sunday.', hashtags: ['#autumn'] }, b, ['x'])),
    ).toEqual(['hashtags']);
  });

  it('copy too long for the image is cut and reported', async () => {
    const long = {
      ...brief,
      headline:
        'An extremely long headline that keeps going and going, then adds another clause, ' +
        'and another one after that, and will never fit into three lines on a small video thumbnail at all',
    };
    // Copy is cut only when no room on the canvas holds it, even in more lines: a headline that
    // must stay large (minimum 60 px at 1080) has none on a thumbnail.
    const v = await render({
      preset: 'youtube_thumbnail',
      brief: long,
      layers: { ...layers, headline: { ...layers.headline, minSize: 60 } },
    });
    const r = checkVariant({ variant: v, brand: brand() });
    expect(failing(r)).toEqual(['copy_length']);
    expect(r.findings[0]).toMatchObject({ severity: 'error', details: { slot: 'headline' } });
    expect((r.findings[0].details.lines as string[]).at(-1)).toMatch(/…$/);
    expect(failing(checkBriefAgainstBrand(long, brand(), ['youtube_thumbnail']))).toEqual(['copy_length']);
  });

  it('heavy upscaling of a small source', async () => {
    const small = await composeMaster(await brandPhoto(640, 480));
    const m = checkMaster({
      width: small.width,
      height: small.height,
      analysis: small.analysis,
      brand: brand(),
      platforms: ['instagram_story', 'facebook'],
    });
    expect(failing(m)).toEqual(['resolution']);
    expect(m.findings.map((f) => f.platform)).toEqual(['instagram_story', 'facebook']);
    expect(m.findings[0].details).toMatchObject({ scale: 4, maxUpscale: 1.5 });
    const v = await render({ source: small.buffer, preset: 'instagram_story' });
    const r = checkVariant({ variant: v, brand: brand() });
    expect(failing(r)).toEqual(['resolution']);
    expect(r.findings[0].message).toMatch(/enlarged 4\.0x/);
  });

  it('text inside the story UI band', async () => {
    const v = await render({
      source: await shapes(1080, 1920, NAVY, NAVY),
      preset: 'instagram_story',
      // A box 60 px from the top (inside the 250 px profile band), clear of the top-right logo.
      adjustPlan: (p) => ({
        ...p,
        texts: p.texts.map((t) => (t.slot === 'headline' ? { ...t, box: { x: t.box.x, y: 60, w: 500, h: 170 } } : t)),
      }),
    });
    const r = checkVariant({ variant: v, brand: brand() });
    expect(failing(r)).toEqual(['safe_zone']);
    expect(r.findings[0]).toMatchObject({
      severity: 'error',
      platform: 'instagram_story',
      details: { element: 'headline' },
    });
    expect(r.findings[0].message).toMatch(/into the top margin/);
  });

  it('file larger than the platform accepts', async () => {
    const v = await render();
    const r = checkVariant({
      variant: v,
      brand: brand(),
      preset: { ...PLATFORM_PRESETS.instagram_square, maxBytes: v.bytes - 1 },
    });
    expect(failing(r)).toEqual(['file_size']);
    expect(r.decision).toBe('review'); // forced, even though 75 might pass a lenient brand
    expect(summarize(r.findings, { autoPass: 70 }).decision).toBe('review');
  });

  it('premium licence needing attribution', async () => {
    const m = checkMaster({
      width: 2000,
      height: 1500,
      license: { type: 'premium', author: 'Jane Doe', attributionRequired: true },
      brand: brand(),
      platforms: ['x'],
    });
    expect(failing(m)).toEqual(['license']);
    expect(m.findings[0]).toMatchObject({ severity: 'warning' });
    expect(m.findings[0].fixHint).toContain('Image by Jane Doe on Freepik');
    const free = checkMaster({
      width: 2000,
      height: 1500,
      license: { type: 'freemium', attributionRequired: true },
      brand: brand(),
      platforms: ['x'],
    });
    expect(failing(free)).toEqual(['license']);
  });

  it('per-brand weights can make a problem decisive', async () => {
    const strict = brand({ complianceThresholds: { weights: { logo: 3 } } });
    const r = checkVariant({ variant: await render({ logo: null, brand: strict }), brand: strict });
    expect(r).toMatchObject({ score: 25, decision: 'reject' });
  });
});

it('uses the brand navy for the overlay band', async () => {
  const v = await render();
  expect(v.layout.overlay?.color).toBe(NAVY);
});
