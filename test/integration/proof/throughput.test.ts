/**
 * The throughput bench (bench/throughput.ts) scaled down to 40 requests submitted at once through
 * the HTTP API, with a hostile-ish Freepik (latency, seeded 429/503 on ~15% of API calls):
 * the invariants the full 1,000-request run must keep, not its timings. Then a restart with
 * every request waiting: each is back at its wait and nothing a user sees changed.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { benchThroughput, type BenchThroughputResult } from '../../../bench/throughput.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const N = 40;
let t: TestDatabase;
let r: BenchThroughputResult;

beforeAll(async () => {
  t = await createTestDatabase();
  r = await benchThroughput({
    n: N,
    write: false,
    latencyMs: 50,
    latencyJitterMs: 150,
    rate429: 0.1,
    rate503: 0.05,
    seed: 7,
    retryDelayMs: 200,
    replays: 5,
    timeoutMs: 240_000,
    restartWaiting: 0,
    stack: { databaseUrl: t.ownerUrl, appDatabaseUrl: t.appUrl },
  });
}, 300_000);
afterAll(async () => {
  await t?.drop();
});

test('every request submitted at once is accepted once and rests: none lost, none duplicated, none stuck', () => {
  expect(r.submit).toMatchObject({ accepted: N, refused: 0 });
  expect(r.invariants).toMatchObject({
    rows: N,
    lost: 0,
    duplicated: 0,
    unsettled: 0,
    executionsPerRequestMax: 1,
    imagesBeyondGroups: 0,
  });
  const rested = Object.values(r.outcomes).reduce((a, b) => a + b, 0);
  expect(rested).toBe(N);
});

test('the faults really happened, and the retries absorbed them: requests reach approval with every variant', () => {
  expect(r.invariants.injected429 + r.invariants.injected503).toBeGreaterThan(0);
  // A compliance rejection (some stock images miss the brand palette) is a legitimate end; a
  // Freepik fault is not: the client's and the state machine's retries must absorb every one.
  expect(r.outcomes.failed ?? 0, JSON.stringify(r.failureReasons)).toBe(0);
  expect((r.outcomes.awaiting_approval ?? 0) + (r.outcomes.rejected ?? 0)).toBe(N);
  expect(r.outcomes.awaiting_approval ?? 0).toBeGreaterThanOrEqual(N / 2);
  expect(r.invariants.variantsMissing).toBe(0);
  expect(r.toApprovalWait.n).toBe(r.outcomes.awaiting_approval);
});

test('no Freepik download paid twice; metering matches what the provider saw', () => {
  expect(r.invariants.downloadsPaidTwice).toBe(0);
  expect(r.invariants.meteredDownloads).toBe(r.invariants.emulatorDownloads);
  expect(r.invariants.meteredDownloads).toBeGreaterThanOrEqual(r.outcomes.awaiting_approval ?? 0);
  expect(r.ok).toBe(true);
});

test('a restart with the burst waiting puts every request back on its wait and changes nothing a user sees', () => {
  const waiting = r.outcomes.awaiting_approval ?? 0;
  expect(waiting).toBeGreaterThan(0);
  expect(r.restart).toMatchObject({
    waiting,
    resumedWaiting: waiting,
    resumedWorking: 0,
    pendingTokens: waiting,
    redriven: 0,
    failed: 0,
    timelineRowsChanged: 0,
    runsChanged: 0,
    outboxRowsChanged: 0,
    statusesChanged: 0,
  });
});
