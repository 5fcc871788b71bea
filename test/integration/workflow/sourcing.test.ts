/**
 * Sourcing for the request, not for one size, through the synthesized state machine and the
 * Freepik emulator: an AI request for mixed layouts gets an image per layout that covers it, a
 * stock request skips (or, without previews, replaces) an off-palette first hit, a brief no image
 * can fix ends before any Freepik call, a Mystic generation outlives the invocation that paid for
 * it, and a provider's daily cap ends the request with a clear quota error.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { tenantRead } from '../../../functions/adapters/db/client.js';
import { analyzeImage } from '../../../functions/adapters/render/analyze.js';
import { getContentRequest } from '../../../functions/app/content-requests.js';
import { brandKitSchema } from '../../../functions/domain/brand-types.js';
import { checkPalette } from '../../../functions/domain/compliance/image-checks.js';
import { loadFreepikConfig } from '../../../functions/adapters/freepik/config.js';
import { provide } from '../../../functions/handlers/composition/root.js';
import { ACME_BRIEF, envOverrides, startWorkflowHarness, type WorkflowHarness } from './support.js';

let h: WorkflowHarness;
const env = envOverrides();
const setEnv = (vars: Record<string, string | undefined>) => {
  env.set(vars);
  // The "Source image" task reads FREEPIK_* once per container: give it the new configuration
  // (which also drops the image source built on the old one).
  provide('freepikConfig', loadFreepikConfig());
};
/** Runs `body` with these settings, then unsets them again. */
async function withEnv(vars: Record<string, string>, body: () => Promise<void>) {
  setEnv(vars);
  try {
    await body();
  } finally {
    setEnv(Object.fromEntries(Object.keys(vars).map((k) => [k, undefined])));
  }
}
/** Mystic generations, polled every `pollMs` until the invocation's `deadlineMs`. */
const mysticEnv = (pollMs: number, deadlineMs: number) => ({
  FREEPIK_AI_MODE: 'mystic',
  FREEPIK_MYSTIC_POLL_MS: String(pollMs),
  FREEPIK_MYSTIC_MAX_POLL_MS: String(pollMs),
  FREEPIK_MYSTIC_DEADLINE_MS: String(deadlineMs),
});

beforeAll(async () => {
  h = await startWorkflowHarness({ retryDelayMs: 200 });
});
afterAll(async () => {
  await h?.close();
  env.restore();
});
afterEach(() => h.settle());

const emulatorCalls = (pattern: RegExp) => h.stack.freepik.emulator!.calls().filter((c) => pattern.test(c.endpoint));
const usage = (requestId: string) => h.t.owner<
  { endpoint: string; outcome: string; credits: string; status_code: number | null }[]
>`
  SELECT endpoint, outcome, credits::text, status_code FROM api_usage WHERE request_id = ${requestId} ORDER BY id`;
const detail = (requestId: string) =>
  tenantRead(h.stack.db.db, { orgId: h.acme.orgId }, getContentRequest(h.acme.orgId, h.stack.store, requestId));
const variantFindings = (requestId: string) => h.t.owner<
  { platform: string; findings: Array<{ check: string; severity: string }> }[]
>`
  SELECT platform, findings FROM asset_variants WHERE request_id = ${requestId} ORDER BY platform`;
async function acmeKit() {
  const [b] = await h.t
    .owner`SELECT colors, fonts, logo, voice_rules, compliance_thresholds FROM brand_profiles WHERE id = ${h.acme.brandId}`;
  return brandKitSchema.parse({
    colors: b.colors,
    fonts: b.fonts,
    logo: b.logo,
    voiceRules: b.voice_rules,
    complianceThresholds: b.compliance_thresholds,
  });
}

describe('AI for mixed layouts', () => {
  test('square + story + wide: an image per layout that covers it, no resolution finding; the extra generation is metered and shown', async () => {
    const callsBefore = emulatorCalls(/^POST \/v1\/ai\/text-to-image$/).length;
    const { requestId, executionName } = await h.submit({
      imageSpec: { source: 'ai', prompt: 'a ceramic cup of coffee on a wooden table at dawn' },
      platforms: ['instagram_square', 'instagram_story', 'facebook'],
    });
    await h.stack.runner.waitForToken(executionName, 'Await approval', 90_000);
    expect((await h.row(requestId)).status).toBe('awaiting_approval');
    // The story is enlarged 1.43x from its own image (it was 2.5x from a shared 16:9 one).
    for (const v of await variantFindings(requestId)) {
      expect(
        v.findings.filter((f) => f.check === 'resolution'),
        v.platform,
      ).toEqual([]);
    }

    // Two generations: 9:16 for the story, 3:2 serving the square and the link post.
    const generations = emulatorCalls(/^POST \/v1\/ai\/text-to-image$/).slice(callsBefore);
    expect(generations).toHaveLength(2);
    const assets = await h.t.owner<{ aspect_group: string; covers: string[]; width: number; height: number }[]>`
      SELECT aspect_group, covers, width, height FROM generated_assets WHERE request_id = ${requestId} ORDER BY aspect_group`;
    expect(assets.map((a) => ({ ...a }))).toEqual([
      { aspect_group: 'tall', covers: ['tall'], width: 768, height: 1344 },
      { aspect_group: 'wide', covers: ['wide', 'square'], width: 1152, height: 768 },
    ]);
    const paid = (await usage(requestId)).filter((u) => u.endpoint === 'POST /v1/ai/text-to-image');
    expect(paid.map((u) => [u.outcome, Number(u.credits)])).toEqual([
      ['success', 1],
      ['success', 1],
    ]);

    const d = await detail(requestId);
    expect(d.masters.map((m) => m.aspectGroup).sort()).toEqual(['tall', 'wide']);
    expect(d.sourcing.groups.map((g) => [g.aspectGroup, g.status, g.generations, g.credits]).sort()).toEqual([
      ['square', 'covered', 0, 0],
      ['tall', 'sourced', 1, 1],
      ['wide', 'sourced', 1, 1],
    ]);
    expect(d.sourcing.usage).toMatchObject({ calls: (await usage(requestId)).length, credits: 2 });
    // In the brand's colours: the generation was asked for them.
    expect(generations.every((c) => c.status === 200)).toBe(true);
  });
});

describe('stock candidates', () => {
  const query = 'latte art';
  /** The emulator's first hit for the query, and the proof that it is off the Acme palette. */
  async function firstHitIsOffPalette() {
    const res = await fetch(
      `${h.stack.freepik.baseUrl}/v1/resources?term=${encodeURIComponent(query)}&limit=5&filters[content_type][photo]=1`,
      { headers: { 'x-freepik-api-key': 'emulator-key' } },
    );
    const first = ((await res.json()) as { data: Array<{ id: number; image: { source: { url: string } } }> }).data[0];
    const preview = Buffer.from(await (await fetch(first.image.source.url)).arrayBuffer());
    const findings = checkPalette((await analyzeImage(preview)).dominantColors, await acmeKit());
    expect(findings.map((f) => f.severity)).toEqual(['error']);
    h.stack.freepik.emulator!.reset();
    return String(first.id);
  }

  test('an off-palette first hit is judged on its free preview and never downloaded; the request reaches approval on the next one', async () => {
    const first = await firstHitIsOffPalette();
    const { requestId, executionName } = await h.submit({
      imageSpec: { source: 'stock', query },
      platforms: ['instagram_square', 'facebook'],
    });
    await h.stack.runner.waitForToken(executionName, 'Await approval', 90_000);

    const [asset] = await h.t.owner<
      { provider_resource_id: string; covers: string[] }[]
    >`SELECT provider_resource_id, covers FROM generated_assets WHERE request_id = ${requestId}`;
    expect(asset.provider_resource_id).not.toBe(first);
    expect(asset.covers.sort()).toEqual(['square', 'wide']);
    const downloads = emulatorCalls(/^GET \/v1\/resources\/\{id\}\/download$/);
    expect(downloads.map((c) => c.path)).not.toContain(`/v1/resources/${first}/download`);
    expect(downloads).toHaveLength(1);
    const d = await detail(requestId);
    const attempts = d.sourcing.groups.flatMap((g) => g.attempts) as Array<Record<string, unknown>>;
    expect(attempts).toContainEqual(expect.objectContaining({ kind: 'preview', resourceId: first, verdict: 'error' }));
    // Ranked below the on-palette candidates, so the first download already fits.
    expect(attempts.filter((a) => a.kind === 'download').map((a) => [a.outcome, a.palette])).toEqual([
      ['accepted', 'ok'],
    ]);
    for (const v of await variantFindings(requestId))
      expect(
        v.findings.filter((f) => f.check === 'palette' && f.severity === 'error'),
        v.platform,
      ).toEqual([]);
  });

  test('without previews the off-palette first hit is downloaded, refused on its real colours, the next one bought; both metered on the request', async () => {
    await withEnv({ FREEPIK_STOCK_PREVIEW_CHECKS: '0' }, async () => {
      const first = await firstHitIsOffPalette();
      const { requestId, executionName } = await h.submit({
        imageSpec: { source: 'stock', query },
        platforms: ['instagram_square'],
      });
      await h.stack.runner.waitForToken(executionName, 'Await approval', 90_000);

      const paid = (await usage(requestId)).filter(
        (u) => u.endpoint === 'GET /v1/resources/{id}/download' && u.outcome === 'success',
      );
      expect(paid).toHaveLength(2);
      const [asset] = await h.t.owner<
        { provider_resource_id: string }[]
      >`SELECT provider_resource_id FROM generated_assets WHERE request_id = ${requestId}`;
      expect(asset.provider_resource_id).not.toBe(first);
      const d = await detail(requestId);
      expect(d.sourcing.groups).toHaveLength(1);
      expect(d.sourcing.groups[0]).toMatchObject({ aspectGroup: 'square', status: 'sourced', downloads: 2 });
      const downloads = (d.sourcing.groups[0].attempts as Array<Record<string, unknown>>).filter(
        (a) => a.kind === 'download',
      );
      expect(downloads.map((a) => [a.resourceId, a.outcome])).toEqual([
        [first, 'off_palette'],
        [asset.provider_resource_id, 'accepted'],
      ]);
      expect(d.sourcing.usage.calls).toBe((await usage(requestId)).length);
      expect(
        (await h.t.owner`SELECT compliance FROM content_requests WHERE id = ${requestId}`)[0].compliance.checks.palette,
      ).not.toBe('error');
    });
  });
});

describe('stock limits', () => {
  test('an original too small for the layout is seen in the free resource detail and never downloaded', async () => {
    // The best-ranked hit for "mocha" on a 1600x900 post (the first freemium landscape one) is a
    // 640x427 original: 2.5x enlargement, past the brand's 1.5x. Its preview looks like the others.
    const H = { 'x-freepik-api-key': 'emulator-key' };
    const res = await fetch(
      `${h.stack.freepik.baseUrl}/v1/resources?term=mocha&limit=30&filters[content_type][photo]=1`,
      { headers: H },
    );
    const hits = (
      (await res.json()) as {
        data: Array<{ id: number; image: { orientation: string }; licenses: { type: string }[] }>;
      }
    ).data;
    const small = hits.find((x) => x.image.orientation === 'horizontal' && x.licenses[0].type === 'freemium')!;
    const d = (await (await fetch(`${h.stack.freepik.baseUrl}/v1/resources/${small.id}`, { headers: H })).json()) as {
      data: { dimensions: { width: number } };
    };
    expect(d.data.dimensions.width).toBeLessThan(1600 / 1.5);
    h.stack.freepik.emulator!.reset();

    const { requestId, executionName } = await h.submit({
      imageSpec: { source: 'stock', query: 'mocha' },
      platforms: ['x'],
    });
    await h.stack.runner.waitForToken(executionName, 'Await approval', 90_000);
    const attempts = (await detail(requestId)).sourcing.groups[0].attempts as Array<Record<string, unknown>>;
    expect(attempts).toContainEqual(
      expect.objectContaining({ kind: 'skip', resourceId: String(small.id), reason: 'too_small' }),
    );
    expect(emulatorCalls(/^GET \/v1\/resources\/\{id\}\/download$/).map((c) => c.path)).not.toContain(
      `/v1/resources/${small.id}/download`,
    );
    for (const v of await variantFindings(requestId))
      expect(
        v.findings.filter((f) => f.check === 'resolution'),
        v.platform,
      ).toEqual([]);
  });

  test('out of download budget: the best image tried is kept and the compliance check says what is wrong with it (no failure, no endless buying)', async () => {
    await withEnv({ FREEPIK_STOCK_PREVIEW_CHECKS: '0', FREEPIK_STOCK_MAX_DOWNLOADS: '1' }, async () => {
      const { requestId, executionName } = await h.submit({
        imageSpec: { source: 'stock', query: 'latte art' },
        platforms: ['instagram_square'],
      });
      await h.stack.runner.waitForEnd(executionName, 90_000).catch(() => undefined);
      const r = await h.waitForStatus(requestId, ['awaiting_approval', 'rejected'], 60_000);
      const [g] = (await detail(requestId)).sourcing.groups;
      expect(g).toMatchObject({ aspectGroup: 'square', status: 'fallback', downloads: 1 });
      expect((await usage(requestId)).filter((u) => u.endpoint === 'GET /v1/resources/{id}/download')).toHaveLength(1);
      expect(r.compliance.checks.palette).toBe('error');
    });
  });
});

describe('fail before paying', () => {
  const noFreepik = async (requestId: string, callsBefore: number) => {
    expect(h.stack.freepik.emulator!.calls().length).toBe(callsBefore);
    expect(await usage(requestId)).toEqual([]);
    expect((await h.steps(requestId, 1)).map((s) => s.step)).toEqual(['validate', 'reject']);
  };

  test('a brief missing the required disclaimer ends at "Validate brief" with the reason and the fix, before any Freepik call', async () => {
    const callsBefore = h.stack.freepik.emulator!.calls().length;
    const { requestId, executionName } = await h.submit({
      brief: { ...ACME_BRIEF, body: 'Our new single origin is in.' },
      imageSpec: { source: 'ai', prompt: 'an espresso cup' },
    });
    expect((await h.stack.runner.waitForEnd(executionName, 60_000)).status).toBe('SUCCEEDED');
    const r = await h.row(requestId);
    expect(r.status).toBe('rejected');
    expect(r.rejection_reason).toMatch(
      /^The brief cannot be published as written, so no image was bought\. The required disclaimer is missing/,
    );
    expect(r.rejection_reason).toContain('Offer valid at participating stores only.');
    // The score alone (75, above the brand's auto-reject 50) would have let it through to sourcing.
    expect(r.compliance).toMatchObject({ stage: 'brief', decision: 'reject', blocking: ['disclaimer'] });
    expect(r.compliance.score).toBeGreaterThanOrEqual(50);
    await noFreepik(requestId, callsBefore);
  });

  test("a missing required hashtag and a post text over X's limit end the same way", async () => {
    const callsBefore = h.stack.freepik.emulator!.calls().length;
    const a = await h.submit({ brief: { ...ACME_BRIEF, hashtags: ['#coffee'] } });
    const b = await h.submit({
      brief: {
        ...ACME_BRIEF,
        body: `${'A slow, careful roast. '.repeat(12)}Offer valid at participating stores only.`,
      },
      platforms: ['x', 'instagram_square'],
    });
    for (const { executionName } of [a, b]) await h.stack.runner.waitForEnd(executionName, 60_000);
    const ra = await h.row(a.requestId);
    expect(ra).toMatchObject({ status: 'rejected', compliance: { blocking: ['hashtags'] } });
    expect(ra.rejection_reason).toContain('Add #AcmeCoffee to the hashtags.');
    const rb = await h.row(b.requestId);
    expect(rb).toMatchObject({ status: 'rejected', compliance: { blocking: ['copy_length'] } });
    expect(rb.rejection_reason).toMatch(/X \(Twitter\) post allows 280/);
    await noFreepik(a.requestId, callsBefore);
    await noFreepik(b.requestId, callsBefore);
  });
});

describe('Mystic outlives the invocation that paid for it', () => {
  test('polling stops at the deadline, the state machine retries, and the retry resumes the same task: one paid generation', async () => {
    await withEnv(mysticEnv(200, 2_000), async () => {
      // Still running for the first 6 polls: longer than one invocation may wait (it polls for
      // about 1 s of its 2 s: the rate bucket keeps 1 s back for the call a token is for).
      h.stack.freepik.emulator!.setFaults({
        rules: [
          { match: 'GET /v1/ai/mystic/{task_id}', times: 6, fault: { kind: 'mystic_status', status: 'IN_PROGRESS' } },
        ],
      });
      const { requestId, executionName } = await h.submit({
        imageSpec: { source: 'ai', prompt: 'a espresso machine, studio light' },
        platforms: ['instagram_square'],
      });
      await h.stack.runner.waitForToken(executionName, 'Await approval', 90_000);

      expect(emulatorCalls(/^POST \/v1\/ai\/mystic$/)).toHaveLength(1);
      const retried = h.events.filter((e) => e.type === 'state_retried' && e.requestId === requestId);
      expect(retried.length).toBeGreaterThanOrEqual(1);
      expect(retried.every((e) => 'state' in e && e.state === 'Source image')).toBe(true);
      const paid = (await usage(requestId)).filter((u) => Number(u.credits) > 0);
      expect(paid.map((u) => u.endpoint)).toEqual(['POST /v1/ai/mystic']);
      const [g] = (await detail(requestId)).sourcing.groups;
      expect(g).toMatchObject({ aspectGroup: 'square', status: 'sourced', generations: 1 });
      const kinds = (g.attempts as Array<{ kind: string }>).map((a) => a.kind);
      expect(kinds[0]).toBe('generate');
      expect(kinds).toContain('waiting');
      expect(kinds).toContain('resume');
      expect(kinds.at(-1)).toBe('completed');
    });
  });

  test('deadline from the Lambda context: with 18 s left the handler gives up after ~3 s, task id stored; a second call finishes it unpaid', async () => {
    await withEnv(mysticEnv(50, 60_000), async () => {
      h.stack.freepik.emulator!.setFaults({
        rules: [{ match: 'GET /v1/ai/mystic/{task_id}', fault: { kind: 'mystic_status', status: 'IN_PROGRESS' } }],
      });
      const requestId = await h.insert({
        imageSpec: { source: 'ai', prompt: 'a barista pouring milk' },
        platforms: ['instagram_square'],
      });
      await h.t.owner`UPDATE content_requests SET status = 'validating' WHERE id = ${requestId}`;
      const { handler } = await import('../../../functions/handlers/workflow/source-image.js');
      const ref = { orgId: h.acme.orgId, requestId, run: 1 };
      const started = Date.now();
      // 18 s left, 15 s kept back for storing and answering: 3 s for Freepik, not the 60 s configured.
      const e = await handler(ref, { getRemainingTimeInMillis: () => 18_000 }).catch((x: Error) => x);
      const took = Date.now() - started;
      expect(e).toMatchObject({ name: 'Transient.upstream_unavailable', detail: { reason: 'generation_pending' } });
      expect(took).toBeGreaterThanOrEqual(1_500);
      expect(took).toBeLessThan(8_000);
      const [row] = await h.t.owner<
        { status: string; provider_task_id: string }[]
      >`SELECT status, provider_task_id FROM request_sourcing WHERE request_id = ${requestId}`;
      expect(row.status).toBe('generating');
      const [created] = emulatorCalls(/^POST \/v1\/ai\/mystic$/);
      expect(created).toBeDefined();

      h.stack.freepik.emulator!.setFaults({});
      const out = await handler(ref, { getRemainingTimeInMillis: () => 100_000 });
      expect(out).toMatchObject({ reused: false, groups: [{ aspect: 'square', status: 'sourced' }] });
      expect(emulatorCalls(/^POST \/v1\/ai\/mystic$/)).toHaveLength(1);
      const [asset] = await h.t.owner<
        { provider_task_id: string }[]
      >`SELECT provider_task_id FROM generated_assets WHERE request_id = ${requestId}`;
      expect(asset.provider_task_id).toBe(row.provider_task_id);
    });
  });
});

test("Freepik's daily download cap ends the request at once with provider_quota_exceeded, not minutes of retries", async () => {
  h.stack.freepik.emulator!.setFaults({
    rules: [{ match: 'GET /v1/resources/{id}/download', fault: { kind: 'daily_limit' } }],
  });
  const { requestId, executionName } = await h.submit({ platforms: ['instagram_square'] });
  const end = await h.stack.runner.waitForEnd(executionName, 60_000);
  expect(end.status).toBe('FAILED');
  expect(end.error).toBe('Permanent.provider_quota_exceeded');
  const r = await h.row(requestId);
  expect(r.failure).toMatchObject({ state: 'Source image', code: 'provider_quota_exceeded' });
  expect(r.failure.message).toMatch(/daily limit/i);
  expect(emulatorCalls(/^GET \/v1\/resources\/\{id\}\/download$/)).toHaveLength(1);
  expect(h.events.filter((e) => e.type === 'state_retried' && e.requestId === requestId)).toEqual([]);
  expect((await usage(requestId)).find((u) => u.status_code === 429)).toMatchObject({ outcome: 'error' });
});
