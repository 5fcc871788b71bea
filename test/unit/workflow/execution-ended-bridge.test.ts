import { expect, test } from 'vitest';
import { bridgeExecutionEnded } from '../../../local/stack/execution-ended.js';
import { AppError } from '../../../functions/shared/errors.js';
import type { WorkflowEvent } from '../../../local/workflow/local-runner.js';

const ref = { orgId: 'o', requestId: 'r', run: 1 };
const failedEvent = (executionName: string): WorkflowEvent => ({
  type: 'execution_failed',
  executionName,
  requestId: 'r',
  run: 1,
  at: 0,
  error: 'E',
  cause: 'C',
});

test('a failed execution is delivered with its input, retried until the delivery goes through', async () => {
  const calls: unknown[] = [];
  const bridge = bridgeExecutionEnded({
    describe: () => ({ status: 'TIMED_OUT', input: ref }),
    deliver: async (d) => {
      calls.push(d);
      if (calls.length < 3) throw new Error('database away');
    },
    firstDelayMs: 1,
  });
  bridge.onEvent(failedEvent('x'));
  await bridge.drain();
  expect(calls).toHaveLength(3);
  expect(calls[2]).toEqual({ status: 'TIMED_OUT', input: JSON.stringify(ref), error: 'E', cause: 'C' });
});

test('other events and aborted executions are not delivered; a stopped bridge gives up and says so', async () => {
  const calls: unknown[] = [];
  const logs: string[] = [];
  let status = 'ABORTED';
  const bridge = bridgeExecutionEnded({
    describe: () => ({ status, input: ref }),
    deliver: async (d) => {
      calls.push(d);
      throw new Error('database away');
    },
    firstDelayMs: 20,
    log: (m) => logs.push(m),
  });
  bridge.onEvent({ type: 'execution_succeeded', executionName: 'a', requestId: 'r', run: 1, at: 0 });
  bridge.onEvent(failedEvent('b'));
  expect(calls).toHaveLength(0);
  status = 'FAILED';
  bridge.onEvent(failedEvent('c'));
  bridge.stop();
  await bridge.drain();
  expect(calls).toHaveLength(1);
  expect(logs.join('\n')).toMatch(/execution c ended \(FAILED\) but its request could not be updated: database away/);
});

test('a delivery that can never succeed (a permanent error) is not retried', async () => {
  const calls: unknown[] = [];
  const logs: string[] = [];
  const bridge = bridgeExecutionEnded({
    describe: () => ({ status: 'FAILED', input: { odd: true } }),
    deliver: async (d) => {
      calls.push(d);
      throw new AppError('validation_failed', 'no request reference');
    },
    firstDelayMs: 1,
    log: (m) => logs.push(m),
  });
  bridge.onEvent(failedEvent('x'));
  await bridge.drain();
  expect(calls).toHaveLength(1);
  expect(logs.join('\n')).toMatch(/no request reference/);
});
