/**
 * The local runner's Step Functions semantics on small hand-written definitions: task-token waits
 * answered, failed, timed out and stopped (with the SFN error names), TimeoutSecondsPath, Retry on
 * a task error, and execution-name uniqueness.
 */
import { expect, test } from 'vitest';
import { LocalWorkflowRunner, type WorkflowEvent } from '../../../functions/adapters/workflow/local-runner.js';
import type { AslDefinition } from '../../../functions/adapters/workflow/definition.js';

const FN = 'arn:aws:lambda:us-east-1:123456789012:function:fixture';
const eventsSeen = () => ((globalThis as Record<string, unknown>).__waitEvents ??= []) as Array<Record<string, unknown>>;
const ref = (requestId: string) => ({ orgId: '00000000-0000-4000-8000-000000000001', requestId, run: 1 });

const waitDefinition = (extra: Record<string, unknown> = {}): AslDefinition => ({
  StartAt: 'Wait for answer',
  States: {
    'Wait for answer': {
      Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: FN, Payload: { 'token.$': '$$.Task.Token', 'requestId.$': '$.requestId' } },
      ResultPath: '$.answer', Next: 'Done',
      Catch: [
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Timed out' },
        { ErrorEquals: ['Custom.Refused'], ResultPath: '$.error', Next: 'Refused' },
      ],
      ...extra,
    },
    Done: { Type: 'Succeed' },
    'Timed out': { Type: 'Pass', Result: 'timed out', ResultPath: '$.outcome', End: true },
    Refused: { Type: 'Pass', Result: 'refused', ResultPath: '$.outcome', End: true },
  },
});

const runnerFor = (definition: AslDefinition, events?: WorkflowEvent[], lambdaTimeouts?: Record<string, number>) => LocalWorkflowRunner.create({
  workflow: {
    definition, origin: 'test',
    handlers: { 'Wait for answer': 'test/integration/workflow/fixtures/wait-handler.ts', Flaky: 'test/integration/workflow/fixtures/flaky-handler.ts', Clock: 'test/integration/workflow/fixtures/clock-handler.ts' },
    lambdaTimeouts,
  },
  onEvent: events ? (e) => events.push(e) : undefined,
  retryDelayMs: 0,
});

test('a task-token wait hands its Lambda a fresh token and resumes with the SendTaskSuccess output', async () => {
  const runner = await runnerFor(waitDefinition());
  const { executionName } = await runner.start(ref('r-success'));
  const token = await runner.waitForToken(executionName, 'Wait for answer', 10_000);
  expect(eventsSeen().at(-1)).toEqual({ token, requestId: 'r-success' });
  expect(token).not.toMatch(/placeholder/);
  expect(runner.broker.pending({ executionName }).map((p) => p.stateName)).toEqual(['Wait for answer']);

  await runner.broker.sendTaskSuccess(token, JSON.stringify({ decision: 'approved' }));
  const end = await runner.waitForEnd(executionName, 10_000);
  expect(end.status).toBe('SUCCEEDED');
  expect(end.output).toMatchObject({ requestId: 'r-success', answer: { decision: 'approved' } });
  await expect(runner.broker.sendTaskSuccess(token, {})).rejects.toMatchObject({ name: 'TaskTimedOut' });
  await expect(runner.broker.sendTaskFailure(token, 'X')).rejects.toMatchObject({ name: 'TaskTimedOut' });
  await expect(runner.broker.sendTaskSuccess('not-a-token', {})).rejects.toMatchObject({ name: 'InvalidToken' });
  await runner.close();
});

test('SendTaskFailure fails the state with the given error name, which Catch matches', async () => {
  const runner = await runnerFor(waitDefinition());
  const { executionName } = await runner.start(ref('r-failure'));
  const token = await runner.waitForToken(executionName, undefined, 10_000);
  await runner.broker.sendTaskFailure(token, 'Custom.Refused', 'not on brand');
  const end = await runner.waitForEnd(executionName, 10_000);
  expect(end.output).toMatchObject({ outcome: 'refused', error: { Error: 'Custom.Refused', Cause: 'not on brand' } });
  await runner.close();
});

test('a wait times out after TimeoutSecondsPath seconds (read from the state input) and a late answer gets TaskTimedOut', async () => {
  const runner = await runnerFor(waitDefinition({ TimeoutSecondsPath: '$.timeoutSeconds' }));
  const { executionName } = await runner.start({ ...ref('r-timeout'), timeoutSeconds: 1 } as never);
  const token = await runner.waitForToken(executionName, undefined, 10_000);
  const end = await runner.waitForEnd(executionName, 10_000);
  expect(end.output).toMatchObject({ outcome: 'timed out', error: { Error: 'States.Timeout' } });
  // The handler got exactly its Payload (the runner's timeout bookkeeping stays outside it).
  expect(eventsSeen().at(-1)).toEqual({ token, requestId: 'r-timeout' });
  await expect(runner.broker.sendTaskSuccess(token, { decision: 'approved' })).rejects.toMatchObject({ name: 'TaskTimedOut' });
  await runner.close();
});

test('stopping a waiting execution closes its token; the same execution name cannot run again', async () => {
  const runner = await runnerFor(waitDefinition());
  const started = await runner.start(ref('r-stop'));
  // A second start while it runs is the same execution, as StartExecution with the same name and input.
  expect(await runner.start(ref('r-stop'))).toEqual(started);
  const token = await runner.waitForToken(started.executionName, undefined, 10_000);
  await runner.stop({ executionName: started.executionName, reason: 'cancelled' });
  expect(runner.describe(started.executionName)!.status).toBe('ABORTED');
  await expect(runner.broker.sendTaskSuccess(token, {})).rejects.toMatchObject({ name: 'TaskTimedOut' });
  await expect(runner.start(ref('r-stop'))).rejects.toMatchObject({ code: 'conflict' });
  await runner.stop({ executionName: started.executionName, reason: 'again' }); // quiet no-op
  await runner.close();
});

test('Retry re-runs a task on a matching error and only on that one', async () => {
  const definition: AslDefinition = {
    StartAt: 'Flaky',
    States: {
      Flaky: {
        Type: 'Task', Resource: FN, Parameters: { 'key.$': '$.requestId', 'failTimes.$': '$.failTimes', 'errorName.$': '$.errorName' },
        Retry: [{ ErrorEquals: ['Transient.upstream_unavailable'], MaxAttempts: 3, IntervalSeconds: 1, BackoffRate: 2, JitterStrategy: 'FULL' }],
        End: true,
      },
    },
  };
  const events: WorkflowEvent[] = [];
  const runner = await runnerFor(definition, events);
  const ok = await runner.start({ ...ref('r-retry'), failTimes: 2, errorName: 'Transient.upstream_unavailable' } as never);
  expect((await runner.waitForEnd(ok.executionName, 10_000)).output).toEqual({ attempts: 3 });
  expect(events.filter((e) => e.type === 'state_retried' && e.executionName === ok.executionName)).toHaveLength(2);

  const permanent = await runner.start({ ...ref('r-permanent'), failTimes: 1, errorName: 'Permanent.provider_misconfigured' } as never);
  const end = await runner.waitForEnd(permanent.executionName, 10_000);
  expect(end).toMatchObject({ status: 'FAILED', error: 'Permanent.provider_misconfigured' });
  expect(events.filter((e) => e.type === 'state_retried' && e.executionName === permanent.executionName)).toHaveLength(0);
  await runner.close();
});

test('a handler\'s context counts down to the earlier of its state\'s TimeoutSeconds and its function\'s Timeout; past the function\'s, the task fails Sandbox.Timedout like Lambda', async () => {
  const clock = (timeoutSeconds: number): AslDefinition => ({
    StartAt: 'Clock',
    States: {
      Clock: {
        Type: 'Task', Resource: FN, Parameters: { 'workMs.$': '$.workMs' }, TimeoutSeconds: timeoutSeconds, ResultPath: '$.clock', End: true,
        Catch: [{ ErrorEquals: ['Sandbox.Timedout'], ResultPath: '$.error', Next: 'Function timed out' }],
      },
      'Function timed out': { Type: 'Pass', Result: 'function timed out', ResultPath: '$.outcome', End: true },
    },
  });
  const byState = await runnerFor(clock(7));
  const a = await byState.start({ ...ref('r-clock-state'), workMs: 0 } as never);
  const atStartA = ((await byState.waitForEnd(a.executionName, 10_000)).output as { clock: { atStart: number } }).clock.atStart;
  expect(atStartA).toBeLessThanOrEqual(7_000);
  expect(atStartA).toBeGreaterThan(6_000);
  await byState.close();

  const byFunction = await runnerFor(clock(300), undefined, { Clock: 2 });
  const b = await byFunction.start({ ...ref('r-clock-fn'), workMs: 0 } as never);
  const atStartB = ((await byFunction.waitForEnd(b.executionName, 10_000)).output as { clock: { atStart: number } }).clock.atStart;
  expect(atStartB).toBeLessThanOrEqual(2_000);
  expect(atStartB).toBeGreaterThan(1_000);
  const late = await byFunction.start({ ...ref('r-clock-late'), workMs: 2_500 } as never);
  expect((await byFunction.waitForEnd(late.executionName, 10_000)).output).toMatchObject({ outcome: 'function timed out', error: { Error: 'Sandbox.Timedout' } });
  await byFunction.close();
});
