/**
 * An execution that ended without its request saying so (the database away for longer than
 * Record failure's retries, the time limit, an abort from the console): the "execution ended"
 * handler, which EventBridge calls in AWS and the local stack calls itself, marks the request
 * failed. It is idempotent and leaves alone what moved on.
 */
import { expect, test, vi } from 'vitest';
import { executionEnded, handler } from '../../../functions/handlers/events/execution-ended.js';
import { isAppError } from '../../../functions/shared/errors.js';
import { startWorkflowHarness } from './support.js';
import { startForAll } from '../../support/lifecycle.js';

const h = startForAll(startWorkflowHarness, (harness) => harness.close());

async function working(status: string, run = 1): Promise<string> {
  const id = await h().insert();
  await h().t.owner`UPDATE content_requests SET status = ${status}::request_status, run = ${run} WHERE id = ${id}`;
  await h().t
    .owner`INSERT INTO request_steps (organization_id, request_id, run, step, status) VALUES (${h().acme.orgId}, ${id}, ${run}, 'render', 'started')`;
  return id;
}
const input = (requestId: string, run = 1) => JSON.stringify({ orgId: h().acme.orgId, requestId, run });

test('a timed-out execution leaves its request failed with a timeout, the open step closed; a second delivery changes nothing', async () => {
  const id = await working('rendering');
  await executionEnded({ status: 'TIMED_OUT', input: input(id) });
  const r = await h().row(id);
  expect(r.status).toBe('failed');
  expect(r.failure).toMatchObject({
    code: 'timeout',
    state: 'Render variant',
    message: 'The workflow ran past its time limit',
  });
  expect((await h().steps(id, 1)).find((s) => s.step === 'render')).toMatchObject({ status: 'failed' });
  const [before] = await h().t.owner`SELECT updated_at, failure FROM content_requests WHERE id = ${id}`;
  await executionEnded({ status: 'TIMED_OUT', input: input(id) });
  const [after] = await h().t.owner`SELECT updated_at, failure FROM content_requests WHERE id = ${id}`;
  expect(after).toEqual(before);
});

test("a failed or aborted execution shows the execution's own error, or what happened to it", async () => {
  const failed = await working('sourcing');
  await executionEnded({
    status: 'FAILED',
    input: input(failed),
    error: 'Transient.upstream_unavailable',
    cause: 'Freepik is unavailable',
  });
  expect((await h().row(failed)).failure).toMatchObject({
    code: 'upstream_unavailable',
    message: 'Freepik is unavailable',
  });
  const aborted = await working('awaiting_approval');
  await executionEnded({ status: 'ABORTED', input: input(aborted) });
  expect(await h().row(aborted)).toMatchObject({
    status: 'failed',
    failure: expect.objectContaining({ message: 'The workflow execution was stopped' }),
  });
});

test('a request already finished, cancelled or on a newer run is left as it is', async () => {
  const cancelled = await working('cancelled');
  const newer = await working('rendering', 2);
  await executionEnded({ status: 'ABORTED', input: input(cancelled) });
  await executionEnded({ status: 'FAILED', input: input(newer, 1) });
  expect(await h().row(cancelled)).toMatchObject({ status: 'cancelled', failure: null });
  expect(await h().row(newer)).toMatchObject({ status: 'rendering', run: 2, failure: null });
});

test('an event without a request reference is refused with a validation error; the Lambda drops it instead of having it retried', async () => {
  for (const detail of [
    { status: 'FAILED', input: 'not json' },
    { status: 'FAILED', input: '{"requestId":"x"}' },
    { status: 'RUNNING', input: input(h().acme.orgId) },
  ]) {
    const e = await executionEnded(detail as never).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isAppError(e) && e.code).toBe('validation_failed');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(await handler({ detail } as never)).toMatchObject({
      ignored: expect.stringMatching(/execution status event/),
    });
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  }
});
