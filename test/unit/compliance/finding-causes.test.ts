/**
 * The quality bench's "caused by our layout" count is only as good as its classification: each
 * kind of finding, produced by the real checks on real renders, lands on the right side.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { causeOf } from '../../../bench/quality.js';
import { renderVariant, type RenderVariantInput } from '../../../functions/adapters/render/index.js';
import { checkBriefAgainstBrand, checkVariant, type Finding } from '../../../functions/domain/compliance/index.js';
import { templateLayersSchema } from '../../../functions/domain/brand-types.js';
import { TEMPLATES } from '../../../db/seed.js';
import { brand, brandLogo, brief, layers, solid } from '../render/fixtures.js';

const find = (fs: Finding[], check: string, pred: (f: Finding) => boolean = () => true) => {
  const f = fs.find((x) => x.check === check && pred(x));
  if (!f) throw new Error(`no ${check} finding in ${JSON.stringify(fs.map((x) => `${x.check}:${x.severity}`))}`);
  return f;
};

describe('what caused a finding (quality bench)', () => {
  let source: Buffer;
  let logo: Buffer;
  beforeAll(async () => {
    source = await solid('#1E3A8A', 1600, 1200);
    logo = await brandLogo();
  });

  /**
   * Renders the fixture brief on the fixture source (square, with the logo) with `input` changed,
   * and classifies the `check` finding the real variant checks raise on it.
   */
  async function causeOfRendered(check: string, input: Partial<RenderVariantInput>) {
    const brandUsed = input.brand ?? brand();
    const variant = await renderVariant({
      source,
      preset: 'instagram_square',
      logo,
      brief,
      layers,
      ...input,
      brand: brandUsed,
    });
    return causeOf(find(checkVariant({ variant, brand: brandUsed }).findings, check));
  }

  it('our layout: copy cut from its slot, characters no shipped font draws, logo clear space', async () => {
    const long =
      'An extremely long headline that keeps going and going, then adds another clause, and another one after that, and will never fit';
    const cut = {
      preset: 'youtube_thumbnail',
      brief: { ...brief, headline: long },
      layers: { ...layers, headline: { ...layers.headline, minSize: 60 } },
    } as const;
    expect(await causeOfRendered('copy_length', cut)).toBe('layout');
    expect(await causeOfRendered('fonts', { brief: { headline: 'Autumn \u0378 blend' } })).toBe('layout');
    const crowded = await causeOfRendered('logo', {
      brief: { headline: 'Top' },
      // The headline's box moved to just under the logo.
      adjustPlan: (p) => ({
        ...p,
        texts: p.texts.map((t) =>
          t.slot === 'headline'
            ? { ...t, box: { x: p.logo!.box.x, y: p.logo!.box.y + p.logo!.box.h + 2, w: p.logo!.box.w, h: 200 } }
            : t,
        ),
      }),
    });
    expect(crowded).toBe('layout');
  });

  it('the input: copy over platform limits, copy the template does not show, brand fonts we do not ship, a brand without a logo', async () => {
    const wordy = {
      ...brief,
      headline: 'A headline far too long to read comfortably on a thumbnail at a glance',
      body: 'x'.repeat(400),
    };
    const copy = checkBriefAgainstBrand(wordy, brand(), ['youtube_thumbnail', 'x'], {
      template: templateLayersSchema.parse(TEMPLATES[0].layers),
    }).findings;
    for (const f of copy.filter((x) => x.check === 'copy_length')) expect(causeOf(f), f.message).toBe('input');
    expect(copy.map((f) => `${f.check}:${f.severity}`)).toEqual(
      expect.arrayContaining(['copy_length:warning', 'copy_length:error', 'copy_length:info']),
    );
    const montserrat = brand({ fonts: { headline: 'Montserrat', body: 'Inter', allowed: ['Montserrat', 'Inter'] } });
    expect(await causeOfRendered('fonts', { brand: montserrat })).toBe('input');
    expect(await causeOfRendered('logo', { logo: undefined })).toBe('input');
  });
});
