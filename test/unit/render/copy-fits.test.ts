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
import { brandKitSchema, templateLayersSchema } from '../../../functions/domain/brand-types.js';
import { PLATFORM_PRESETS, platformNames } from '../../../functions/domain/platforms.js';
import { contains, right } from '../../../functions/domain/rendering/geometry.js';
import { buildRenderPlan } from '../../../functions/domain/rendering/plan.js';
import { measureLine } from '../../../functions/domain/rendering/text-layout.js';
import { FALLBACK_TEMPLATE } from '../../../functions/app/pipeline/tasks.js';
import { DEMO_TENANTS, TEMPLATES } from '../../../db/seed.js';
import { brand, layers as fixtureLayers, solid } from './fixtures.js';

const CTAS = [
  'Go', 'Order now', 'Visit us', 'Visit us today', 'Book your free trial now', 'Shop the autumn collection'.slice(0, 24),
  'WWWWWWWWWWWWWWWWWWWWWWWW', 'Закажите сейчас', 'Παραγγείλτε τώρα', 'اطلب الآن', '立即订购'.repeat(6), 'Order now ☕🍂',
];
const acme = {
  colors: { palette: DEMO_TENANTS[0].palette, maxDeltaE: 22 },
  fonts: { headline: 'Inter', body: 'Inter', allowed: ['Inter'] },
  complianceThresholds: { minContrast: 4.5 },
};

describe('a call to action of up to 24 characters is never cut', () => {
  let source: Buffer;
  beforeAll(async () => { source = await solid('#777777', 1600, 1200, 'jpeg'); });
  for (const [name, layers] of [['Bottom band', TEMPLATES[0].layers], ['the test template', fixtureLayers]] as const) {
    it(`on all 8 presets with ${name}`, async () => {
      expect(CTAS.every((c) => [...c].length <= 24)).toBe(true);
      const problems: string[] = [];
      for (const callToAction of CTAS) {
        const variants = await renderVariants({ source, presets: [...platformNames], layers, brand: acme, brief: { headline: 'New autumn blend', callToAction } });
        for (const v of variants) {
          const cta = v.layout.texts.find((t) => t.slot === 'cta')!;
          const drawn = cta.lines.join(' ');
          if (cta.truncated || !cta.bbox || drawn.replace(/\s/g, '') !== callToAction.replace(/\s/g, '') || drawn.includes('…')) problems.push(`${v.platform} "${callToAction}" -> ${JSON.stringify(cta.lines)}`);
          else if (!contains(cta.box, cta.bbox) || !contains(v.layout.safe, cta.bbox)) problems.push(`${v.platform} "${callToAction}" drawn outside its box`);
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
        const brief = { headline: 'ÉgÅy', body: layers.body ? 'ÉgÅy' : undefined, callToAction: layers.cta ? 'ÉgÅy' : undefined };
        const plan = await planMeasured((measure) => buildRenderPlan({ preset, layers, brand: kit, brief, fonts, measure, logo: { width: 640, height: 200 } }));
        expect(plan.adjustments.filter((a) => a.kind === 'text_box_grown'), `${name} ${preset.name}`).toEqual([]);
        for (const t of plan.texts) {
          const slot = layers[t.slot]!;
          const min = Math.round(slot.minSize * (preset.width / 1080));
          const line = await planMeasured((measure) => measureLine(measure, { family: t.font.family, weight: t.font.weight }, 'ÉgÅy', min));
          expect(t.box.h, `${name} ${preset.name} ${t.slot}: box ${t.box.h} px for a ${line.h} px line`).toBeGreaterThanOrEqual(line.h);
          expect(t.truncated).toBe(false);
        }
      }
    });
  }

  it('grows a box that is too small instead of cutting, and records why', async () => {
    const tiny = { ...fixtureLayers, cta: { ...fixtureLayers.cta, box: { default: { x: 0, y: 0.9, w: 0.05, h: 0.02 } } } };
    const v = await renderVariant({ source: await solid('#333333', 1600, 1200), preset: 'instagram_square', layers: tiny, brand: brand(), brief: { headline: 'Hi', callToAction: 'Visit us' } });
    const cta = v.layout.texts.find((t) => t.slot === 'cta')!;
    expect(cta).toMatchObject({ lines: ['Visit us'], truncated: false });
    expect(v.adjustments.find((a) => a.kind === 'text_box_grown')).toMatchObject({ slot: 'cta', reason: expect.stringMatching(/grown/) });
    expect(contains(v.layout.safe, cta.bbox!)).toBe(true);
  });
});

describe('right-to-left copy', () => {
  it('starts at the right edge of a left-aligned box, lines right-aligned', async () => {
    const v = await renderVariant({
      source: await solid('#333333', 1600, 1200), preset: 'instagram_square', brand: brand(),
      layers: { ...fixtureLayers, overlay: { kind: 'none' } }, brief: { headline: 'مزيج الخريف الجديد من أجلكم هذا الموسم', callToAction: 'اطلب الآن' },
    });
    for (const t of v.layout.texts) {
      expect(t).toMatchObject({ direction: 'rtl', align: 'right', truncated: false, missingGlyphs: [], fallbackFonts: ['Noto Sans Arabic'] });
      expect(right(t.bbox!)).toBe(right(t.box));
    }
  });
});
