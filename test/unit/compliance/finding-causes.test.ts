/**
 * The quality bench's "caused by our layout" count is only as good as its classification: each
 * kind of finding, produced by the real checks on real renders, lands on the right side.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { causeOf } from '../../../bench/quality.js';
import { renderVariant } from '../../../functions/adapters/render/index.js';
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

  it('our layout: copy cut from its slot, characters no shipped font draws, logo clear space', async () => {
    const long =
      'An extremely long headline that keeps going and going, then adds another clause, and another one after that, and will never fit';
    const cut = await renderVariant({
      source,
      preset: 'youtube_thumbnail',
      logo,
      brand: brand(),
      brief: { ...brief, headline: long },
      layers: { ...layers, headline: { ...layers.headline, minSize: 60 } },
    });
    expect(causeOf(find(checkVariant({ variant: cut, brand: brand() }).findings, 'copy_length'))).toBe('layout');
    const tofu = await renderVariant({
      source,
      preset: 'instagram_square',
      logo,
      brand: brand(),
      brief: { headline: 'Autumn \u0378 blend' },
      layers,
    });
    expect(causeOf(find(checkVariant({ variant: tofu, brand: brand() }).findings, 'fonts'))).toBe('layout');
    const crowded = await renderVariant({
      source,
      preset: 'instagram_square',
      logo,
      brand: brand(),
      brief: { headline: 'Top' },
      layers,
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
    expect(causeOf(find(checkVariant({ variant: crowded, brand: brand() }).findings, 'logo'))).toBe('layout');
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
    const font = await renderVariant({ source, preset: 'instagram_square', logo, brand: montserrat, brief, layers });
    expect(causeOf(find(checkVariant({ variant: font, brand: montserrat }).findings, 'fonts'))).toBe('input');
    const noLogo = await renderVariant({ source, preset: 'instagram_square', brand: brand(), brief, layers });
    expect(causeOf(find(checkVariant({ variant: noLogo, brand: brand() }).findings, 'logo'))).toBe('input');
  });
});
