/**
 * Layout that guarantees what it checks: calls to action up to 24 characters are never cut on any
 * preset, every slot of the seeded and fallback templates has room for a line at its minimum
 * size, and right-to-left copy is start-aligned in its box. Real renders, real fonts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { renderVariant, renderVariants } from '../../../functions/adapters/render/index.js';
import { shippedFonts } from '../../../functions/adapters/render/fonts.js';
import { planMeasured } from '../../../functions/adapters/render/text-measure.js';
import { checkVariant } from '../../../functions/domain/compliance/index.js';
import { brandKitSchema, templateLayersSchema, type BrandKitInput } from '../../../functions/domain/brand-types.js';
import { PLATFORM_PRESETS, platformNames } from '../../../functions/domain/platforms.js';
import { bottom, contains, gap, right } from '../../../functions/domain/rendering/geometry.js';
import { buildRenderPlan, opaquePart } from '../../../functions/domain/rendering/plan.js';
import { measureLine } from '../../../functions/domain/rendering/text-layout.js';
import { FALLBACK_TEMPLATE } from '../../../functions/app/pipeline/tasks.js';
import { DEMO_TENANTS, TEMPLATES, renderLogo } from '../../../db/seed.js';
import { brand, layers as fixtureLayers, photo, solid } from './fixtures.js';

const CTAS = [
  'Go',
  'Order now',
  'Visit us',
  'Visit us today',
  'Book your free trial now',
  'Shop the autumn collection'.slice(0, 24),
  'WWWWWWWWWWWWWWWWWWWWWWWW',
  'Закажите сейчас',
  'Παραγγείλτε τώρα',
  'اطلب الآن',
  '立即订购'.repeat(6),
  'Order now ☕🍂',
];
const acme = {
  colors: { palette: DEMO_TENANTS[0].palette, maxDeltaE: 22 },
  fonts: { headline: 'Inter', body: 'Inter', allowed: ['Inter'] },
  complianceThresholds: { minContrast: 4.5 },
};

describe('a call to action of up to 24 characters is never cut', () => {
  let source: Buffer;
  beforeAll(async () => {
    source = await solid('#777777', 1600, 1200, 'jpeg');
  });
  for (const [name, layers] of [
    ['Bottom band', TEMPLATES[0].layers],
    ['the test template', fixtureLayers],
    ['the fallback template', FALLBACK_TEMPLATE],
  ] as const) {
    it(`on all 8 presets with ${name}`, async () => {
      expect(CTAS.every((c) => [...c].length <= 24)).toBe(true);
      const problems: string[] = [];
      for (const [i, callToAction] of CTAS.entries()) {
        // With and without a body above it (a long one carrying a disclaimer, which must not push it out).
        const body =
          i % 2
            ? 'Small groups, real coaches and a plan that adapts to you every week, from your first session to your first race. Consult your doctor first.'
            : undefined;
        const variants = await renderVariants({
          source,
          presets: [...platformNames],
          layers,
          brand: acme,
          brief: { headline: 'New autumn blend', body, callToAction },
        });
        for (const v of variants) {
          const cta = v.layout.texts.find((t) => t.slot === 'cta')!;
          const drawn = cta.lines.join(' ');
          if (
            cta.truncated ||
            !cta.bbox ||
            drawn.replace(/\s/g, '') !== callToAction.replace(/\s/g, '') ||
            drawn.includes('…')
          )
            problems.push(`${v.platform} "${callToAction}" -> ${JSON.stringify(cta.lines)}`);
          else if (!contains(cta.box, cta.bbox) || !contains(v.layout.safe, cta.bbox))
            problems.push(`${v.platform} "${callToAction}" drawn outside its box`);
          if (
            body &&
            templateLayersSchema.parse(layers).body &&
            !v.layout.texts.some((t) => t.slot === 'body' && t.bbox)
          )
            problems.push(`${v.platform}: the body is not on the image`);
          const cut = checkVariant({ variant: v, brand: acme }).findings.filter((f) => f.check === 'copy_length');
          if (cut.length) problems.push(`${v.platform} "${callToAction}": ${cut[0].message}`);
        }
      }
      expect(problems).toEqual([]);
    }, 120_000);
  }
});

describe('every text slot has room for one line at its minimum size', () => {
  const templates = { ...Object.fromEntries(TEMPLATES.map((t) => [t.name, t.layers])), Fallback: FALLBACK_TEMPLATE };
  for (const [name, raw] of Object.entries(templates)) {
    it(`${name}, on every preset (as planned, without growing for the copy)`, async () => {
      const layers = templateLayersSchema.parse(raw);
      const kit = brandKitSchema.parse(acme);
      const fonts = shippedFonts();
      for (const preset of platformNames.map((n) => PLATFORM_PRESETS[n])) {
        // Tall and deep letters, in every slot the template has.
        const brief = {
          headline: 'ÉgÅy',
          body: layers.body ? 'ÉgÅy' : undefined,
          callToAction: layers.cta ? 'ÉgÅy' : undefined,
        };
        const plan = await planMeasured((measure) =>
          buildRenderPlan({ preset, layers, brand: kit, brief, fonts, measure, logo: { width: 640, height: 200 } }),
        );
        expect(
          plan.adjustments.filter((a) => a.kind === 'text_box_grown'),
          `${name} ${preset.name}`,
        ).toEqual([]);
        for (const t of plan.texts) {
          const slot = layers[t.slot]!;
          const min = Math.round(slot.minSize * (preset.width / 1080));
          const line = await planMeasured((measure) =>
            measureLine(measure, { family: t.font.family, weight: t.font.weight }, 'ÉgÅy', min),
          );
          expect(
            t.box.h,
            `${name} ${preset.name} ${t.slot}: box ${t.box.h} px for a ${line.h} px line`,
          ).toBeGreaterThanOrEqual(line.h);
          expect(t.truncated).toBe(false);
        }
      }
    });
  }

  it('grows a box that is too small instead of cutting, and records why', async () => {
    const tiny = {
      ...fixtureLayers,
      cta: { ...fixtureLayers.cta, box: { default: { x: 0, y: 0.9, w: 0.05, h: 0.02 } } },
    };
    const v = await renderVariant({
      source: await solid('#333333', 1600, 1200),
      preset: 'instagram_square',
      layers: tiny,
      brand: brand(),
      brief: { headline: 'Hi', callToAction: 'Visit us' },
    });
    const cta = v.layout.texts.find((t) => t.slot === 'cta')!;
    expect(cta).toMatchObject({ lines: ['Visit us'], truncated: false });
    expect(v.adjustments.find((a) => a.kind === 'text_box_grown')).toMatchObject({
      slot: 'cta',
      reason: expect.stringMatching(/grown/),
    });
    expect(contains(v.layout.safe, cta.bbox!)).toBe(true);
  });
});

describe('a slot that runs into earlier text', () => {
  const globex: BrandKitInput = {
    colors: { palette: DEMO_TENANTS[1].palette, maxDeltaE: 22 },
    fonts: { headline: 'Inter', body: 'Inter', allowed: ['Inter'] },
    logo: { placement: 'top-right', widthPct: 0.16, minWidthPct: 0.08, clearSpacePct: 0.25 },
    complianceThresholds: { minContrast: 4.5 },
  };
  const headline = 'Twelve weeks of coached strength training built around your own schedule';
  const body =
    'Small groups, real coaches and a plan that adapts to you every week, from your first session to your first race. ' +
    'Consult your doctor before starting a new exercise program.';

  it('is placed below it in its own column, whole (Top headline, the wide presets: the body carries the disclaimer)', async () => {
    const logo = await renderLogo(DEMO_TENANTS[1].wordmark, DEMO_TENANTS[1].palette);
    const problems: string[] = [];
    for (const kind of ['dark', 'light'] as const) {
      const variants = await renderVariants({
        source: await photo(kind),
        presets: ['facebook', 'linkedin', 'x', 'youtube_thumbnail'],
        layers: TEMPLATES[1].layers,
        brand: globex,
        brief: { headline, body },
        logo,
      });
      for (const v of variants) {
        const where = `${kind} ${v.platform}`;
        const [h, b] = v.layout.texts;
        if (b.truncated || b.lines.join(' ') !== body)
          problems.push(`${where}: body cut to ${JSON.stringify(b.lines)}`);
        if (b.bbox!.y < bottom(h.bbox!)) problems.push(`${where}: body starts above the headline's last line`);
        // Its own column: the template's x and no wider than its template box.
        if (b.box.x !== b.templateBox.x || right(b.box) > right(b.templateBox))
          problems.push(`${where}: body box ${JSON.stringify(b.box)} left its column ${JSON.stringify(b.templateBox)}`);
        const logoBox = v.layout.logo!;
        if (gap(logoBox.box, b.bbox!) < logoBox.clearSpace) problems.push(`${where}: body in the logo's clear space`);
        const backed =
          contains(opaquePart(v.layout.overlay!), b.bbox!) ||
          v.layout.plates.some((p) => p.slot === 'body' && contains(p.box, b.bbox!));
        if (!backed) problems.push(`${where}: no backing under the body`);
        for (const f of checkVariant({ variant: v, brand: globex }).findings.filter((x) =>
          ['copy_length', 'contrast', 'safe_zone', 'logo'].includes(x.check),
        ))
          problems.push(`${where}: ${f.message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('takes more lines than the template asks for before losing characters, and says so', async () => {
    // Two lines of 18 px in half the width cannot hold this body; its box has room for four.
    const layers = templateLayersSchema.parse({
      ...fixtureLayers,
      overlay: { kind: 'none' },
      body: {
        box: { default: { x: 0, y: 0.55, w: 0.5, h: 0.3 } },
        weight: 'regular',
        minSize: 18,
        maxSize: 18,
        maxLines: 2,
      },
    });
    const kit = brandKitSchema.parse(acme);
    const plan = await planMeasured((measure) =>
      buildRenderPlan({
        preset: PLATFORM_PRESETS.instagram_square,
        layers,
        brand: kit,
        brief: { headline: 'New', body },
        fonts: shippedFonts(),
        measure,
      }),
    );
    const b = plan.texts.find((t) => t.slot === 'body')!;
    expect(b).toMatchObject({ truncated: false, size: 18 });
    expect(b.lines.length).toBeGreaterThan(2);
    expect(b.lines.join(' ')).toBe(body);
    expect(b.box.w).toBeLessThanOrEqual(b.templateBox.w);
    expect(plan.adjustments).toEqual([
      expect.objectContaining({
        kind: 'text_box_grown',
        slot: 'body',
        reason: expect.stringMatching(
          new RegExp(`set in ${b.lines.length} lines \\(the template asks for at most 2\\) rather than cut`),
        ),
      }),
    ]);
  });
});

describe('right-to-left copy', () => {
  it('starts at the right edge of a left-aligned box, lines right-aligned', async () => {
    const v = await renderVariant({
      source: await solid('#333333', 1600, 1200),
      preset: 'instagram_square',
      brand: brand(),
      layers: { ...fixtureLayers, overlay: { kind: 'none' } },
      brief: { headline: 'مزيج الخريف الجديد من أجلكم هذا الموسم', callToAction: 'اطلب الآن' },
    });
    for (const t of v.layout.texts) {
      expect(t).toMatchObject({
        direction: 'rtl',
        align: 'right',
        truncated: false,
        missingGlyphs: [],
        fallbackFonts: ['Noto Sans Arabic'],
      });
      expect(right(t.bbox!)).toBe(right(t.box));
    }
  });

  it('ends the lines of every slot at one right edge when a narrower box shares the column (Bottom band, the fallback)', async () => {
    for (const layers of [TEMPLATES[0].layers, FALLBACK_TEMPLATE]) {
      const variants = await renderVariants({
        source: await solid('#333333', 1600, 1200),
        presets: ['instagram_square', 'instagram_story', 'facebook'],
        brand: brand(),
        layers,
        brief: { headline: 'مزيج الخريف الجديد', body: 'قهوة محمصة طازجة كل يوم جمعة.', callToAction: 'اطلب الآن' },
      });
      for (const v of variants) {
        const edges = v.layout.texts.filter((t) => t.bbox).map((t) => right(t.bbox!));
        expect(edges.length, v.platform).toBeGreaterThanOrEqual(2);
        expect(new Set(edges).size, `${v.platform}: right edges ${edges.join(', ')}`).toBe(1);
      }
    }
  });
});
