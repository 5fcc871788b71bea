import { describe, expect, test } from 'vitest';
import {
  aspectGroups,
  assetFor,
  cropKeep,
  groupFit,
  groupsServed,
  mysticSize,
  planAiGenerations,
  rankHitsForGroup,
  stockDownloadBudget,
  stockDownloadSize,
  TEXT_TO_IMAGE_SIZES,
  type AiPlan,
  type AiPlanOptions,
} from '../../../functions/domain/sourcing-plan.js';
import { defaultPricing } from '../../../functions/adapters/freepik/config.js';

const price = (p: AiPlan) =>
  p.mode === 'classic' ? defaultPricing.textToImage.costUsd : defaultPricing.mystic[p.resolution].costUsd;
const classic = (over: Partial<AiPlanOptions> = {}): AiPlanOptions => ({
  maxUpscale: 1.5,
  mode: 'classic',
  mysticResolution: '2k',
  mysticFallback: true,
  priceOf: price,
  ...over,
});

describe('layout groups', () => {
  test('presets are grouped by the layout they use, the group with most presets first', () => {
    expect(aspectGroups(['instagram_square', 'instagram_story', 'facebook', 'linkedin', 'pinterest', 'x'])).toEqual([
      { aspect: 'wide', platforms: ['facebook', 'linkedin', 'x'] },
      { aspect: 'tall', platforms: ['instagram_story', 'pinterest'] },
      { aspect: 'square', platforms: ['instagram_square'] },
    ]);
    expect(aspectGroups(['instagram_square'])).toEqual([{ aspect: 'square', platforms: ['instagram_square'] }]);
  });

  test('a 3:2 photo serves square and wide posts but not a story; a story needs a tall image', () => {
    const groups = aspectGroups(['instagram_square', 'instagram_story', 'facebook', 'x']);
    expect(groupsServed({ width: 2000, height: 1333 }, groups, 1.5).sort()).toEqual(['square', 'wide']);
    // Resolution alone would allow the story (1.44x), the crop would keep 38% of the photo.
    const story = groupFit({ width: 2000, height: 1333 }, groups.find((g) => g.aspect === 'tall')!, 1.5);
    expect(story.fits[0]).toMatchObject({ platform: 'instagram_story', ok: false, problem: 'crop' });
    // A 2:3 portrait serves the story and, keeping 67%, the square post; not the 16:9 ones.
    expect(groupsServed({ width: 1333, height: 2000 }, groups, 1.5)).toEqual(['tall', 'square']);
    expect(cropKeep({ width: 1000, height: 1000 }, { width: 1080, height: 1920 })).toBeCloseTo(0.5625, 4);
  });

  test('too few pixels: a group is not served when any of its presets would be enlarged past maxUpscale', () => {
    const wide = aspectGroups(['facebook', 'x'])[0];
    expect(groupFit({ width: 1344, height: 768 }, wide, 1.5)).toMatchObject({ ok: true, worstScale: 1.19 });
    expect(groupFit({ width: 1000, height: 667 }, wide, 1.5)).toMatchObject({ ok: false, worstScale: 1.6 });
    expect(groupFit({ width: 1344, height: 768 }, wide, 1.1).ok).toBe(false);
  });

  test('a preset renders from the image bought for its group, else one that covers it', () => {
    const assets = [
      { id: 'a', aspectGroup: 'wide', covers: ['wide', 'square'] },
      { id: 'b', aspectGroup: 'tall', covers: ['tall'] },
    ];
    expect(assetFor(assets, 'square')?.id).toBe('a');
    expect(assetFor(assets, 'tall')?.id).toBe('b');
    expect(assetFor([...assets, { id: 'c', aspectGroup: 'square', covers: ['square'] }], 'square')?.id).toBe('c');
    expect(assetFor(assets.slice(1), 'wide')).toBeUndefined();
  });
});

describe('AI sizes per group', () => {
  test('square + story + wide at 1.5x: one 3:2 image for the wide and square posts, a 9:16 one for the story; each covers its presets', () => {
    const groups = aspectGroups(['instagram_square', 'instagram_story', 'facebook', 'x']);
    const plans = planAiGenerations(groups, classic());
    expect(plans.map((p) => [p.plan.mode === 'classic' && p.plan.size, p.groups])).toEqual([
      ['standard_3_2', ['wide', 'square']],
      ['social_story_9_16', ['tall']],
    ]);
    for (const p of plans)
      for (const a of p.groups)
        expect(groupFit(p.plan.expected, groups.find((g) => g.aspect === a)!, 1.5).ok).toBe(true);
    // What one image for the request used to do: the story enlarged 2.5x from a 16:9 frame.
    expect(
      groupFit(TEXT_TO_IMAGE_SIZES.widescreen_16_9, groups.find((g) => g.aspect === 'tall')!, 1.5).worstScale,
    ).toBe(2.5);
  });

  test('a strict brand (1.2x): no text-to-image size covers the story, so it is generated with Mystic, in a shape that serves the square post too', () => {
    const plans = planAiGenerations(
      aspectGroups(['instagram_story', 'instagram_square']),
      classic({ maxUpscale: 1.2 }),
    );
    expect(plans).toEqual([
      {
        plan: {
          mode: 'mystic',
          aspectRatio: 'portrait_2_3',
          resolution: '2k',
          expected: { width: 1536, height: 2304 },
        },
        groups: ['tall', 'square'],
        costUsd: 0.11,
      },
    ]);
    // At 1.5x text-to-image covers both, one size each (no shape serves a story and a square post).
    expect(
      planAiGenerations(aspectGroups(['instagram_story', 'instagram_square']), classic()).map(
        (p) => p.plan.mode === 'classic' && p.plan.size,
      ),
    ).toEqual(['social_story_9_16', 'square_1_1']);
    // Without the fallback the closest classic size is bought and the compliance check reports it.
    const noFallback = planAiGenerations(
      aspectGroups(['instagram_story']),
      classic({ maxUpscale: 1.2, mysticFallback: false }),
    );
    expect(noFallback.map((p) => p.plan)).toMatchObject([{ mode: 'classic', size: 'social_story_9_16' }]);
  });

  test('Mystic: never below the configured resolution; 4k only when 2k does not cover', () => {
    const m = (maxUpscale: number) =>
      planAiGenerations(aspectGroups(['instagram_story']), classic({ mode: 'mystic', maxUpscale }))[0].plan;
    expect(m(1.5)).toMatchObject({ mode: 'mystic', resolution: '2k', aspectRatio: 'social_story_9_16' });
    expect(m(1)).toMatchObject({ mode: 'mystic', resolution: '2k' });
    expect(mysticSize('widescreen_16_9', '4k')).toEqual({ width: 4096, height: 2341 });
    expect(mysticSize('square_1_1', '1k')).toEqual({ width: 1024, height: 1024 });
  });
});

describe('stock candidates per group', () => {
  const hit = (id: number, w: number, h: number, o: Partial<{ licenseTypes: string[]; imageType: string }> = {}) => ({
    id,
    width: w,
    height: h,
    licenseTypes: ['freemium'],
    imageType: 'photo',
    ...o,
  });
  test('shape first, then the preview palette verdict, then freemium, then relevance; vectors never', () => {
    const tall = aspectGroups(['instagram_story'])[0];
    const hits = [
      hit(1, 740, 493),
      hit(2, 493, 740),
      hit(3, 493, 740, { licenseTypes: ['premium'] }),
      hit(4, 493, 740),
      hit(5, 493, 740, { imageType: 'vector' }),
    ];
    const verdicts = new Map([
      ['2', 'error' as const],
      ['4', 'ok' as const],
      ['3', 'ok' as const],
    ]);
    expect(rankHitsForGroup(hits, tall, { verdicts }).map((r) => [r.hit.id, r.shapeOk, r.verdict])).toEqual([
      [4, true, 'ok'],
      [3, true, 'ok'],
      [2, true, 'error'],
      [1, false, 'unknown'],
    ]);
  });
  test('a hit that would also serve another group of the request ranks above one that would not', () => {
    const [wide, square] = aspectGroups(['facebook', 'x', 'instagram_square']);
    const ranked = rankHitsForGroup([hit(1, 740, 370), hit(2, 740, 493)], wide, { others: [wide, square] });
    expect(ranked.map((r) => [r.hit.id, r.alsoServes])).toEqual([
      [2, ['square']],
      [1, []],
    ]);
  });
  test('download size: large when it covers the group, else original; budget never below one per group', () => {
    const wide = aspectGroups(['x'])[0];
    expect(stockDownloadSize({ width: 6000, height: 4000 }, wide, 1.5)).toBe('large');
    // A panorama's large download is 2000x667: too short for a 1600x900 post at 1.2x.
    expect(stockDownloadSize({ width: 8000, height: 2667 }, aspectGroups(['instagram_square'])[0], 1.2)).toBe(
      'original',
    );
    expect(stockDownloadSize(undefined, wide, 1.5)).toBe('large');
    expect(stockDownloadBudget(3, 1)).toBe(3);
    expect(stockDownloadBudget(3, 4)).toBe(4);
  });
});
