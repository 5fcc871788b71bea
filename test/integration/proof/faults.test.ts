/**
 * The fault suite: each failure the design summary names, injected into the real pipeline (the
 * synthesized state machine on the local runner, the real task handlers, PostgreSQL, s3rver, the
 * Freepik emulator with its fault knobs), and what a user then sees. Every request ends in a
 * defined state: succeeded after retries (here: waiting for approval), or failed with a reason
 * code and message — never stuck in a working status with nothing running.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startLocalS3, type LocalS3 } from '../../../local/servers/s3-server.js';
import { createObjectStore } from '../../../functions/adapters/storage/object-store.js';
import { LocalWorkflowRunner } from '../../../local/workflow/local-runner.js';
import type { FaultPlan } from '../../../local/emulators/freepik/emulator.js';
import { recoverInterruptedRequests } from '../../../local/workflow/recovery.js';
import { executionNameFor } from '../../../functions/domain/ports.js';
import { isTerminal, type RequestStatus } from '../../../functions/domain/request-status.js';
import { provide } from '../../../functions/handlers/composition/root.js';
import { LOCAL_BUCKET } from '../../../local/stack/stack.js';
import { envOverrides, startWorkflowHarness, type RequestRowView, type WorkflowHarness } from '../workflow/support.js';

let h: WorkflowHarness;
let s3: LocalS3;
let dataDir: string;
const ENV: Record<string, string> = {
  // Fast client-side retries and short timeouts, so the state machine's own Retry is reached quickly.
  FREEPIK_MAX_RETRIES: '1',
  FREEPIK_BACKOFF_BASE_MS: '10',
  FREEPIK_BACKOFF_MAX_MS: '20',
  FREEPIK_TIMEOUT_MS: '800',
  FREEPIK_DOWNLOAD_TIMEOUT_MS: '800',
  FREEPIK_DEADLINE_MS: '4000',
};
const env = envOverrides();

beforeAll(async () => {
  env.set(ENV);
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'svp-proof-faults-'));
  // State machine retry pauses shortened (the definition's 1 s, 2 s, 4 s... would only slow the suite).
  h = await startWorkflowHarness({ dataDir, retryDelayMs: 300 });
  // Our own s3rver over the stack's S3 directory (same objects), so the test can take it down.
  s3 = await startLocalS3({ dir: path.join(dataDir, 's3'), buckets: [LOCAL_BUCKET] });
  // Also drops whatever was built on the stack's store (providing replaces it everywhere).
  provide('store', createObjectStore({ bucket: LOCAL_BUCKET, endpoint: s3.endpoint }));
}, 180_000);

afterAll(async () => {
  await h?.close();
  await s3?.close().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
  env.restore();
});

afterEach(() => h.settle());

const SETTLED: RequestStatus[] = [
  'awaiting_approval',
  'published',
  'rejected',
  'changes_requested',
  'failed',
  'cancelled',
];

/**
 * Waits until the request rests: final, or waiting for approval. Fails fast with "stuck" when the
 * execution of its current run ended while the request still claims to be working.
 */
async function settle(
  requestId: string,
  timeoutMs = 90_000,
  runner: LocalWorkflowRunner = h.stack.runner,
): Promise<RequestRowView> {
  const until = Date.now() + timeoutMs;
  let endedAt: number | undefined;
  for (;;) {
    const r = await h.row(requestId);
    if (SETTLED.includes(r.status as RequestStatus)) return r;
    const exec = runner.describe(executionNameFor(requestId, r.run));
    if (exec && exec.status !== 'RUNNING') {
      // Give the last write a moment to land; then the request is stuck.
      endedAt ??= Date.now();
      if (Date.now() - endedAt > 2000)
        throw new Error(
          `request ${requestId} is stuck: status ${r.status}, execution ${exec.status} (${exec.error}: ${exec.cause})`,
        );
    }
    if (Date.now() > until)
      throw new Error(`request ${requestId} still ${r.status} after ${timeoutMs} ms (execution ${exec?.status})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const usage = (requestId: string) => h.t.owner<{ outcome: string; endpoint: string; status_code: number | null }[]>`
  SELECT outcome, endpoint, status_code FROM api_usage WHERE request_id = ${requestId} ORDER BY id`;

/** The metered download-link call (what Freepik counts as a download); the signed-URL fetch is free. */
const PAID_DOWNLOAD = /^GET \/v1\/resources\/\{id\}\/download$/;

async function submitWith(faults: FaultPlan) {
  h.stack.freepik.emulator!.setFaults(faults);
  return h.submit({ platforms: ['instagram_square'] });
}

/** The request failed at sourcing with `code`, a readable message, and nothing after sourcing ran. */
async function expectFailedAtSource(requestId: string, code: string, message: RegExp) {
  const r = await settle(requestId);
  expect(r.status, JSON.stringify(r.failure)).toBe('failed');
  expect(r.failure).toMatchObject({ state: 'Source image', code });
  expect(r.failure.message).toMatch(message);
  const steps = await h.steps(requestId);
  expect(steps.find((s) => s.step === 'source')).toMatchObject({ status: 'failed' });
  expect(steps.some((s) => s.step === 'compose')).toBe(false);
  // Nothing was stored as the request's image.
  const [{ n }] = await h.t.owner`SELECT count(*)::int AS n FROM generated_assets WHERE request_id = ${requestId}`;
  expect(n).toBe(0);
}

/** The request reached the approval wait, and the image was bought exactly once. */
async function expectRecovered(requestId: string) {
  const r = await settle(requestId);
  expect(r.status, JSON.stringify(r.failure)).toBe('awaiting_approval');
  const downloads = (await usage(requestId)).filter((u) => u.outcome === 'success' && PAID_DOWNLOAD.test(u.endpoint));
  expect(downloads, JSON.stringify(await usage(requestId))).toHaveLength(1);
}

describe('Freepik misbehaving', () => {
  test('a short 429 storm is ridden out by the retries: the request reaches approval, the image bought once', async () => {
    const { requestId } = await submitWith({
      rules: [{ match: 'api', times: 5, fault: { kind: 'status', status: 429, retryAfter: '0' } }],
    });
    await expectRecovered(requestId);
    expect((await usage(requestId)).filter((u) => u.status_code === 429)).toHaveLength(5);
    expect(h.events.some((e) => e.type === 'state_retried' && e.requestId === requestId)).toBe(true);
  });

  test('a 429 storm that does not end fails the request as upstream_unavailable after bounded retries', async () => {
    const { requestId } = await submitWith({
      rules: [{ match: 'api', fault: { kind: 'status', status: 429, retryAfter: '0' } }],
    });
    await expectFailedAtSource(requestId, 'upstream_unavailable', /Freepik is unavailable|429/);
    // Bounded: the client's 2 attempts x the state machine's attempts (1 + MaxAttempts), no more.
    // The transient retrier's (the first one takes only throttled invokes of the function).
    const retry = (
      h.stack.runner.workflow.definition.States['Source image'].Retry as Array<{
        ErrorEquals: string[];
        MaxAttempts: number;
      }>
    ).find((r) => r.ErrorEquals.includes('Transient.upstream_unavailable'))!;
    const calls = h.stack.freepik.emulator!.calls().filter((c) => c.status === 429);
    expect(calls.length).toBeGreaterThanOrEqual(retry.MaxAttempts + 1);
    expect(calls.length).toBeLessThanOrEqual(2 * (retry.MaxAttempts + 1));
  });

  test('5xx answers: a few are retried through, a lasting outage fails with the reason', async () => {
    const brief = await submitWith({ rules: [{ match: 'api', times: 3, fault: { kind: 'status', status: 503 } }] });
    await expectRecovered(brief.requestId);
    h.stack.freepik.emulator!.reset();
    const lasting = await submitWith({ rules: [{ match: 'api', fault: { kind: 'status', status: 500 } }] });
    await expectFailedAtSource(lasting.requestId, 'upstream_unavailable', /unavailable|500/);
  });

  test('answers slower than the timeout: timed-out calls are retried, and a provider that never answers in time fails the request', async () => {
    const once = await submitWith({
      rules: [{ match: 'GET /v1/resources', times: 2, fault: { kind: 'slow', delayMs: 2000 } }],
    });
    await expectRecovered(once.requestId);
    h.stack.freepik.emulator!.reset();
    const never = await submitWith({ rules: [{ match: 'GET /v1/resources', fault: { kind: 'slow', delayMs: 2000 } }] });
    await expectFailedAtSource(never.requestId, 'upstream_unavailable', /timed out|unavailable/);
  });

  test('malformed JSON from the API is treated as a transient fault and fails cleanly when it persists', async () => {
    const { requestId } = await submitWith({
      rules: [{ match: 'GET /v1/resources', fault: { kind: 'malformed_json' } }],
    });
    await expectFailedAtSource(requestId, 'upstream_unavailable', /not JSON|unavailable/);
  });

  test('non-image bytes behind the download link: failed as invalid_image, not retried', async () => {
    const { requestId } = await submitWith({ rules: [{ match: 'files', fault: { kind: 'non_image' } }] });
    await expectFailedAtSource(requestId, 'invalid_image', /not a JPEG, PNG or WebP/);
    expect(h.events.filter((e) => e.type === 'state_retried' && e.requestId === requestId)).toEqual([]);
  });

  test('a decompression bomb (tiny PNG claiming 100k x 100k pixels) is refused before decoding', async () => {
    const { requestId } = await submitWith({
      rules: [{ match: 'files', fault: { kind: 'pixel_bomb', width: 100_000, height: 100_000 } }],
    });
    await expectFailedAtSource(requestId, 'invalid_image', /megapixels/);
  });

  test('a download redirected to the cloud metadata address is refused as unsafe_download', async () => {
    const { requestId } = await submitWith({ rules: [{ match: 'files', fault: { kind: 'redirect' } }] });
    await expectFailedAtSource(requestId, 'unsafe_download', /./);
    const r = await h.row(requestId);
    // The reason never echoes the internal address back as something fetched.
    expect(JSON.stringify(r.failure)).not.toMatch(/security-credentials/);
  });
});

describe('infrastructure going away', () => {
  test('S3 unavailable for a while mid-pipeline: the request completes after retries or fails with a visible reason', async () => {
    // Hold the request in sourcing, take S3 down, bring it back on the same port and directory.
    h.stack.freepik.emulator!.setFaults({
      rules: [{ match: 'GET /v1/resources', times: 1, fault: { kind: 'slow', delayMs: 400 } }],
    });
    const { requestId } = await h.submit({ platforms: ['instagram_square', 'facebook'] });
    await h.waitForStatus(requestId, ['sourcing'], 30_000);
    const port = s3.port;
    await s3.close();
    await new Promise((r) => setTimeout(r, 2500));
    s3 = await startLocalS3({ dir: path.join(dataDir, 's3'), buckets: [LOCAL_BUCKET], port });
    const r = await settle(requestId);
    expect(['awaiting_approval', 'failed'], JSON.stringify(r.failure)).toContain(r.status);
    if (r.status === 'failed') {
      expect(r.failure.code).toBeTruthy();
      expect(r.failure.message.length).toBeGreaterThan(5);
    }
    // Once S3 is back, a retry of the same request goes through without buying the image again
    // if it was stored (and buys it at most once more if it was not).
    if (r.status === 'failed') {
      const { startNewRun } = await import('../../../local/workflow/recovery.js');
      await startNewRun(h.stack.db.db, h.stack.runner, { orgId: h.acme.orgId, requestId, expectedRun: r.run });
      expect((await settle(requestId)).status).toBe('awaiting_approval');
    }
    // The image bought before S3 went away was kept, not bought again by a retry.
    const downloads = (await usage(requestId)).filter((u) => u.outcome === 'success' && PAID_DOWNLOAD.test(u.endpoint));
    expect(downloads).toHaveLength(1);
  });

  test('the database going away mid-pipeline (every app connection killed, again and again, for 2.5 s): no request is left stuck, no crash', async () => {
    // Its own connection, outside the database under attack (only the app role's backends are killed).
    const adminUrl = new URL(h.t.ownerUrl);
    adminUrl.pathname = '/postgres';
    const control = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
    try {
      await control`SELECT 1`;
      const { requestId } = await h.submit({ platforms: ['instagram_square', 'facebook', 'instagram_story'] });
      await h.waitForStatus(requestId, ['rendering'], 60_000);
      // What a restart or failover looks like to the app: every connection drops, and the new
      // ones drop too until it is over. (Before bin/patch-postgres.mjs this crashed the
      // process from inside the driver; vitest reports such a crash as an unhandled error.)
      const until = Date.now() + 2500;
      while (Date.now() < until) {
        await control`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${h.t.name} AND usename = 'svp_app'`;
        await new Promise((r) => setTimeout(r, 50));
      }
      const r = await settle(requestId);
      expect(['awaiting_approval', 'failed'], JSON.stringify(r.failure)).toContain(r.status);
      if (r.status === 'failed') expect(r.failure.code).toBeTruthy();
    } finally {
      await control.end({ timeout: 5 });
    }
  });

  test('killed mid-render (no checkpoint) and restarted: the same run is re-driven from rendering to its approval wait, nothing bought twice', async () => {
    const { requestId, executionName } = await h.submit({
      platforms: ['instagram_square', 'facebook', 'instagram_story'],
    });
    // The moment a variant starts rendering, the "process" dies: the execution is gone and no
    // task records anything about it (the status stays "rendering").
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error('never reached Render variant'));
      }, 60_000);
      const off = h.stack.runner.onEvent((e) => {
        if (e.requestId === requestId && e.type === 'state_entered' && e.state === 'Render variant') {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    });
    await h.waitForStatus(requestId, ['rendering'], 30_000);
    await h.stack.runner.stop({ executionName, reason: 'process killed' });
    expect((await h.row(requestId)).status).toBe('rendering');

    // A new process: a fresh runner (same synthesized definition) that has no checkpoints (the
    // dead one wrote none), then the startup recovery.
    const runner = await LocalWorkflowRunner.create({ workflow: h.stack.runner.workflow, retryDelayMs: 300 });
    provide('workflow', runner);
    const owner = postgres(h.t.ownerUrl, { max: 1, onnotice: () => {} });
    try {
      const report = await recoverInterruptedRequests({ ownerSql: owner, db: h.stack.db.db, runner });
      expect(report.redriven).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ requestId, fromStatus: 'rendering', run: 1, state: 'Render variants' }),
        ]),
      );
      const r = await settle(requestId, 90_000, runner);
      // The same run: a restart is not something the user did.
      expect(r).toMatchObject({ status: 'awaiting_approval', run: 1 });
      // One variant per platform (the dead process's half-finished render wrote the same keys).
      const variants = await h.t.owner<
        { platform: string }[]
      >`SELECT platform FROM asset_variants WHERE request_id = ${requestId} ORDER BY platform`;
      expect(variants.map((v) => v.platform)).toEqual(['facebook', 'instagram_square', 'instagram_story']);
      // One image per layout group that needs its own (the story a tall one), each bought once.
      const downloads = (await usage(requestId)).filter(
        (u) => u.outcome === 'success' && PAID_DOWNLOAD.test(u.endpoint),
      );
      const [bought] = await h.t.owner<{ images: number; decided: number }[]>`SELECT
        (SELECT count(*) FROM generated_assets WHERE request_id = ${requestId})::int AS images,
        (SELECT coalesce(sum(downloads), 0) FROM request_sourcing WHERE request_id = ${requestId})::int AS decided`;
      expect(bought.images).toBeGreaterThanOrEqual(2);
      expect(downloads).toHaveLength(bought.decided);
      // Only the interrupted step ran again (nothing before it), and the timeline says a restart did it.
      const steps = await h.steps(requestId, 1);
      expect(steps.filter((s) => s.step === 'source')).toEqual([
        expect.objectContaining({ status: 'succeeded', detail: expect.objectContaining({ attempts: 1 }) }),
      ]);
      expect(steps.find((s) => s.step === 'recovered')?.detail).toMatchObject({
        reason: 'restart',
        fromStatus: 'rendering',
        resumedAt: 'Render variants',
        restarts: 1,
      });
      // Every request the "dead" process left behind is at rest or running again: none is stuck.
      const [{ n }] = await h.t.owner`SELECT count(*)::int AS n FROM content_requests
        WHERE status NOT IN ('awaiting_approval','published','rejected','changes_requested','failed','cancelled')`;
      if (n > 0) {
        const rows = await h.t.owner<
          { id: string; status: RequestStatus; run: number }[]
        >`SELECT id, status, run FROM content_requests`;
        for (const row of rows.filter((x) => !isTerminal(x.status) && x.status !== 'awaiting_approval')) {
          expect(runner.describe(executionNameFor(row.id, row.run))?.status, `request ${row.id} (${row.status})`).toBe(
            'RUNNING',
          );
        }
      }
    } finally {
      await owner.end({ timeout: 5 });
      await runner.close();
      provide('workflow', h.stack.runner);
    }
  });
});
