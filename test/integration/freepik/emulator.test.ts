/**
 * The emulator itself, checked against the contract with plain fetch (no client in between),
 * plus the local-stack switch (emulator when no key) and signed Mystic webhooks end to end.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { startFreepikEmulator } from '../../../local/emulators/freepik/emulator.js';
import { parseMysticWebhook } from '../../../functions/adapters/freepik/webhook.js';
import { createPgImageSource } from '../../../functions/handlers/composition/freepik.js';
import { startLocalFreepik } from '../../../local/emulators/freepik/local-freepik.js';
import {
  searchResponseSchema,
  resourceDetailSchema,
  mysticResponseSchema,
} from '../../../functions/adapters/freepik/schemas.js';
import { createTestDatabase } from '../../support/db.js';
import { startForAll } from '../../support/lifecycle.js';

const emu = startForAll(startFreepikEmulator, (server) => server.close());
const key = { 'x-freepik-api-key': 'emulator-key' };
const get = (path: string, headers: Record<string, string> = key) => fetch(`${emu().url}${path}`, { headers });
// Raw contract JSON; the assertions check its shape.
const j = async (r: Promise<Response>): Promise<any> => (await r).json();

describe('emulator contract', () => {
  test('search: pagination is consistent across pages and filters narrow results', async () => {
    const all = await j(get('/v1/resources?term=autumn%20forest&limit=7'));
    expect(searchResponseSchema.safeParse(all).success).toBe(true);
    const { total, last_page: last, per_page: perPage } = all.meta;
    expect(last).toBe(Math.ceil(total / 7));
    expect(perPage).toBe(7);
    const ids = new Set<number>();
    for (let p = 1; p <= last; p++) {
      const page = await j(get(`/v1/resources?term=autumn%20forest&limit=7&page=${p}`));
      for (const it of page.data) ids.add(it.id);
    }
    expect(ids.size).toBe(total);
    const filtered = await j(
      get('/v1/resources?term=autumn%20forest&limit=100&filters[orientation][square]=1&filters[license][freemium]=1'),
    );
    expect(filtered.meta.total).toBeLessThan(total);
    expect(
      filtered.data.every(
        (d: { image: { orientation: string }; licenses: { type: string }[] }) =>
          d.image.orientation === 'square' && d.licenses[0].type === 'freemium',
      ),
    ).toBe(true);
    const again = await j(get('/v1/resources?term=autumn%20forest&limit=7'));
    expect(again.data.map((d: { id: number }) => d.id)).toEqual(all.data.map((d: { id: number }) => d.id));
  });

  test('detail and 404 in the contract shape', async () => {
    const first = (await j(get('/v1/resources?term=desk'))).data[0];
    const d = await j(get(`/v1/resources/${first.id}`));
    expect(resourceDetailSchema.safeParse(d).success).toBe(true);
    expect(d.data.dimensions.width).toBeGreaterThan(1000);
    const missing = await get('/v1/resources/12');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'Resource not found' });
  });

  // Mostly in the query's colours, some off them, some too small, every orientation; previews in the
  // same colours, free.
  test('stock results vary like real ones, the same for the same query', async () => {
    const page = await j(get('/v1/resources?term=coffee%20beans&limit=24&filters[content_type][photo]=1'));
    expect(page.data.length).toBeGreaterThanOrEqual(15);
    const rows = [];
    for (const d of page.data) {
      const detail = await j(get(`/v1/resources/${d.id}`));
      // Previews need no key (a CDN), and their size is the search's `image.source.size`.
      const preview = await fetch(d.image.source.url);
      expect(preview.status).toBe(200);
      const bytes = Buffer.from(await preview.arrayBuffer());
      const meta = await sharp(bytes).metadata();
      expect(`${meta.width}x${meta.height}`).toBe(d.image.source.size);
      const { dominant } = await sharp(bytes).stats();
      rows.push({
        orientation: d.image.orientation,
        long: Math.max(detail.data.dimensions.width, detail.data.dimensions.height),
        rgb: [dominant.r, dominant.g, dominant.b],
      });
    }
    expect([...new Set(rows.map((r) => r.orientation))]).toEqual(
      expect.arrayContaining(['horizontal', 'vertical', 'square']),
    );
    const small = rows.filter((r) => r.long <= 1100).length;
    expect(small).toBeGreaterThan(0);
    expect(small).toBeLessThan(rows.length / 2);
    // Coffee is brown: red over blue. Some results are not (what a brand's palette check flags).
    const brown = rows.filter(({ rgb: [r, , b] }) => r > b + 30).length;
    expect(brown).toBeGreaterThan(rows.length / 2);
    expect(brown).toBeLessThan(rows.length);
    const again = await j(get('/v1/resources?term=coffee%20beans&limit=24&filters[content_type][photo]=1'));
    expect(again.data.map((d: { id: number }) => d.id)).toEqual(page.data.map((d: { id: number }) => d.id));
  });

  test('AI images have the sizes the API returns per size and Mystic resolution, and take the colours asked for', async () => {
    const t2i = async (body: object) =>
      j(
        fetch(`${emu().url}/v1/ai/text-to-image`, {
          method: 'POST',
          headers: { ...key, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      );
    for (const [size, w, h] of [
      ['square_1_1', 1024, 1024],
      ['social_story_9_16', 768, 1344],
      ['widescreen_16_9', 1344, 768],
    ] as const) {
      const r = await t2i({ prompt: 'a lighthouse', image: { size } });
      expect(r.meta.image).toMatchObject({ width: w, height: h });
      const meta = await sharp(Buffer.from(r.data[0].base64, 'base64')).metadata();
      expect([meta.width, meta.height]).toEqual([w, h]);
    }
    const red = await t2i({
      prompt: 'a lighthouse',
      styling: {
        colors: [
          { color: '#C0392B', weight: 0.8 },
          { color: '#E74C3C', weight: 0.2 },
        ],
      },
    });
    const { dominant } = await sharp(Buffer.from(red.data[0].base64, 'base64')).stats();
    expect(dominant.r).toBeGreaterThan(dominant.g + 60);
    const create = await j(
      fetch(`${emu().url}/v1/ai/mystic`, {
        method: 'POST',
        headers: { ...key, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'a lighthouse', resolution: '4k', aspect_ratio: 'widescreen_16_9' }),
      }),
    );
    let task = create.data;
    while (task.status !== 'COMPLETED') task = (await j(get(`/v1/ai/mystic/${task.task_id}`))).data;
    const meta = await sharp(Buffer.from(await (await fetch(task.generated[0])).arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([4096, 2341]);
  });

  test('the daily-cap fault answers 429 with a message naming the daily limit', async () => {
    emu().setFaults({
      rules: [{ match: 'GET /v1/resources/{id}/download', times: 1, fault: { kind: 'daily_limit' } }],
    });
    const first = (await j(get('/v1/resources?term=desk'))).data[0];
    const r = await get(`/v1/resources/${first.id}/download`);
    expect(r.status).toBe(429);
    expect(((await r.json()) as { message: string }).message).toMatch(/^Daily limit reached/);
    expect((await get(`/v1/resources/${first.id}/download`)).status).toBe(200);
    emu().setFaults({});
  });

  test('a wrong or missing key is 401 with a message; a POST without the JSON content type is ignored', async () => {
    const r = await get('/v1/resources?term=x', { 'x-freepik-api-key': 'nope' });
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({ message: 'Invalid API key' });
    expect((await get('/v1/resources?term=x', {})).status).toBe(401);
    const plain = await fetch(`${emu().url}/v1/ai/text-to-image`, {
      method: 'POST',
      headers: { ...key, 'content-type': 'text/plain' },
      body: JSON.stringify({ prompt: 'a valid prompt' }),
    });
    expect(plain.status).toBe(400);
    expect((await j(Promise.resolve(plain))).invalid_params[0]).toMatchObject({ field: 'prompt' });
  });

  test('Mystic: CREATED, then IN_PROGRESS, then COMPLETED with a signed URL; invalid colors are refused with `name`', async () => {
    const created = await j(
      fetch(`${emu().url}/v1/ai/mystic`, {
        method: 'POST',
        headers: { ...key, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'a fox', aspect_ratio: 'film_horizontal_21_9', resolution: '1k' }),
      }),
    );
    expect(created.data).toMatchObject({ status: 'CREATED', generated: [] });
    const states: string[] = [];
    let last: any;
    for (let i = 0; i < 3; i++) {
      last = await j(get(`/v1/ai/mystic/${created.data.task_id}`));
      expect(mysticResponseSchema.safeParse(last).success).toBe(true);
      states.push(last.data.status);
    }
    expect(states).toEqual(['IN_PROGRESS', 'IN_PROGRESS', 'COMPLETED']);
    const file = await fetch(last.data.generated[0]);
    expect(file.headers.get('content-type')).toBe('image/jpeg');
    const bad = await fetch(`${emu().url}/v1/ai/mystic`, {
      method: 'POST',
      headers: { ...key, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', styling: { colors: [{ color: '#abcdef', weight: 0.5 }] } }),
    });
    expect(bad.status).toBe(400);
    expect((await j(Promise.resolve(bad))).invalid_params).toEqual([
      { name: 'styling.colors', reason: expect.any(String) },
    ]);
  });

  test('signed URLs are bound to their signature', async () => {
    const first = (await j(get('/v1/resources?term=desk'))).data[0];
    const link = (await j(get(`/v1/resources/${first.id}/download?image_size=small`))).data.url as string;
    expect((await fetch(link)).status).toBe(200);
    expect((await fetch(link.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')))).status).toBe(403);
  });

  test('Mystic webhooks are signed so the receiver helper accepts them, and a wrong secret does not', async () => {
    const secret = 'emulator-webhook-secret-123';
    const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const sink = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const hooked = await startFreepikEmulator({ webhookSecret: secret, mysticStepMs: 20, mysticPollsToComplete: 2 });
    try {
      const url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook`;
      await fetch(`${hooked.url}/v1/ai/mystic`, {
        method: 'POST',
        headers: { ...key, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'a fox', webhook_url: url }),
      });
      const until = Date.now() + 5_000;
      while (!received.some((r) => r.body.includes('COMPLETED')) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      const statuses = received.map((r) => parseMysticWebhook({ secret, headers: r.headers, rawBody: r.body }).status);
      // Deliveries are concurrent POSTs: compare as a set.
      expect([...statuses].sort()).toEqual(['COMPLETED', 'CREATED', 'IN_PROGRESS']);
      expect(() =>
        parseMysticWebhook({
          secret: 'not-the-secret-000000',
          headers: received[0].headers,
          rawBody: received[0].body,
        }),
      ).toThrow(expect.objectContaining({ code: 'unauthenticated' }));
    } finally {
      await hooked.close();
      sink.closeAllConnections();
      await new Promise((r) => sink.close(r));
    }
  });
});

describe('local stack switch', () => {
  const t = startForAll(createTestDatabase, (db) => db.drop());

  test('no FREEPIK_API_KEY: the emulator is started, announced, and the whole Postgres-backed source works on it', async () => {
    const local = await startLocalFreepik({});
    try {
      expect(local.mode).toBe('emulator');
      expect(local.banner).toMatch(/^Image source: Freepik emulator at http:\/\/127\.0\.0\.1:\d+/);
      const [o] = await t().owner`insert into organizations (name, slug) values ('Local', 'local') returning id`;
      const { imageSource } = createPgImageSource(t().app.db, local.config);
      const img = await imageSource.source({
        orgId: o.id,
        spec: { source: 'stock', query: 'bicycle' },
        aspect: 'tall',
        preferredSize: 'small',
      });
      expect(img).toMatchObject({ contentType: 'image/jpeg', height: 1000 });
      const [n] = await t().owner`select count(*)::int as n from api_usage where organization_id = ${o.id}`;
      expect(n.n).toBe(local.emulator!.calls().length);
    } finally {
      await local.close();
    }
  });

  test('FREEPIK_API_KEY set: the real API is announced and no emulator starts', async () => {
    const real = await startLocalFreepik({ FREEPIK_API_KEY: 'k' });
    expect(real.mode).toBe('freepik');
    expect(real.emulator).toBeUndefined();
    expect(real.banner).toMatch(/Freepik API at https:\/\/api\.freepik\.com/);
  });
});
