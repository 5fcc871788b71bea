/**
 * Limits and metering in real PostgreSQL, as the app role: the global token bucket shared by two
 * "instances" (separate connection pools), the per-tenant monthly quota refusing before any HTTP
 * call, and api_usage rows matching the emulator's calls one for one.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { sql } from 'drizzle-orm';
import { connect, withTenant, type DbHandle } from '../../../functions/adapters/db/client.js';
import { startFreepikEmulator, type FreepikEmulator } from '../../../local/emulators/freepik/emulator.js';
import { createImageSource } from '../../../functions/adapters/freepik/image-source.js';
import { defaultPricing } from '../../../functions/adapters/freepik/config.js';
import { createPgQuotaGuard } from '../../../functions/adapters/limits/pg-quota.js';
import { createPgTokenBucket } from '../../../functions/adapters/limits/pg-token-bucket.js';
import { createPgUsageRecorder } from '../../../functions/adapters/limits/pg-usage-recorder.js';
import type { FreepikClient } from '../../../functions/adapters/freepik/client.js';
import type { UsageRecord } from '../../../functions/domain/sourcing-ports.js';
import { AppError } from '../../../functions/shared/errors.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { emulatorClient, expectRowsMatchCalls } from './support.js';

let t: TestDatabase;
let emu: FreepikEmulator;
let second: DbHandle;

async function org(slug: string, quota: { credits?: number | null; usd?: string | null } = {}): Promise<string> {
  const [r] = await t.owner`insert into organizations (name, slug, monthly_credit_quota, monthly_budget_usd)
    values (${slug}, ${slug}, ${quota.credits ?? null}, ${quota.usd ?? null}) returning id`;
  return r.id as string;
}
async function usageRows(orgId: string) {
  return t.owner`select endpoint, method, status_code, outcome, credits::float8 as credits, cost_usd::float8 as cost_usd,
      retry_number, error_code, request_id, provider
    from api_usage where organization_id = ${orgId} order by id`;
}

/** Two "Lambda instances": separate pools, separate clients, one bucket row. */
function clientsSharingBucket(key: string, bucket: { capacity: number; refillPerSecond: number }, deadlineMs: number) {
  return [t.app, second].map((h) =>
    emulatorClient(
      emu.url,
      createPgUsageRecorder(h.db),
      { deadlineMs },
      { rateLimiter: createPgTokenBucket(h.db, { key, ...bucket }) },
    ),
  );
}
/** Three searches from each caller at once. */
const threeSearchesEach = (callers: FreepikClient[], orgId: string, label: string) =>
  Promise.allSettled(callers.flatMap((c) => [1, 2, 3].map((i) => c.search({ orgId }, { term: `${label} ${i}` }))));

/** The image source as a Lambda wires it: emulator client, PostgreSQL usage rows and quota. */
const pgImageSource = () =>
  createImageSource({
    client: emulatorClient(emu.url, createPgUsageRecorder(t.app.db)),
    quota: createPgQuotaGuard(t.app.db),
    pricing: defaultPricing,
  });

/** A usage row for `orgId`; the fields a test does not care about have plausible values. */
const usageRecord = (organizationId: string, over: Partial<UsageRecord> = {}): UsageRecord => ({
  organizationId,
  provider: 'freepik',
  endpoint: 'GET /v1/resources',
  method: 'GET',
  statusCode: 200,
  outcome: 'success',
  latencyMs: 5,
  credits: 0,
  costUsd: 0,
  retryNumber: 0,
  ...over,
});

beforeAll(async () => {
  t = await createTestDatabase();
  second = connect(t.appUrl, { max: 3, appName: 'svp-test-2' });
  emu = await startFreepikEmulator();
});
afterAll(async () => {
  await emu?.close();
  await second?.close();
  await t?.drop();
});
beforeEach(() => emu.reset());

describe('global token bucket (rate_limit_buckets)', () => {
  test('two concurrent callers share one bucket: exactly its capacity gets through, the rest is refused without an HTTP call', async () => {
    const orgId = await org('bucket-a');
    const key = 'freepik:global:test-share';
    const callers = clientsSharingBucket(key, { capacity: 3, refillPerSecond: 0.0001 }, 2_000);
    const results = await threeSearchesEach(callers, orgId, 'share');
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(3);
    expect(refused).toHaveLength(3);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(AppError);
      expect(r.reason).toMatchObject({ code: 'rate_limited', retryable: true });
    }
    expect(emu.calls()).toHaveLength(3);
    const rows = await usageRows(orgId);
    expect(rows).toHaveLength(3);
    const [bucket] = await t.owner`select tokens, capacity from rate_limit_buckets where key = ${key}`;
    expect(bucket.capacity).toBe(3);
    expect(bucket.tokens).toBeLessThan(1);
  });

  test('callers wait for refill instead of failing when the deadline allows it', async () => {
    const orgId = await org('bucket-b');
    const key = 'freepik:global:test-wait';
    const callers = clientsSharingBucket(key, { capacity: 1, refillPerSecond: 25 }, 10_000);
    const results = await threeSearchesEach(callers, orgId, 'wait');
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(emu.calls()).toHaveLength(6);
    expect(await usageRows(orgId)).toHaveLength(6);
  });
});

describe('per-tenant monthly quota', () => {
  test('a tenant over its credit quota is stopped before any HTTP call; spend was recorded atomically before', async () => {
    const orgId = await org('quota-credits', { credits: 1 });
    const src = pgImageSource();
    const first = await src.source({ orgId, spec: { source: 'ai', prompt: 'a paper boat' } });
    expect(first.creditsSpent).toBe(1);
    const [counter] =
      await t.owner`select credits::float8 as credits, cost_usd::float8 as cost_usd, calls from usage_counters where organization_id = ${orgId}`;
    expect(counter).toEqual({ credits: 1, cost_usd: defaultPricing.textToImage.costUsd, calls: 1 });

    emu.reset();
    const before = (await usageRows(orgId)).length;
    for (const spec of [
      { source: 'ai' as const, prompt: 'another boat' },
      { source: 'stock' as const, query: 'boat' },
    ]) {
      const e = await src.source({ orgId, spec }).catch((x) => x);
      expect(e).toBeInstanceOf(AppError);
      expect(e.code).toBe('quota_exceeded');
      expect(e.message).toMatch(/credit quota reached: 1 of 1/);
    }
    expect(emu.calls()).toEqual([]);
    expect(await usageRows(orgId)).toHaveLength(before);
  });

  test('a money budget too small for an AI image refuses it with zero calls, while free stock still works', async () => {
    const orgId = await org('quota-budget', { usd: '0.0010' });
    const src = pgImageSource();
    await expect(src.source({ orgId, spec: { source: 'ai', prompt: 'too expensive' } })).rejects.toMatchObject({
      code: 'quota_exceeded',
      detail: { limit: 'budget_usd' },
    });
    expect(emu.calls()).toEqual([]);
    const img = await src.source({
      orgId,
      spec: { source: 'stock', query: 'free things' },
      aspect: 'square',
      preferredSize: 'small',
    });
    expect(img.license.type).toBe('freemium');
    expect(emu.calls().length).toBeGreaterThan(0);
  });

  test("last month's spend does not count against this month", async () => {
    const orgId = await org('quota-month', { credits: 1 });
    await t.owner`insert into usage_counters (organization_id, month, credits, cost_usd, calls)
      values (${orgId}, (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date, 50, 5, 50)`;
    await expect(
      createPgQuotaGuard(t.app.db).assertWithinQuota(orgId, { credits: 1, costUsd: 0.005 }),
    ).resolves.toBeUndefined();
  });
});

describe('metering (api_usage)', () => {
  test('one row per HTTP attempt, retries and failures included, matching the emulator one for one', async () => {
    const orgId = await org('meter');
    const requestId = '5e1ec7ed-0000-4000-8000-0000000000aa';
    const src = pgImageSource();
    emu.setFaults({
      rules: [
        { match: 'GET /v1/resources', times: 1, fault: { kind: 'status', status: 429 } },
        { match: 'files', times: 1, fault: { kind: 'status', status: 503 } },
        { match: 'POST /v1/ai/text-to-image', times: 1, fault: { kind: 'status', status: 503 } },
      ],
    });
    await src.source({ orgId, requestId, spec: { source: 'stock', query: 'green hills' }, aspect: 'wide' });
    await src.source({ orgId, requestId, spec: { source: 'ai', prompt: 'green hills at dawn' }, aspect: 'wide' });
    const rows = await usageRows(orgId);
    const calls = emu.calls();
    expectRowsMatchCalls(
      rows.map((r) => ({ endpoint: r.endpoint as string, statusCode: r.status_code as number | null })),
      calls,
    );
    expect(rows.map((r) => [r.endpoint, r.status_code, r.outcome, r.retry_number, r.credits])).toEqual([
      ['GET /v1/resources', 429, 'retryable_error', 0, 0],
      ['GET /v1/resources', 200, 'success', 1, 0],
      ['GET /v1/resources/{id}/download', 200, 'success', 0, 0],
      ['GET {signed-download-url}', 503, 'retryable_error', 0, 0],
      ['GET {signed-download-url}', 200, 'success', 1, 0],
      ['POST /v1/ai/text-to-image', 503, 'retryable_error', 0, 0],
      ['POST /v1/ai/text-to-image', 200, 'success', 1, 1],
    ]);
    expect(rows.every((r) => r.request_id === requestId && r.provider === 'freepik')).toBe(true);
    expect(rows[5].error_code).toBe('http_503');

    // A paid generation cut off mid-answer may have been carried out (and billed): it is metered
    // once and not repeated; the request fails saying so instead of paying twice.
    const cut = '5e1ec7ed-0000-4000-8000-0000000000ab';
    emu.setFaults({ rules: [{ match: 'POST /v1/ai/text-to-image', times: 1, fault: { kind: 'reset' } }] });
    const e = await src
      .source({ orgId, requestId: cut, spec: { source: 'ai', prompt: 'green hills at dusk' }, aspect: 'wide' })
      .then(
        () => undefined,
        (x: unknown) => x,
      );
    expect(e).toMatchObject({ code: 'upstream_uncertain', retryable: false });
    expect((await usageRows(orgId)).filter((r) => r.request_id === cut).map((r) => [r.endpoint, r.outcome])).toEqual([
      ['POST /v1/ai/text-to-image', 'network_error'],
    ]);
  });

  test('rows are tenant data: another tenant sees none of them', async () => {
    const a = await org('rls-a');
    const b = await org('rls-b');
    await createPgUsageRecorder(t.app.db).record(usageRecord(a));
    const seen = (orgId: string) =>
      withTenant(
        t.app.db,
        { orgId },
        async (tx) => (await tx.execute<{ n: number }>(sql`select count(*)::int as n from api_usage`))[0].n,
      );
    expect(await seen(a)).toBe(1);
    expect(await seen(b)).toBe(0);
  });

  test('concurrent paid calls add up exactly in usage_counters', async () => {
    const orgId = await org('counter');
    const rec = createPgUsageRecorder(t.app.db);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        rec.record(
          usageRecord(orgId, {
            endpoint: 'POST /v1/ai/mystic',
            method: 'POST',
            latencyMs: 1,
            credits: 1,
            costUsd: 0.11,
            requestId: i % 2 ? 'not-a-uuid' : null,
          }),
        ),
      ),
    );
    const [c] =
      await t.owner`select credits::float8 as credits, cost_usd::numeric::text as cost, calls from usage_counters where organization_id = ${orgId}`;
    expect(c).toEqual({ credits: 20, cost: '2.200000', calls: 20 });
  });
});
