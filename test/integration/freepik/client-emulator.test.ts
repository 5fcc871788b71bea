/**
 * The real client against the emulator, with every fault knob: each ends in success after
 * retries or in a typed failure that is not retried; nothing hangs (vitest's timeout is the
 * backstop, the client's own deadlines end every case first). Usage rows match emulator calls
 * one for one in every case.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import sharp from 'sharp';
import { startFreepikEmulator, type FreepikEmulator } from '../../../local/emulators/freepik/emulator.js';
import { createImageSource } from '../../../functions/adapters/freepik/image-source.js';
import { defaultPricing } from '../../../functions/adapters/freepik/config.js';
import {
  createMemoryQuotaGuard,
  createMemoryUsageRecorder,
  type MemoryUsageRecorder,
} from '../../../local/in-memory/sourcing-limits.js';
import { rejectionOf } from '../../support/app-error.js';
import { emulatorClient, expectRowsMatchCalls, fastClock } from './support.js';
import { startForAll } from '../../support/lifecycle.js';

const ORG = '3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b';
const ctx = { orgId: ORG, requestId: '7e57e57e-0000-4000-8000-000000000001' };
const emu = startForAll(startFreepikEmulator, (server) => server.close());
let rec: MemoryUsageRecorder;

beforeEach(() => {
  emu().reset();
  rec = createMemoryUsageRecorder();
});

const calls = () => emu().calls();
const statuses = () => calls().map((c) => c.status);

describe('happy paths against the emulator', () => {
  test('stock: search with filters, download link, signed file; image really has the requested size', async () => {
    const client = emulatorClient(emu().url, rec);
    const page = await client.search(ctx, {
      term: 'coffee beans',
      limit: 5,
      page: 2,
      filters: { orientation: ['portrait'], contentType: ['photo'] },
    });
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((i) => i.orientation === 'vertical' && i.imageType === 'photo')).toBe(true);
    expect(page.page.current).toBe(2);
    const { image } = await client.downloadResource(ctx, page.items[0].id, { imageSize: 'small' });
    expect(image).toMatchObject({ contentType: 'image/jpeg', height: 1000 });
    expect(image.width).toBeLessThan(1000);
    const meta = await sharp(image.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([image.width, image.height]);
    expect(calls()[0].query).toMatchObject({
      'filters[orientation][portrait]': '1',
      'filters[content_type][photo]': '1',
      page: '2',
      limit: '5',
    });
    expectRowsMatchCalls(rec.rows, calls());
  });

  test('text-to-image returns a JPEG of the size asked for; Mystic completes over a few polls', async () => {
    const client = emulatorClient(emu().url, rec);
    const t2i = await client.textToImage(ctx, { prompt: 'a lighthouse at dusk', size: 'widescreen_16_9' });
    expect(t2i.images[0]).toMatchObject({ contentType: 'image/jpeg', width: 1344, height: 768 });
    const task = await client.createMysticTask(ctx, {
      prompt: 'a lighthouse',
      resolution: '1k',
      aspectRatio: 'social_post_4_5',
    });
    const done = await client.waitForMysticTask(ctx, task.taskId);
    const img = await client.downloadGenerated(ctx, done.generated[0]);
    expect(img).toMatchObject({ width: 896, height: 1120 });
    expect(calls().filter((c) => c.endpoint === 'GET /v1/ai/mystic/{task_id}')).toHaveLength(3);
    expectRowsMatchCalls(rec.rows, calls());
    expect(rec.spent(ORG).credits).toBe(defaultPricing.textToImage.credits + defaultPricing.mystic['1k'].credits);
  });
});

describe('transient faults: success after retries', () => {
  test.each([
    ['429 with Retry-After', { kind: 'status', status: 429, retryAfter: '1' } as const],
    ['429 without Retry-After', { kind: 'status', status: 429 } as const],
    ['500', { kind: 'status', status: 500 } as const],
    ['502', { kind: 'status', status: 502 } as const],
    ['503', { kind: 'status', status: 503 } as const],
    ['504', { kind: 'status', status: 504 } as const],
    ['connection reset', { kind: 'reset' } as const],
    ['malformed JSON', { kind: 'malformed_json' } as const],
  ])('%s twice, then success', async (_name, fault) => {
    const clock = fastClock();
    const client = emulatorClient(emu().url, rec, {}, { clock });
    emu().setFaults({ rules: [{ match: 'GET /v1/resources', times: 2, fault }] });
    const page = await client.search(ctx, { term: 'sea' });
    expect(page.items.length).toBeGreaterThan(0);
    expect(calls()).toHaveLength(3);
    expect(rec.rows.map((r) => r.retryNumber)).toEqual([0, 1, 2]);
    expect(rec.rows[2].outcome).toBe('success');
    if ('retryAfter' in fault) expect(clock.sleeps).toEqual([1000, 1000]);
    else expect(clock.sleeps.every((ms) => ms >= 0 && ms <= 50)).toBe(true);
    expectRowsMatchCalls(rec.rows, calls());
  });

  test('a slow answer times out and the retry succeeds', async () => {
    const client = emulatorClient(emu().url, rec, { timeoutMs: 500 });
    emu().setFaults({
      rules: [{ match: 'GET /v1/resources/{id}', times: 1, fault: { kind: 'slow', delayMs: 3_000 } }],
    });
    const r = await client.getResource(ctx, 123456001);
    expect(r.id).toBe(123456001);
    expect(rec.rows.map((x) => [x.outcome, x.retryNumber])).toEqual([
      ['timeout', 0],
      ['success', 1],
    ]);
    expectRowsMatchCalls(rec.rows, calls());
  });

  test('a 503 on the signed file download is retried (the API link is not fetched again)', async () => {
    const client = emulatorClient(emu().url, rec);
    const id = (await client.search(ctx, { term: 'tea' })).items[0].id;
    emu().setFaults({ rules: [{ match: 'files', times: 1, fault: { kind: 'status', status: 503 } }] });
    const { image } = await client.downloadResource(ctx, id);
    expect(image.contentType).toBe('image/jpeg');
    expect(calls().map((c) => `${c.endpoint} ${c.status}`)).toEqual([
      'GET /v1/resources 200',
      'GET /v1/resources/{id}/download 200',
      'GET /files/{token} 503',
      'GET /files/{token} 200',
    ]);
    expectRowsMatchCalls(rec.rows, calls());
  });

  test('load mode: seeded random 429/503 on a third of calls; every call still succeeds', async () => {
    const client = emulatorClient(emu().url, rec, { maxRetries: 6 });
    emu().setFaults({ random: { seed: 42, rate429: 0.2, rate503: 0.13 } });
    for (let i = 0; i < 15; i++) await client.search(ctx, { term: `q${i}` });
    const failed = statuses().filter((s) => s === 429 || s === 503).length;
    expect(failed).toBeGreaterThan(0);
    expect(calls()).toHaveLength(15 + failed);
    expectRowsMatchCalls(rec.rows, calls());
  });
});

describe('persistent or permanent faults: typed failure, bounded attempts', () => {
  test('503 on every attempt: upstream_unavailable (retryable) after maxRetries + 1 calls', async () => {
    const client = emulatorClient(emu().url, rec, { maxRetries: 3 });
    emu().setFaults({ rules: [{ match: 'api', fault: { kind: 'status', status: 503 } }] });
    const e = await rejectionOf(client.search(ctx, { term: 'x' }));
    expect(e).toMatchObject({ code: 'upstream_unavailable', retryable: true });
    expect(statuses()).toEqual([503, 503, 503, 503]);
    expectRowsMatchCalls(rec.rows, calls());
  });

  test('an answer that never comes in time: fails by the deadline', async () => {
    const client = emulatorClient(emu().url, rec, { timeoutMs: 100, deadlineMs: 1_000, maxRetries: 50 });
    emu().setFaults({ rules: [{ match: 'api', fault: { kind: 'slow', delayMs: 5_000 } }] });
    const e = await rejectionOf(client.search(ctx, { term: 'x' }));
    expect(e).toMatchObject({ code: 'upstream_unavailable', retryable: true });
    expect(rec.rows.every((r) => r.outcome === 'timeout')).toBe(true);
    expect(rec.rows.length).toBeLessThan(50);
    expectRowsMatchCalls(rec.rows, calls());
  });

  test('malformed JSON on every attempt: upstream_unavailable', async () => {
    const client = emulatorClient(emu().url, rec, { maxRetries: 2 });
    emu().setFaults({ rules: [{ fault: { kind: 'malformed_json' } }] });
    await expect(client.getResource(ctx, 123456001)).rejects.toMatchObject({ code: 'upstream_unavailable' });
    expect(calls()).toHaveLength(3);
  });

  test('a wrong key: provider_misconfigured, one call, no retry', async () => {
    const client = emulatorClient(emu().url, rec, { apiKey: 'wrong' });
    const e = await rejectionOf(client.search(ctx, { term: 'x' }));
    expect(e).toMatchObject({ code: 'provider_misconfigured', retryable: false });
    expect(statuses()).toEqual([401]);
    expectRowsMatchCalls(rec.rows, calls());
  });

  test('bad parameters: upstream_rejected with field details (both `name` and `field` variants)', async () => {
    const client = emulatorClient(emu().url, rec);
    const a = await rejectionOf(client.search(ctx, { term: 'x', page: 101 }));
    expect(a).toMatchObject({ code: 'upstream_rejected', retryable: false, fields: [{ path: 'page' }] });
    const b = await rejectionOf(
      client.getDownloadLink(ctx, (await client.search(ctx, { term: 'x' })).items[0].id, { imageSize: 5000 }),
    );
    expect(b).toMatchObject({ code: 'upstream_rejected', fields: [{ path: 'image_size' }] });
    const c = await rejectionOf(client.textToImage(ctx, { prompt: 'okay', numImages: 9 }));
    expect(c.fields?.[0].path).toBe('num_images');
    expect(statuses()).toEqual([400, 200, 400, 400]);
    expectRowsMatchCalls(rec.rows, calls());
  });

  test('an unknown resource or task: upstream_rejected (404), one call', async () => {
    const client = emulatorClient(emu().url, rec);
    await expect(client.getResource(ctx, 42)).rejects.toMatchObject({
      code: 'upstream_rejected',
      detail: { status: 404 },
    });
    await expect(client.getMysticTask(ctx, 'no-such-task')).rejects.toMatchObject({
      code: 'upstream_rejected',
      detail: { status: 404 },
    });
    expect(statuses()).toEqual([404, 404]);
  });

  test.each(['FAILED', 'CANCELLED', 'SOMETHING_NEW'])('Mystic %s: terminal, typed failure', async (status) => {
    const client = emulatorClient(emu().url, rec);
    const task = await client.createMysticTask(ctx, { prompt: 'doomed' });
    emu().setFaults({ rules: [{ match: 'GET /v1/ai/mystic/{task_id}', fault: { kind: 'mystic_status', status } }] });
    await expect(client.waitForMysticTask(ctx, task.taskId)).rejects.toMatchObject({
      code: 'upstream_rejected',
      detail: { status },
    });
    expect(calls()).toHaveLength(2);
  });

  test('a Mystic task that never finishes: retryable failure at the deadline', async () => {
    const slow = await startFreepikEmulator({ mysticPollsToComplete: 10_000 });
    try {
      const client = emulatorClient(slow.url, rec);
      const task = await client.createMysticTask(ctx, { prompt: 'forever' });
      const e = await rejectionOf(client.waitForMysticTask(ctx, task.taskId, { deadline: Date.now() + 300 }));
      expect(e).toMatchObject({ code: 'upstream_unavailable', retryable: true, detail: { reason: 'deadline' } });
    } finally {
      await slow.close();
    }
  });
});

describe('hostile downloads are refused, not retried', () => {
  async function downloadWith(fault: Parameters<FreepikEmulator['setFaults']>[0]) {
    const client = emulatorClient(emu().url, rec);
    const id = (await client.search(ctx, { term: 'harbour' })).items[0].id;
    emu().setFaults(fault);
    return rejectionOf(client.downloadResource(ctx, id));
  }

  test('non-image bytes behind an image content type', async () => {
    const e = await downloadWith({ rules: [{ match: 'files', fault: { kind: 'non_image' } }] });
    expect(e).toMatchObject({ code: 'invalid_image', detail: { reason: 'not_image' } });
    expect(calls().filter((c) => c.endpoint === 'GET /files/{token}')).toHaveLength(1);
    expectRowsMatchCalls(rec.rows, calls());
  });

  test('a pixel bomb (tiny PNG declaring 30000x30000)', async () => {
    const e = await downloadWith({ rules: [{ match: 'files', fault: { kind: 'pixel_bomb' } }] });
    expect(e).toMatchObject({ code: 'invalid_image', detail: { reason: 'pixel_limit' } });
  });

  test('a pixel bomb or HTML as text-to-image base64', async () => {
    const client = emulatorClient(emu().url, rec);
    emu().setFaults({
      rules: [
        { match: 'POST /v1/ai/text-to-image', times: 1, fault: { kind: 'pixel_bomb' } },
        { match: 'POST /v1/ai/text-to-image', times: 1, fault: { kind: 'non_image' } },
      ],
    });
    await expect(client.textToImage(ctx, { prompt: 'boom' })).rejects.toMatchObject({
      code: 'invalid_image',
      detail: { reason: 'pixel_limit' },
    });
    await expect(client.textToImage(ctx, { prompt: 'html' })).rejects.toMatchObject({
      code: 'invalid_image',
      detail: { reason: 'not_image' },
    });
    expect(calls()).toHaveLength(2);
  });

  test.each([true, false])('a body over the byte cap (Content-Length declared: %s)', async (declareLength) => {
    const e = await downloadWith({
      rules: [{ match: 'files', fault: { kind: 'oversize', bytes: 40 * 1024 * 1024, declareLength } }],
    });
    expect(e).toMatchObject({ code: 'unsafe_download', detail: { reason: 'too_large' } });
    expect(calls().filter((c) => c.endpoint === 'GET /files/{token}')).toHaveLength(1);
  });

  test.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.7/internal',
    'http://localhost:1/',
    'https://downloadscdn7.freepik.com.evil.example/x.jpg',
  ])('a redirect to %s', async (location) => {
    const e = await downloadWith({ rules: [{ match: 'files', fault: { kind: 'redirect', location } }] });
    expect(e.code).toBe('unsafe_download');
    expect(['scheme', 'host_not_allowed', 'private_address']).toContain(e.detail?.reason);
    expectRowsMatchCalls(rec.rows, calls());
  });

  test('an expired signed URL is refused by the file host (403), not retried', async () => {
    const short = await startFreepikEmulator({ signedUrlTtlMs: 1 });
    try {
      const client = emulatorClient(short.url, rec);
      const id = (await client.search(ctx, { term: 'x' })).items[0].id;
      const link = await client.getDownloadLink(ctx, id);
      await new Promise((r) => setTimeout(r, 10));
      await expect(client.downloadGenerated(ctx, link.url)).rejects.toMatchObject({
        code: 'upstream_rejected',
        detail: { status: 403 },
      });
      expectRowsMatchCalls(rec.rows, short.calls());
    } finally {
      await short.close();
    }
  });
});

describe('the image-source use case on the emulator', () => {
  test('a premium item refused with 403 falls through to the next candidate', async () => {
    const strict = await startFreepikEmulator({ premiumDownloadsAllowed: false });
    try {
      const client = emulatorClient(strict.url, rec);
      // Rank premium first by asking for premium only: every candidate is premium and refused.
      const src = createImageSource({ client, quota: createMemoryQuotaGuard({}, rec), pricing: defaultPricing });
      const got = await src.source({
        orgId: ORG,
        spec: { source: 'stock', query: 'city skyline at night' },
        aspect: 'wide',
      });
      expect(got.license.type).toBe('freemium');
      const premiumTry = await rejectionOf(
        client.downloadResource(
          ctx,
          (await client.search(ctx, { term: 'x', filters: { license: ['premium'] } })).items[0].id,
        ),
      );
      expect(premiumTry).toMatchObject({ code: 'upstream_rejected', detail: { status: 403 } });
      expectRowsMatchCalls(rec.rows, strict.calls());
    } finally {
      await strict.close();
    }
  });
});
