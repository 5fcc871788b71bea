/**
 * The client fed literal bodies from ../shared/freepik-api.md (not from our emulator), so a
 * mismatch between the contract and the code cannot hide behind an emulator written by us.
 */
import { describe, expect, test } from 'vitest';
import { createFreepikClient, type ClientConfig } from '../../../functions/adapters/freepik/client.js';
import { defaultPricing } from '../../../functions/adapters/freepik/config.js';
import { createMemoryUsageRecorder } from '../../../local/in-memory/sourcing-limits.js';
import { defaultDownloadPolicy } from '../../../functions/adapters/safe-fetch/safe-fetch.js';
import { rejectionOf } from '../../support/app-error.js';
import { connectionReset, fakeClock, scriptedFetch, tinyJpeg, tinyPng, type ScriptedResponse } from './fakes.js';

const ORG = '0b5c7c1e-1111-4222-8333-444455556666';
const REQ = '9d0e3f2a-aaaa-4bbb-8ccc-ddddeeeeffff';

// --- literal bodies from the contract ---------------------------------------------------------
const SEARCH_BODY = `{"data":[{"id":15667327,"title":"White t-shirt","url":"https://www.freepik.com/free-photo/x_15667327.htm",
  "filename":"x.zip",
  "licenses":[{"type":"freemium","url":"https://www.freepik.com/profile/license/pdf/15667327"}],
  "image":{"type":"photo","orientation":"horizontal",
           "source":{"key":"large","size":"740x640","url":"https://img.freepik.com/free-photo/x.jpg"}},
  "author":{"id":744082,"name":"flaticon","avatar":"https://avatar.cdnpk.net/744082.jpg","slug":"flaticon"},
  "stats":{"downloads":52527,"likes":137},
  "meta":{"published_at":"2022-01-14T20:45:28.000Z","is_new":true}}],
 "meta":{"current_page":1,"per_page":1,"last_page":32,"total":63,"clean_search":true}}`;
const DOWNLOAD_BODY = `{"data":{"filename":"9126.jpg","url":"https://downloadscdn7.freepik.com/9126.jpg?token=exp=1~hmac=abc","signed_url":null}}`;
const MYSTIC_CREATED = `{"data":{"task_id":"2ebf4829-0000-4000-8000-000000000001","status":"CREATED","generated":[]}}`;
const textToImageBody = (b64: string) =>
  `{"data":[{"base64":"${b64}","has_nsfw":false}],
    "meta":{"prompt":"a cat","seed":-1,"image":{"size":"square","width":1024,"height":1024},
            "num_inference_steps":8,"guidance_scale":1.5}}`;

function setup(script: ScriptedResponse[], over: Partial<ClientConfig> = {}) {
  const clock = fakeClock();
  const recorder = createMemoryUsageRecorder(clock);
  const f = scriptedFetch(script);
  const config: ClientConfig = {
    baseUrl: 'https://api.freepik.com',
    apiKey: 'k-123',
    keyHeader: 'x-freepik-api-key',
    timeoutMs: 5_000,
    maxRetries: 3,
    deadlineMs: 60_000,
    backoff: { baseMs: 500, maxMs: 8_000 },
    maxRetryAfterMs: 30_000,
    mystic: { resolution: '2k', pollIntervalMs: 2_000, maxPollIntervalMs: 5_000, deadlineMs: 300_000, fallback: true },
    download: defaultDownloadPolicy,
    pricing: defaultPricing,
    ...over,
  };
  const client = createFreepikClient({ config, recorder, fetch: f.fetch, clock, random: () => 0.5 });
  return { client, clock, recorder, ...f, ctx: { orgId: ORG, requestId: REQ } };
}

describe('requests follow the contract', () => {
  test('search sends literal bracket filter keys and the key header, and reads the documented body (unknown fields ignored)', async () => {
    const s = setup([{ body: SEARCH_BODY }]);
    const page = await s.client.search(s.ctx, {
      term: 'white shirt',
      limit: 1,
      filters: { orientation: ['landscape'], contentType: ['photo'], license: ['freemium'], excludePeople: true },
    });
    const url = s.seen[0].url;
    expect(url.startsWith('https://api.freepik.com/v1/resources?')).toBe(true);
    expect(url).toContain('term=white%20shirt');
    expect(url).toContain('filters[orientation][landscape]=1');
    expect(url).toContain('filters[content_type][photo]=1');
    expect(url).toContain('filters[license][freemium]=1');
    expect(url).toContain('filters[people][exclude]=1');
    expect(s.seen[0].headers['x-freepik-api-key']).toBe('k-123');
    expect(s.seen[0].headers.authorization).toBeUndefined();
    expect(page.page).toEqual({ current: 1, last: 32, total: 63, perPage: 1 });
    expect(page.items[0]).toMatchObject({
      id: 15667327,
      imageType: 'photo',
      orientation: 'horizontal',
      width: 740,
      height: 640,
      pageUrl: 'https://www.freepik.com/free-photo/x_15667327.htm',
      licenses: [{ type: 'freemium', url: 'https://www.freepik.com/profile/license/pdf/15667327' }],
      author: { id: 744082, name: 'flaticon', slug: 'flaticon' },
    });
  });

  test('the key header name and base URL are configuration (Magnific rename)', async () => {
    const s = setup([{ body: SEARCH_BODY }], { baseUrl: 'https://api.magnific.com', keyHeader: 'x-magnific-api-key' });
    await s.client.search(s.ctx, { term: 'x' });
    expect(s.seen[0].url.startsWith('https://api.magnific.com/v1/resources')).toBe(true);
    expect(s.seen[0].headers['x-magnific-api-key']).toBe('k-123');
    expect(s.seen[0].headers['x-freepik-api-key']).toBeUndefined();
  });

  test('download link: image_size query and the documented body', async () => {
    const s = setup([{ body: DOWNLOAD_BODY }]);
    const link = await s.client.getDownloadLink(s.ctx, 9126, { imageSize: 1200 });
    expect(s.seen[0].url).toBe('https://api.freepik.com/v1/resources/9126/download?image_size=1200px');
    expect(link).toEqual({
      filename: '9126.jpg',
      url: 'https://downloadscdn7.freepik.com/9126.jpg?token=exp=1~hmac=abc',
      signedUrl: undefined,
    });
  });

  test('the format-specific download variant (a list) is accepted', async () => {
    const s = setup([
      {
        body: '{"data":[{"filename":"a.jpg","url":"https://downloadscdn5.freepik.com/a.jpg","signed_url":"https://img.freepik.com/a.jpg"}]}',
      },
    ]);
    expect((await s.client.getDownloadLink(s.ctx, 1)).signedUrl).toBe('https://img.freepik.com/a.jpg');
  });

  test('text-to-image posts JSON and sniffs base64 payloads: JPEG although docs say PNG, and PNG too', async () => {
    const jpeg = await tinyJpeg(12, 10);
    const png = await tinyPng(9, 7);
    const s = setup([
      { body: textToImageBody(jpeg.toString('base64')) },
      { body: textToImageBody(png.toString('base64')) },
    ]);
    const a = await s.client.textToImage(s.ctx, {
      prompt: 'a cat',
      size: 'square_1_1',
      numImages: 1,
      filterNsfw: true,
    });
    expect(s.seen[0].method).toBe('POST');
    expect(s.seen[0].headers['content-type']).toBe('application/json');
    expect(JSON.parse(s.seen[0].body!)).toEqual({
      prompt: 'a cat',
      num_images: 1,
      image: { size: 'square_1_1' },
      filter_nsfw: true,
    });
    expect(a.images[0]).toMatchObject({ contentType: 'image/jpeg', width: 12, height: 10, hasNsfw: false });
    expect(a.images[0].bytes.equals(jpeg)).toBe(true);
    const b = await s.client.textToImage(s.ctx, { prompt: 'a cat' });
    expect(b.images[0]).toMatchObject({ contentType: 'image/png', width: 9, height: 7 });
  });

  test('a base64 payload that is not an image is refused, whatever it claims', async () => {
    const s = setup([{ body: textToImageBody(Buffer.from('<html>nope</html>').toString('base64')) }]);
    const e = await rejectionOf(s.client.textToImage(s.ctx, { prompt: 'a cat' }));
    expect(e.code).toBe('invalid_image');
    expect(e.detail?.reason).toBe('not_image');
  });

  test('Mystic: create, poll CREATED -> IN_PROGRESS -> COMPLETED with growing intervals', async () => {
    const poll = (status: string, generated: string[] = []) => ({
      body: `{"data":{"task_id":"2ebf4829-0000-4000-8000-000000000001","status":"${status}",
        "generated":${JSON.stringify(generated)}${status === 'COMPLETED' ? ',"has_nsfw":[false]' : ''}}}`,
    });
    const s = setup([
      { body: MYSTIC_CREATED },
      poll('CREATED'),
      poll('IN_PROGRESS'),
      poll('IN_PROGRESS'),
      poll('COMPLETED', ['https://ai-statics.freepik.com/content/x.png?token=exp=1~hmac=2']),
    ]);
    const task = await s.client.createMysticTask(s.ctx, {
      prompt: 'a cat',
      aspectRatio: 'widescreen_16_9',
      colors: [{ color: '#aabbcc', weight: 0.5 }],
    });
    expect(JSON.parse(s.seen[0].body!)).toEqual({
      prompt: 'a cat',
      resolution: '2k',
      aspect_ratio: 'widescreen_16_9',
      styling: { colors: [{ color: '#AABBCC', weight: 0.5 }] },
    });
    expect(task).toMatchObject({
      taskId: '2ebf4829-0000-4000-8000-000000000001',
      status: 'CREATED',
      generated: [],
      spent: defaultPricing.mystic['2k'],
    });
    const done = await s.client.waitForMysticTask(s.ctx, task.taskId);
    expect(done.status).toBe('COMPLETED');
    expect(done.generated).toEqual(['https://ai-statics.freepik.com/content/x.png?token=exp=1~hmac=2']);
    expect(s.clock.sleeps).toEqual([2000, 3000, 4500]);
    expect(
      s.seen
        .slice(1)
        .every((r) => r.url === 'https://api.freepik.com/v1/ai/mystic/2ebf4829-0000-4000-8000-000000000001'),
    ).toBe(true);
  });

  test.each(['FAILED', 'CANCELLED', 'EXPIRED_SOMEHOW'])(
    'Mystic status %s is a terminal failure, not polled further',
    async (status) => {
      const s = setup([{ body: `{"data":{"task_id":"t1","status":"${status}","generated":[]}}` }, { body: '{}' }]);
      const e = await rejectionOf(s.client.waitForMysticTask(s.ctx, 't1'));
      expect(e.code).toBe('upstream_rejected');
      expect(e.retryable).toBe(false);
      expect(e.detail).toMatchObject({ taskId: 't1', status });
      expect(s.seen).toHaveLength(1);
    },
  );

  test('Mystic polling stops at its deadline with a retryable error', async () => {
    const s = setup(
      Array.from({ length: 200 }, () => ({ body: '{"data":{"task_id":"t1","status":"IN_PROGRESS","generated":[]}}' })),
    );
    const e = await rejectionOf(s.client.waitForMysticTask(s.ctx, 't1', { deadline: s.clock.now() + 20_000 }));
    expect(e.code).toBe('upstream_unavailable');
    expect(e.retryable).toBe(true);
    expect(e.detail?.reason).toBe('deadline');
    expect(s.clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(20_000);
  });
});

describe('errors are typed, and only transient ones are retried', () => {
  test('400 with invalid_params using `name` (spec) maps to field problems, not retried', async () => {
    const s = setup([
      {
        status: 400,
        body: '{"message":"Your request parameters didn\'t validate.","invalid_params":[{"name":"page","reason":"must be <= 100"}]}',
      },
    ]);
    const e = await rejectionOf(s.client.search(s.ctx, { term: 'x', page: 101 }));
    expect(e.code).toBe('upstream_rejected');
    expect(e.retryable).toBe(false);
    expect(e.fields).toEqual([{ path: 'page', message: 'must be <= 100' }]);
    expect(s.seen).toHaveLength(1);
  });

  test('422 with invalid_params using `field` (live reply) maps the same way', async () => {
    const s = setup([
      {
        status: 422,
        body: '{"message":"Validation error","invalid_params":[{"field":"prompt","reason":"too short"}]}',
      },
    ]);
    const e = await rejectionOf(s.client.textToImage(s.ctx, { prompt: 'ab' }));
    expect(e.code).toBe('upstream_rejected');
    expect(e.fields).toEqual([{ path: 'prompt', message: 'too short' }]);
  });

  test('401 is a configuration error, not transient, and is not retried', async () => {
    const s = setup([{ status: 401, body: '{"message":"Invalid API key"}' }]);
    const e = await rejectionOf(s.client.search(s.ctx, { term: 'x' }));
    expect(e.code).toBe('provider_misconfigured');
    expect(e.retryable).toBe(false);
    expect(e.name).toBe('Permanent.provider_misconfigured');
    expect(s.seen).toHaveLength(1);
    expect(s.recorder.rows).toMatchObject([
      { statusCode: 401, outcome: 'error', errorCode: 'http_401', retryNumber: 0 },
    ]);
  });

  test.each([
    [403, 'forbidden'],
    [404, 'not_found'],
  ])('%i -> upstream_rejected (%s), not retried', async (status, reason) => {
    const s = setup([{ status, body: '{"message":"nope"}' }]);
    const e = await rejectionOf(s.client.getResource(s.ctx, 1));
    expect(e.code).toBe('upstream_rejected');
    expect(e.detail?.reason).toBe(reason);
    expect(s.seen).toHaveLength(1);
  });

  test('429 without Retry-After: full-jitter backoff, then success; one usage row per attempt', async () => {
    const s = setup([
      { status: 429, body: '{"message":"Too many requests"}' },
      { status: 429, body: '{"message":"x"}' },
      { body: SEARCH_BODY },
    ]);
    await s.client.search(s.ctx, { term: 'x' });
    // random() = 0.5: half of min(max, base * 2^n)
    expect(s.clock.sleeps).toEqual([250, 500]);
    expect(s.recorder.rows.map((r) => [r.statusCode, r.outcome, r.retryNumber, r.endpoint])).toEqual([
      [429, 'retryable_error', 0, 'GET /v1/resources'],
      [429, 'retryable_error', 1, 'GET /v1/resources'],
      [200, 'success', 2, 'GET /v1/resources'],
    ]);
    expect(
      s.recorder.rows.every((r) => r.organizationId === ORG && r.requestId === REQ && r.provider === 'freepik'),
    ).toBe(true);
  });

  test('a 429 saying a daily limit is reached is a quota error at once: not retried (waiting minutes cannot help), recorded as daily_limit', async () => {
    for (const message of [
      'Daily limit reached: this API key may download 100 resources per day',
      'You have exceeded the download limit for today',
    ]) {
      const s = setup([{ status: 429, body: JSON.stringify({ message }) }, { body: DOWNLOAD_BODY }]);
      const e = await rejectionOf(s.client.getDownloadLink(s.ctx, 9126));
      expect(e).toMatchObject({
        code: 'provider_quota_exceeded',
        retryable: false,
        name: 'Permanent.provider_quota_exceeded',
        detail: { reason: 'daily_limit', status: 429 },
      });
      expect(e.message).toMatch(/daily limit .* is reached/);
      expect(s.seen).toHaveLength(1);
      expect(s.clock.sleeps).toEqual([]);
      expect(s.recorder.rows.map((r) => [r.statusCode, r.outcome, r.errorCode])).toEqual([
        [429, 'error', 'daily_limit'],
      ]);
    }
    // An ordinary rate limit stays a retried 429.
    const s = setup([{ status: 429, body: '{"message":"Rate limit exceeded, slow down"}' }, { body: DOWNLOAD_BODY }]);
    await s.client.getDownloadLink(s.ctx, 9126);
    expect(s.seen).toHaveLength(2);
  });

  test('a caller deadline shortens a call but never extends it past the configured deadline', async () => {
    const long = setup(
      Array.from({ length: 10 }, () => ({ status: 500 })),
      { maxRetries: 9, deadlineMs: 3_000, backoff: { baseMs: 1_000, maxMs: 8_000 } },
    );
    await rejectionOf(long.client.search({ ...long.ctx, deadline: long.clock.now() + 600_000 }, { term: 'x' }));
    expect(long.clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(3_000);
    const short = setup(
      Array.from({ length: 10 }, () => ({ status: 500 })),
      { maxRetries: 9, deadlineMs: 60_000, backoff: { baseMs: 1_000, maxMs: 8_000 } },
    );
    await rejectionOf(short.client.search({ ...short.ctx, deadline: short.clock.now() + 2_000 }, { term: 'x' }));
    expect(short.clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(2_000);
  });

  test('Retry-After in seconds and as an HTTP date are honoured', async () => {
    const start = fakeClock().now();
    // The second answer comes 3 s after the first (the client slept 3 s); its date is 7 s later.
    const s = setup([
      { status: 429, headers: { 'retry-after': '3' } },
      { status: 503, headers: { 'retry-after': new Date(start + 3_000 + 7_000).toUTCString() } },
      { body: SEARCH_BODY },
    ]);
    await s.client.search(s.ctx, { term: 'x' });
    expect(s.clock.sleeps).toEqual([3000, 7000]);
  });

  test('a Retry-After longer than allowed fails at once (retryable), without sleeping', async () => {
    const s = setup([{ status: 429, headers: { 'retry-after': '3600' } }]);
    const e = await rejectionOf(s.client.search(s.ctx, { term: 'x' }));
    expect(e.code).toBe('upstream_unavailable');
    expect(e.retryable).toBe(true);
    expect(e.detail?.reason).toBe('retry_after_too_long');
    expect(e.headers?.['retry-after']).toBe('3600');
    expect(s.clock.sleeps).toEqual([]);
  });

  test('exhausted retries -> upstream_unavailable, retryable, after maxRetries + 1 attempts', async () => {
    const s = setup(Array.from({ length: 4 }, () => ({ status: 503, body: 'Service Unavailable' })));
    const e = await rejectionOf(s.client.search(s.ctx, { term: 'x' }));
    expect(e.code).toBe('upstream_unavailable');
    expect(e.retryable).toBe(true);
    expect(e.name).toBe('Transient.upstream_unavailable');
    expect(e.detail).toMatchObject({ attempts: 4, reason: 'retries_exhausted', lastStatus: 503 });
    expect(s.seen).toHaveLength(4);
    expect(s.recorder.rows).toHaveLength(4);
    expect(s.remaining()).toBe(0);
  });

  test('the overall deadline cuts retries short', async () => {
    const s = setup(
      Array.from({ length: 10 }, () => ({ status: 500 })),
      { maxRetries: 9, deadlineMs: 3_000, backoff: { baseMs: 1_000, maxMs: 8_000 } },
    );
    const e = await rejectionOf(s.client.search(s.ctx, { term: 'x' }));
    expect(e.detail?.reason).toBe('deadline');
    expect(s.clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(3_000);
    expect(s.seen.length).toBeLessThan(10);
  });

  test('connection resets and malformed JSON are retried; a timeout is retried and recorded as timeout', async () => {
    const s = setup(
      [{ error: connectionReset() }, { body: '{"data":[{"id":1,"tit' }, { hang: true }, { body: SEARCH_BODY }],
      { timeoutMs: 30 },
    );
    const page = await s.client.search(s.ctx, { term: 'x' });
    expect(page.items).toHaveLength(1);
    expect(s.recorder.rows.map((r) => [r.outcome, r.errorCode, r.statusCode])).toEqual([
      ['network_error', 'ECONNRESET', null],
      ['retryable_error', 'malformed_json', 200],
      ['timeout', 'timeout', null],
      ['success', null, 200],
    ]);
  });

  test('a 200 whose JSON is not the contract shape is not retried', async () => {
    const s = setup([{ body: '{"items":[]}' }, { body: SEARCH_BODY }]);
    const e = await rejectionOf(s.client.search(s.ctx, { term: 'x' }));
    expect(e.code).toBe('upstream_rejected');
    expect(e.detail?.reason).toBe('unexpected_response');
    expect(s.seen).toHaveLength(1);
  });

  test('credits are recorded on the successful paid attempt only', async () => {
    const jpeg = await tinyJpeg();
    const s = setup([
      { status: 503 },
      { body: `{"data":[{"base64":"${jpeg.toString('base64')}"},{"base64":"${jpeg.toString('base64')}"}]}` },
    ]);
    const r = await s.client.textToImage(s.ctx, { prompt: 'two cats', numImages: 2 });
    expect(r.spent).toEqual({ credits: 2, costUsd: 0.01 });
    expect(s.recorder.rows.map((x) => [x.statusCode, x.credits, x.costUsd])).toEqual([
      [503, 0, 0],
      [200, 2, 0.01],
    ]);
    expect(s.recorder.spent(ORG)).toEqual({ credits: 2, costUsd: 0.01, calls: 2 });
  });

  test('a paid POST is repeated only after failures that prove it did not run (no Freepik idempotency key: never pay twice)', async () => {
    const jpeg = await tinyJpeg();
    const ok = { body: `{"data":[{"base64":"${jpeg.toString('base64')}"}]}` };
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    // Not run: connection refused, 429, 503 -> repeated, paid once.
    const retried = setup([{ error: refused }, { status: 429 }, { status: 503 }, ok]);
    expect((await retried.client.textToImage(retried.ctx, { prompt: 'a cat' })).spent.credits).toBe(1);
    expect(retried.seen).toHaveLength(4);
    // May have run: a timeout, a reset mid-answer, a 500/502/504, a 2xx we could not read -> not repeated.
    for (const first of [
      { hang: true },
      { error: connectionReset() },
      { status: 500 },
      { status: 502 },
      { status: 504 },
      { body: '{"data":[{"base64":"/9j' },
    ]) {
      const s = setup([first, ok], { timeoutMs: 30 });
      const e = await rejectionOf(s.client.textToImage(s.ctx, { prompt: 'a cat' }));
      expect(e.code).toBe('upstream_uncertain');
      expect(e.retryable).toBe(false);
      expect(e.name).toBe('Permanent.upstream_uncertain');
      expect(e.message).toMatch(/not repeated, so it is not paid twice/);
      expect(s.seen).toHaveLength(1);
    }
    // Mystic's create is a paid POST too; its status polls (GET) stay freely retried.
    const m = setup([{ status: 502 }, { body: MYSTIC_CREATED }]);
    expect((await rejectionOf(m.client.createMysticTask(m.ctx, { prompt: 'a cat' }))).code).toBe('upstream_uncertain');
  });

  test('a caller abort stops at once and is not retried', async () => {
    const s = setup([{ hang: true }, { body: SEARCH_BODY }]);
    const ac = new AbortController();
    const p = s.client.search({ ...s.ctx, signal: ac.signal }, { term: 'x' });
    setTimeout(() => ac.abort(new Error('cancelled by test')), 5);
    await expect(p).rejects.toThrow('cancelled by test');
    expect(s.seen).toHaveLength(1);
    expect(s.recorder.rows).toMatchObject([{ outcome: 'error', errorCode: 'aborted' }]);
  });
});
