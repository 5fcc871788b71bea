/**
 * Restart recovery where resuming at the exact state is impossible or must not happen: requests
 * without a checkpoint (left by a process that died before writing one, or by a version without
 * checkpoints) are re-driven in the same run from their interrupted step, marked on the timeline
 * as a restart; one that keeps getting interrupted is failed with the reason; checkpoints of
 * requests that ended meanwhile are dropped. (The resume path itself: test/e2e/restart.test.ts.)
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLocalStack, type LocalStack } from '../../../local/stack/stack.js';
import { startWorkflowHarness, type WorkflowHarness } from './support.js';

let h: WorkflowHarness;
let second: LocalStack | undefined;
let third: LocalStack | undefined;
let fourth: LocalStack | undefined;
/** Requests the first test leaves waiting for approval. */
const waitingIds: string[] = [];
beforeAll(async () => {
  h = await startWorkflowHarness();
});
afterAll(async () => {
  await fourth?.stop();
  await third?.stop();
  await second?.stop();
  await h?.close();
});

const restart = () =>
  startLocalStack({
    dataDir: h.dataDir,
    port: 0,
    databaseUrl: h.t.ownerUrl,
    appDatabaseUrl: h.t.appUrl,
    freepik: 'emulator',
    api: false,
    scheduler: false,
    outbox: false,
    log: () => {},
  });
const checkpoints = async () =>
  await h.t.owner<{ execution_name: string; state: string; interruptions: number }[]>`
  SELECT execution_name, state, interruptions FROM local_runner.execution_checkpoints ORDER BY execution_name`;

// A waiting request goes back to its wait and nobody is mailed twice.
test('without checkpoints, the same run is re-driven from the interrupted step; one interrupted again and again is failed', async () => {
  // 1. One request waiting for approval, one caught while sourcing, one never started, one interrupted three times before.
  const waiting = await h.submit({ platforms: ['instagram_square'] });
  await h.stack.runner.waitForToken(waiting.executionName, undefined, 90_000);
  h.stack.freepik.emulator!.setFaults({
    rules: [{ match: 'GET /v1/resources', fault: { kind: 'slow', delayMs: 2000 } }],
  });
  const midFlight = await h.submit({ platforms: ['instagram_square'] });
  await h.waitForStatus(midFlight.requestId, ['sourcing'], 30_000);
  const neverStarted = await h.insert({ platforms: ['instagram_square'] });
  const unlucky = await h.insert();
  await h.t.owner`UPDATE content_requests SET status = 'composing' WHERE id = ${unlucky}`;
  await h.t.owner`INSERT INTO request_steps (organization_id, request_id, run, step, status, detail)
    VALUES (${h.acme.orgId}, ${unlucky}, 1, 'recovered', 'succeeded', '{"reason":"restart","restarts":3,"interrupted":3}')`;

  const approvalsOf = (id: string) =>
    h.t.owner<
      { id: string; run: number; status: string; due_at: Date }[]
    >`SELECT id, run, status, due_at FROM content_approvals WHERE request_id = ${id} ORDER BY step_index`;
  const liveLinks = (approvalId: string) =>
    h.t.owner<
      { id: string }[]
    >`SELECT id FROM approval_links WHERE approval_id = ${approvalId} AND revoked_at IS NULL ORDER BY id`;
  const mails = async (id: string) =>
    (
      await h.t.owner<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM outbox o JOIN content_approvals a ON o.dedupe_key LIKE 'approval-link:' || a.id || ':%'
    WHERE a.request_id = ${id}`
    )[0].n;
  const [approvalBefore] = await approvalsOf(waiting.requestId);
  const linksBefore = await liveLinks(approvalBefore.id);
  expect(linksBefore.length).toBeGreaterThan(0);

  // 2. The process goes away, and with it (this time) every checkpoint.
  await h.stack.stop();
  h.stack.freepik.emulator!.reset();
  await h.t.owner`DELETE FROM local_runner.execution_checkpoints`;
  const mailsBefore = await mails(waiting.requestId);
  expect(mailsBefore).toBeGreaterThanOrEqual(1);
  expect((await h.row(waiting.requestId)).status).toBe('awaiting_approval');
  expect((await h.row(midFlight.requestId)).status).toBe('sourcing');

  // 3. A new process on the same database and data directory.
  second = await restart();
  expect(second.recovery.resumed).toEqual([]);
  expect(second.recovery.redriven.map((r) => [r.requestId, r.fromStatus, r.run, r.state]).sort()).toEqual(
    [
      [waiting.requestId, 'awaiting_approval', 1, 'Start approvals'],
      [midFlight.requestId, 'sourcing', 1, 'Source image'],
      [neverStarted, 'queued', 1, 'Validate brief'],
    ].sort(),
  );
  expect(second.recovery.failed).toEqual([expect.objectContaining({ requestId: unlucky, fromStatus: 'composing' })]);

  for (const id of [waiting.requestId, midFlight.requestId, neverStarted]) {
    await second.runner.waitForToken(`req-${id}-r1`, 'Await approval', 90_000);
    expect(await h.row(id)).toMatchObject({ status: 'awaiting_approval', run: 1 });
    waitingIds.push(id);
  }
  // Back at its wait with the same approval step, deadline and links; no mail sent for it again.
  expect(await approvalsOf(waiting.requestId)).toEqual([approvalBefore]);
  expect(await liveLinks(approvalBefore.id)).toEqual(linksBefore);
  expect(await mails(waiting.requestId)).toBe(mailsBefore);
  // The timeline: one entry per step as before, plus one saying a restart re-drove it.
  const steps = await h.steps(waiting.requestId);
  expect(steps.every((s) => s.run === 1)).toBe(true);
  expect(steps.filter((s) => s.step === 'recovered')).toEqual([
    expect.objectContaining({
      detail: {
        reason: 'restart',
        fromStatus: 'awaiting_approval',
        resumedAt: 'Start approvals',
        restarts: 1,
        interrupted: 0,
      },
    }),
  ]);
  expect(steps.filter((s) => s.step === 'source')).toHaveLength(1);
  // The mid-flight one bought its image once.
  const [{ n }] = await h.t
    .owner`SELECT count(*)::int AS n FROM api_usage WHERE request_id = ${midFlight.requestId} AND outcome = 'success'
      AND endpoint = 'GET /v1/resources/{id}/download'`;
  expect(n).toBe(1);
  const failed = await h.row(unlucky);
  expect(failed.status).toBe('failed');
  expect(failed.failure).toMatchObject({ code: 'interrupted' });
  expect(failed.failure.message).toMatch(/Interrupted by 4 restarts while composing/);
});

test('a checkpoint found mid-flight by more restarts than allowed fails its request; checkpoints of requests that ended meanwhile are dropped', async () => {
  // Continues from the first test: `second` runs, three requests wait for approval.
  const crashing = await h.insert({ platforms: ['instagram_square'] });
  const cancelled = await h.insert({ platforms: ['instagram_square'] });
  const base = { orgId: h.acme.orgId, run: 1 };
  second!.freepik.emulator!.setFaults({
    rules: [{ match: 'GET /v1/resources', fault: { kind: 'slow', delayMs: 3000 } }],
  });
  await second!.runner.start({ ...base, requestId: crashing });
  await second!.runner.start({ ...base, requestId: cancelled });
  await h.waitForStatus(crashing, ['sourcing'], 30_000);
  await second!.stop();
  // As if three earlier restarts had found it in "Source image" already; the other was cancelled meanwhile.
  await h.t
    .owner`UPDATE local_runner.execution_checkpoints SET interruptions = 3 WHERE execution_name = ${`req-${crashing}-r1`}`;
  await h.t.owner`UPDATE content_requests SET status = 'cancelled' WHERE id = ${cancelled}`;
  expect((await checkpoints()).map((c) => c.execution_name)).toEqual(
    expect.arrayContaining([`req-${crashing}-r1`, `req-${cancelled}-r1`]),
  );

  third = await restart();
  expect(third.recovery.failed).toEqual([expect.objectContaining({ requestId: crashing, fromStatus: 'sourcing' })]);
  expect((await h.row(crashing)).failure.message).toMatch(/Interrupted by 4 restarts while sourcing/);
  expect(third.recovery.resumed.map((r) => r.requestId)).not.toContain(cancelled);
  expect(third.runner.describe(`req-${cancelled}-r1`)).toBeUndefined();
  await third.runner.close();
  const left = (await checkpoints()).map((c) => c.execution_name);
  expect(left).not.toContain(`req-${crashing}-r1`);
  expect(left).not.toContain(`req-${cancelled}-r1`);
  // The three waiting ones are still saved (parked, so never counted as interrupted).
  expect((await checkpoints()).filter((c) => c.state === 'Await approval')).toEqual(
    expect.arrayContaining([expect.objectContaining({ interruptions: 0 })]),
  );
  expect((await checkpoints()).filter((c) => c.state === 'Await approval')).toHaveLength(3);
});

test('a step decided while the stack went down, its answer never sent, is answered at the next start', async () => {
  await third!.stop();
  const id = waitingIds[0];
  // What the review page commits before it answers the task: the decision and the closed step.
  const [step] = await h.t.owner<
    { id: string }[]
  >`SELECT id FROM content_approvals WHERE request_id = ${id} AND status = 'pending'`;
  await h.t.owner`INSERT INTO approval_decisions (organization_id, approval_id, approver_id, decision)
    VALUES (${h.acme.orgId}, ${step.id}, ${h.stack.seed.userIds['approver@acme.test']}, 'approve')`;
  await h.t.owner`UPDATE content_approvals SET status = 'approved', decided_at = now() WHERE id = ${step.id}`;

  fourth = await restart();
  expect(fourth.recovery.answered).toEqual([{ orgId: h.acme.orgId, requestId: id, approvalId: step.id }]);
  // The execution went on: the next step of the seeded two-step workflow waits now.
  await fourth.runner.waitForToken(`req-${id}-r1`, 'Await approval', 60_000);
  const steps = await h.t.owner<{ step_index: number; status: string; sent: boolean }[]>`
    SELECT step_index, status, callback_sent_at IS NOT NULL AS sent FROM content_approvals WHERE request_id = ${id} ORDER BY step_index`;
  expect(steps).toEqual([
    { step_index: 0, status: 'approved', sent: true },
    { step_index: 1, status: 'pending', sent: false },
  ]);
  // The others were left alone.
  expect(fourth.recovery.answered.map((a) => a.requestId)).toEqual([id]);
});
