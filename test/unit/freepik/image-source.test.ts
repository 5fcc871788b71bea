import { describe, expect, test } from 'vitest';
import type { FreepikClient, StockItem } from '../../../functions/adapters/freepik/client.js';
import { defaultPricing } from '../../../functions/adapters/freepik/config.js';
import { createImageSource } from '../../../functions/adapters/freepik/image-source.js';
import { createMemoryQuotaGuard, createMemoryUsageRecorder } from '../../../local/in-memory/sourcing-limits.js';
import { inspectImage } from '../../../functions/adapters/safe-fetch/inspect-image.js';
import type { QuotaGuard } from '../../../functions/domain/sourcing-ports.js';
import { AppError } from '../../../functions/shared/errors.js';
import { tinyJpeg } from './fakes.js';

const ORG = '0b5c7c1e-1111-4222-8333-444455556666';

/** A FreepikClient fake that records calls; each method answers from the given handlers. */
function fakeClient(h: Partial<FreepikClient>) {
  const calls: string[] = [];
  const client = new Proxy({} as FreepikClient, {
    get:
      (_t, name: string) =>
      async (...args: unknown[]) => {
        calls.push(name);
        const fn = (h as Record<string, (...a: unknown[]) => unknown>)[name];
        if (!fn) throw new Error(`unexpected call ${name}`);
        return fn(...args);
      },
  });
  return { client, calls };
}

/** The image source under test, over a fake client; unlimited quota unless one is given. */
const sourceOver = (
  client: FreepikClient,
  quota: QuotaGuard = createMemoryQuotaGuard({}, createMemoryUsageRecorder()),
) => createImageSource({ client, quota, pricing: defaultPricing });

const item = (id: number, o: Partial<StockItem> = {}): StockItem => ({
  id,
  imageType: 'photo',
  orientation: 'horizontal',
  pageUrl: `https://www.freepik.com/free-photo/x_${id}.htm`,
  licenses: [{ type: 'freemium', url: `https://www.freepik.com/profile/license/pdf/${id}` }],
  author: { name: 'rawpixel' },
  ...o,
});

describe('image source', () => {
  test('over quota: refused with a clear reason and no provider call at all', async () => {
    const usage = createMemoryUsageRecorder();
    await usage.record({
      organizationId: ORG,
      provider: 'freepik',
      endpoint: 'POST /v1/ai/text-to-image',
      method: 'POST',
      statusCode: 200,
      outcome: 'success',
      latencyMs: 1,
      credits: 5,
      costUsd: 0.025,
      retryNumber: 0,
    });
    const { client, calls } = fakeClient({});
    const src = sourceOver(client, createMemoryQuotaGuard({ [ORG]: { monthlyCreditQuota: 5 } }, usage));
    for (const spec of [
      { source: 'ai' as const, prompt: 'a red bicycle' },
      { source: 'stock' as const, query: 'bicycle' },
    ]) {
      const e = await src.source({ orgId: ORG, spec }).catch((x) => x);
      expect(e).toBeInstanceOf(AppError);
      expect(e.code).toBe('quota_exceeded');
      expect(e.message).toMatch(/5 of 5 credits/);
    }
    expect(calls).toEqual([]);
  });

  test('stock: orientation from the layout, best candidate, next one when premium is refused; licence recorded', async () => {
    const jpeg = await tinyJpeg(40, 30);
    const image = { bytes: jpeg, ...(await inspectImage(jpeg)) };
    const seenSearch: unknown[] = [];
    const downloads: unknown[] = [];
    const { client, calls } = fakeClient({
      search: async (_ctx, p) => {
        seenSearch.push(p);
        return {
          items: [
            item(1, { imageType: 'vector' }),
            item(2, { licenses: [{ type: 'premium' }] }),
            item(3, { orientation: 'vertical' }),
            item(4),
          ],
          page: { current: 1 },
        };
      },
      downloadResource: async (_ctx, id, opts) => {
        downloads.push([id, opts]);
        if (id === 4) throw new AppError('upstream_rejected', 'premium', { detail: { status: 403 } });
        return { image };
      },
    });
    const src = sourceOver(client);
    const got = await src.source({
      orgId: ORG,
      spec: { source: 'stock', query: 'mountain lake' },
      aspect: 'wide',
      preferredSize: 'medium',
    });
    expect(seenSearch[0]).toMatchObject({
      term: 'mountain lake',
      filters: { contentType: ['photo'], orientation: ['landscape'] },
    });
    expect(downloads).toEqual([
      [4, { imageSize: 'medium' }],
      [2, { imageSize: 'medium' }],
    ]);
    expect(calls).toEqual(['search', 'downloadResource', 'downloadResource']);
    expect(got).toMatchObject({
      contentType: 'image/jpeg',
      width: 40,
      height: 30,
      providerResourceId: '2',
      creditsSpent: 0,
    });
    expect(got.license).toEqual({
      type: 'premium',
      author: 'rawpixel',
      sourceUrl: 'https://www.freepik.com/free-photo/x_2.htm',
      licenseUrl: undefined,
      attributionRequired: true,
      freepikId: 2,
    });
    expect(got.bytes.equals(jpeg)).toBe(true);
  });

  test('stock: no photo among the results is a clear not_found; other errors are not swallowed', async () => {
    const { client } = fakeClient({
      search: async () => ({ items: [item(1, { imageType: 'psd' })], page: { current: 1 } }),
    });
    const src = sourceOver(client);
    await expect(src.source({ orgId: ORG, spec: { source: 'stock', query: 'zzz' } })).rejects.toMatchObject({
      code: 'not_found',
      message: 'No stock photo matches "zzz"',
    });
    const { client: c2 } = fakeClient({
      search: async () => ({ items: [item(1), item(2)], page: { current: 1 } }),
      downloadResource: async () => {
        throw new AppError('upstream_unavailable', 'down', { retryable: true });
      },
    });
    const s2 = sourceOver(c2);
    await expect(s2.source({ orgId: ORG, spec: { source: 'stock', query: 'zzz' } })).rejects.toMatchObject({
      code: 'upstream_unavailable',
    });
  });

  test('AI (classic): size from the layout, NSFW-flagged images skipped, credits reported', async () => {
    const jpeg = await tinyJpeg(9, 16);
    const info = await inspectImage(jpeg);
    const params: unknown[] = [];
    const { client } = fakeClient({
      textToImage: async (_ctx, p) => {
        params.push(p);
        return { images: [{ bytes: jpeg, ...info, hasNsfw: false }], spent: { credits: 1, costUsd: 0.005 } };
      },
    });
    const src = sourceOver(client);
    const got = await src.source({
      orgId: ORG,
      spec: { source: 'ai', prompt: 'a lighthouse at dusk' },
      aspect: 'tall',
    });
    expect(params[0]).toEqual({
      prompt: 'a lighthouse at dusk',
      numImages: 1,
      size: 'social_story_9_16',
      filterNsfw: true,
    });
    expect(got).toMatchObject({
      width: 9,
      height: 16,
      creditsSpent: 1,
      costUsd: 0.005,
      license: { type: 'ai_generated', attributionRequired: false },
    });

    const { client: c2 } = fakeClient({
      textToImage: async () => ({
        images: [{ bytes: jpeg, ...info, hasNsfw: true }],
        spent: { credits: 1, costUsd: 0.005 },
      }),
    });
    const s2 = sourceOver(c2);
    await expect(s2.source({ orgId: ORG, spec: { source: 'ai', prompt: 'x y z' } })).rejects.toMatchObject({
      code: 'invalid_image',
    });
  });

  test('a bad request is refused before quota or provider', async () => {
    const { client, calls } = fakeClient({});
    const src = sourceOver(client, {
      assertWithinQuota: async () => {
        calls.push('quota');
      },
    });
    await expect(src.source({ orgId: 'nope', spec: { source: 'ai', prompt: 'hello' } })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(src.source({ orgId: ORG, spec: { source: 'stock' } as never })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    expect(calls).toEqual([]);
  });
});
