/**
 * What Freepik failures and a cancel do to a request, through the synthesized state machine:
 * transient errors are retried by the state machine itself, permanent ones end the request
 * failed with a reason a user can act on, a cancel stops the execution and sticks.
 */
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { startWorkflowHarness, type WorkflowHarness } from './support.js';

let h: WorkflowHarness;
beforeAll(async () => {
  // One retry inside the Freepik client, so a third 429 in a row reaches the state machine's Retry.
  process.env.FREEPIK_MAX_RETRIES = '1';
  process.env.FREEPIK_BACKOFF_BASE_MS = '10';
  process.env.FREEPIK_BACKOFF_MAX_MS = '20';
  h = await startWorkflowHarness();
});
afterAll(async () => {
  await h?.close();
});
afterEach(() => h.stack.freepik.emulator!.reset());

const usage = (requestId: string) => h.t.owner<{ outcome: string; endpoint: string; status_code: number | null }[]>`
  SELECT outcome, endpoint, status_code FROM api_usage WHERE request_id = ${requestId} ORDER BY id`;

test('Freepik answering 429 is retried by the state machine until the image arrives', async () => {
  h.stack.freepik.emulator!.setFaults({
    rules: [{ match: 'GET /v1/resources', times: 3, fault: { kind: 'status', status: 429, retryAfter: '0' } }],
  });
  const { requestId, executionName } = await h.submit({ platforms: ['instagram_square'] });
  await h.stack.runner.waitForToken(executionName, 'Await approval', 90_000);

  expect((await h.row(requestId)).status).toBe('awaiting_approval');
  // The client gave up after two 429s; Step Functions retried the whole task once.
  const retried = h.events.filter((e) => e.type === 'state_retried' && e.requestId === requestId);
  expect(retried.map((e) => 'state' in e && e.state)).toEqual(['Source image']);
  const source = (await h.steps(requestId, 1)).find((s) => s.step === 'source')!;
  expect(source).toMatchObject({ status: 'succeeded' });
  expect(source.detail.attempts).toBe(2);
  const rows = await usage(requestId);
  expect(rows.filter((r) => r.status_code === 429)).toHaveLength(3);
  expect(rows.filter((r) => r.outcome === 'success').length).toBeGreaterThanOrEqual(2); // search + download
});

test('Freepik refusing the API key (401) fails the request with the reason, without retries', async () => {
  h.stack.freepik.emulator!.setFaults({ rules: [{ match: 'api', fault: { kind: 'status', status: 401 } }] });
  const { requestId, executionName } = await h.submit();
  const end = await h.stack.runner.waitForEnd(executionName, 60_000);
  expect(end.status).toBe('FAILED');
  expect(end.error).toBe('Permanent.provider_misconfigured');

  const r = await h.row(requestId);
  expect(r.status).toBe('failed');
  expect(r.failure).toMatchObject({ state: 'Source image', code: 'provider_misconfigured' });
  expect(r.failure.message).toMatch(/API key was refused \(401\)/);
  expect(h.stack.freepik.emulator!.calls().filter((c) => c.status === 401)).toHaveLength(1);
  const steps = await h.steps(requestId, 1);
  expect(steps.find((s) => s.step === 'source')).toMatchObject({ status: 'failed' });
  expect(steps.some((s) => s.step === 'compose')).toBe(false);
});

test('cancelling a request mid-flight stops the execution; the task that was running cannot revive it', async () => {
  // Hold the request in "sourcing" long enough to cancel it there.
  h.stack.freepik.emulator!.setFaults({
    rules: [{ match: 'GET /v1/resources', fault: { kind: 'slow', delayMs: 1500 } }],
  });
  const { requestId, executionName } = await h.submit();
  await h.waitForStatus(requestId, ['sourcing'], 30_000);

  // What the cancel endpoint does: record the cancel, then StopExecution.
  await h.t.owner`UPDATE content_requests SET status = 'cancelled' WHERE id = ${requestId}`;
  await h.stack.runner.stop({ executionName, reason: 'cancelled by a test' });
  expect(h.stack.runner.describe(executionName)!.status).toBe('ABORTED');

  // Let the in-flight "Source image" handler finish: it must not move the request on.
  await new Promise((r) => setTimeout(r, 3000));
  const r = await h.row(requestId);
  expect(r.status).toBe('cancelled');
  const steps = await h.steps(requestId, 1);
  expect(steps.some((s) => s.step === 'compose')).toBe(false);
  // A new start of the same run is refused: that run is over.
  await expect(h.stack.runner.start({ orgId: h.acme.orgId, requestId, run: 1 })).rejects.toMatchObject({
    code: 'conflict',
  });
});
