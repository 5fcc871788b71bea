/**
 * A restart of the local stack: executions lived in the old process, so whatever it left
 * unfinished is re-driven as a new run (a waiting request returns to its wait, a request caught
 * mid-flight completes), and a request that keeps getting interrupted is failed with the reason.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLocalStack, type LocalStack } from '../../../lib/local/stack.js';
import { startWorkflowHarness, type WorkflowHarness } from './support.js';

let h: WorkflowHarness;
let second: LocalStack | undefined;
beforeAll(async () => { h = await startWorkflowHarness(); });
afterAll(async () => {
  await second?.stop();
  await h?.close();
});

test('after a restart, interrupted requests are re-driven or failed with a reason; none stays stuck', async () => {
  // 1. One request waiting for approval, one caught while sourcing, one interrupted three times before.
  const waiting = await h.submit({ platforms: ['instagram_square'] });
  await h.stack.runner.waitForToken(waiting.executionName, undefined, 90_000);
  // A request parked at its wait through many earlier restarts is not "interrupted" for that.
  const parked = await h.submit({ platforms: ['instagram_square'] });
  await h.stack.runner.waitForToken(parked.executionName, undefined, 90_000);
  for (const note of [2, 3, 4]) {
    await h.t.owner`INSERT INTO request_steps (organization_id, request_id, run, step, status, detail) VALUES (${h.acme.orgId}, ${parked.requestId}, ${note + 10}, 'recovered', 'succeeded', '{"fromStatus":"awaiting_approval"}')`;
  }
  h.stack.freepik.emulator!.setFaults({ rules: [{ match: 'GET /v1/resources', fault: { kind: 'slow', delayMs: 2000 } }] });
  const midFlight = await h.submit({ platforms: ['instagram_square'] });
  await h.waitForStatus(midFlight.requestId, ['sourcing'], 30_000);
  const unlucky = await h.insert();
  await h.t.owner`UPDATE content_requests SET status = 'composing' WHERE id = ${unlucky}`;
  for (const run of [2, 3, 4]) {
    await h.t.owner`INSERT INTO request_steps (organization_id, request_id, run, step, status) VALUES (${h.acme.orgId}, ${unlucky}, ${run}, 'recovered', 'succeeded')`;
  }

  // The waiting request's approval step, its links and the mail that went out with them.
  const approvalsOf = (id: string) => h.t.owner<{ id: string; run: number; status: string }[]>`SELECT id, run, status FROM content_approvals WHERE request_id = ${id} ORDER BY step_index`;
  const liveLinks = (approvalId: string) => h.t.owner<{ id: string }[]>`SELECT id FROM approval_links WHERE approval_id = ${approvalId} AND revoked_at IS NULL ORDER BY id`;
  // Mail about the two requests that were already waiting (the mid-flight one mails its first time).
  const mails = async () => (await h.t.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox o JOIN content_approvals a ON o.dedupe_key LIKE 'approval-link:' || a.id || ':%'
    WHERE a.request_id IN (${waiting.requestId}, ${parked.requestId})`)[0].n;
  const [approvalBefore] = await approvalsOf(waiting.requestId);
  const linksBefore = await liveLinks(approvalBefore.id);
  expect(linksBefore.length).toBeGreaterThan(0);

  // 2. The process goes away (its executions with it); the statuses stay as they were.
  await h.stack.stop();
  const mailsBefore = await mails();
  expect(mailsBefore).toBeGreaterThanOrEqual(2);
  expect((await h.row(waiting.requestId)).status).toBe('awaiting_approval');
  expect((await h.row(midFlight.requestId)).status).toBe('sourcing');

  // 3. A new process on the same database and data directory.
  second = await startLocalStack({
    dataDir: h.dataDir, port: 0, databaseUrl: h.t.ownerUrl, appDatabaseUrl: h.t.appUrl, freepik: 'emulator', api: false, scheduler: false, outbox: false, log: () => {},
  });
  expect(second.recovery.redriven.map((r) => [r.requestId, r.fromStatus, r.run]).sort()).toEqual([
    [waiting.requestId, 'awaiting_approval', 2], [midFlight.requestId, 'sourcing', 2], [parked.requestId, 'awaiting_approval', 2],
  ].sort());
  expect(second.recovery.failed).toEqual([expect.objectContaining({ requestId: unlucky, fromStatus: 'composing' })]);

  for (const id of [waiting.requestId, midFlight.requestId]) {
    await second.runner.waitForToken(`req-${id}-r2`, undefined, 90_000);
    expect(await h.row(id)).toMatchObject({ status: 'awaiting_approval', run: 2 });
  }
  // Back at its wait with the same approval step (now run 2), the links mailed before still live,
  // and no mail sent for it again.
  await second.runner.waitForToken(`req-${parked.requestId}-r2`, undefined, 90_000);
  expect(await approvalsOf(waiting.requestId)).toEqual([{ ...approvalBefore, run: 2 }]);
  expect(await liveLinks(approvalBefore.id)).toEqual(linksBefore);
  expect(await mails()).toBe(mailsBefore);
  // The waiting request's image was bought once, before the restart.
  const [{ n }] = await h.t.owner`SELECT count(*)::int AS n FROM api_usage WHERE request_id = ${waiting.requestId} AND outcome = 'success' AND endpoint = 'GET /v1/resources/{id}/download'`;
  expect(n).toBe(1);
  const failed = await h.row(unlucky);
  expect(failed.status).toBe('failed');
  expect(failed.failure).toMatchObject({ code: 'interrupted' });
  expect(failed.failure.message).toMatch(/Interrupted by 4 restarts/);
});
