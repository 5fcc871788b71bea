/**
 * End to end through the HTTP API on the local stack (the same one `npm start` runs): submit a
 * brief for the seeded Acme brand, follow it until it waits for approval, then download every
 * variant through its short-lived URL and check what the image decodes to.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack/stack.js';
import { sampleContentRequest } from '../../local/stack/sample-request.js';
import { PLATFORM_PRESETS, type PlatformName } from '../../functions/domain/platforms.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let t: TestDatabase;
let stack: LocalStack;
let dataDir: string;
beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'svp-e2e-'));
  stack = await startLocalStack({
    dataDir,
    port: 0,
    databaseUrl: t.ownerUrl,
    appDatabaseUrl: t.appUrl,
    freepik: 'emulator',
    scheduler: false,
    outbox: false,
    log: () => {},
  });
});
afterAll(async () => {
  await stack?.stop();
  await t?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function api(method: string, url: string, token: string, body?: unknown) {
  const r = await fetch(`${stack.apiUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

test('a brief submitted through the API reaches the approval wait with every variant downloadable at its platform size', async () => {
  const acme = stack.seed.orgs.find((o) => o.slug === 'acme-coffee')!;
  const token = await stack.mintToken('creator@acme.test');
  const platforms: PlatformName[] = ['instagram_square', 'instagram_story', 'facebook', 'linkedin'];
  const created = await api(
    'POST',
    `/v1/orgs/${acme.id}/content-requests`,
    token,
    sampleContentRequest(acme.brandId, platforms),
  );
  expect(created.status).toBe(202);
  const id = created.body.id as string;

  // Poll like a client would, with a deadline.
  let detail: any;
  const deadline = Date.now() + 90_000;
  for (;;) {
    detail = (await api('GET', `/v1/orgs/${acme.id}/content-requests/${id}`, token)).body;
    if (detail.status === 'awaiting_approval' || detail.status === 'failed' || detail.status === 'rejected') break;
    if (Date.now() > deadline) throw new Error(`still ${detail.status} after 90 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(detail.failure).toBeNull();
  expect(detail.status).toBe('awaiting_approval');
  expect(detail.timeline.map((s: { step: string }) => s.step)).toEqual(
    expect.arrayContaining(['validate', 'source', 'compose', 'check', 'decide']),
  );
  expect(detail.compliance).toMatchObject({ stage: 'final' });
  expect(detail.variants.map((v: { platform: string }) => v.platform).sort()).toEqual([...platforms].sort());

  for (const v of detail.variants) {
    const res = await fetch(v.url);
    expect(res.status, v.platform).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBe(v.bytes);
    const meta = await sharp(bytes).metadata();
    const preset = PLATFORM_PRESETS[v.platform as PlatformName];
    expect([meta.width, meta.height], v.platform).toEqual([preset.width, preset.height]);
    expect(meta.format).toBe(v.format);
  }
});
