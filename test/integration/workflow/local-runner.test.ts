/**
 * The local runner's Step Functions semantics on small hand-written definitions: task-token waits
 * answered, failed, timed out and stopped (with the SFN error names), TimeoutSecondsPath, Retry on
 * a task error, execution-name uniqueness; restarts resuming from checkpoints in PostgreSQL; the
 * in-flight bound; pruning of finished executions.
 */
import { afterAll, expect, test } from 'vitest';
import { createPgCheckpointStore } from '../../../local/workflow/checkpoint-store.js';
import { LocalWorkflowRunner, type WorkflowEvent } from '../../../local/workflow/local-runner.js';
import type { AslDefinition } from '../../../local/workflow/definition.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const FN = 'arn:aws:lambda:us-east-1:123456789012:function:fixture';
const eventsSeen = () =>
  ((globalThis as Record<string, unknown>).__waitEvents ??= []) as Array<Record<string, unknown>>;
const ref = (requestId: string) => ({ orgId: '00000000-0000-4000-8000-000000000001', requestId, run: 1 });

const waitDefinition = (extra: Record<string, unknown> = {}): AslDefinition => ({
  StartAt: 'Wait for answer',
  States: {
    'Wait for answer': {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: FN, Payload: { 'token.$': '$$.Task.Token', 'requestId.$': '$.requestId' } },
      ResultPath: '$.answer',
      Next: 'Done',
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

const runnerFor = (definition: AslDefinition, events?: WorkflowEvent[], lambdaTimeouts?: Record<string, number>) =>
  LocalWorkflowRunner.create({
    workflow: {
      definition,
      origin: 'test',
      handlers: {
        'Wait for answer': 'test/integration/workflow/fixtures/wait-handler.ts',
        Flaky: 'test/integration/workflow/fixtures/flaky-handler.ts',
        Clock: 'test/integration/workflow/fixtures/clock-handler.ts',
      },
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
  await expect(runner.broker.sendTaskSuccess(token, { decision: 'approved' })).rejects.toMatchObject({
    name: 'TaskTimedOut',
  });
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
        Type: 'Task',
        Resource: FN,
        Parameters: { 'key.$': '$.requestId', 'failTimes.$': '$.failTimes', 'errorName.$': '$.errorName' },
        Retry: [
          {
            ErrorEquals: ['Transient.upstream_unavailable'],
            MaxAttempts: 3,
            IntervalSeconds: 1,
            BackoffRate: 2,
            JitterStrategy: 'FULL',
          },
        ],
        End: true,
      },
    },
  };
  const events: WorkflowEvent[] = [];
  const runner = await runnerFor(definition, events);
  const ok = await runner.start({
    ...ref('r-retry'),
    failTimes: 2,
    errorName: 'Transient.upstream_unavailable',
  } as never);
  expect((await runner.waitForEnd(ok.executionName, 10_000)).output).toEqual({ attempts: 3 });
  expect(events.filter((e) => e.type === 'state_retried' && e.executionName === ok.executionName)).toHaveLength(2);

  const permanent = await runner.start({
    ...ref('r-permanent'),
    failTimes: 1,
    errorName: 'Permanent.provider_misconfigured',
  } as never);
  const end = await runner.waitForEnd(permanent.executionName, 10_000);
  expect(end).toMatchObject({ status: 'FAILED', error: 'Permanent.provider_misconfigured' });
  expect(events.filter((e) => e.type === 'state_retried' && e.executionName === permanent.executionName)).toHaveLength(
    0,
  );
  await runner.close();
});

// Past the function's Timeout the task fails Sandbox.Timedout, as it does on Lambda.
test("a handler's context counts down to the earlier of its state's TimeoutSeconds and its function's Timeout", async () => {
  const clock = (timeoutSeconds: number): AslDefinition => ({
    StartAt: 'Clock',
    States: {
      Clock: {
        Type: 'Task',
        Resource: FN,
        Parameters: { 'workMs.$': '$.workMs' },
        TimeoutSeconds: timeoutSeconds,
        ResultPath: '$.clock',
        End: true,
        Catch: [{ ErrorEquals: ['Sandbox.Timedout'], ResultPath: '$.error', Next: 'Function timed out' }],
      },
      'Function timed out': { Type: 'Pass', Result: 'function timed out', ResultPath: '$.outcome', End: true },
    },
  });
  const byState = await runnerFor(clock(7));
  const a = await byState.start({ ...ref('r-clock-state'), workMs: 0 } as never);
  const atStartA = ((await byState.waitForEnd(a.executionName, 10_000)).output as { clock: { atStart: number } }).clock
    .atStart;
  expect(atStartA).toBeLessThanOrEqual(7_000);
  expect(atStartA).toBeGreaterThan(6_000);
  await byState.close();

  const byFunction = await runnerFor(clock(300), undefined, { Clock: 2 });
  const b = await byFunction.start({ ...ref('r-clock-fn'), workMs: 0 } as never);
  const atStartB = ((await byFunction.waitForEnd(b.executionName, 10_000)).output as { clock: { atStart: number } })
    .clock.atStart;
  expect(atStartB).toBeLessThanOrEqual(2_000);
  expect(atStartB).toBeGreaterThan(1_000);
  const late = await byFunction.start({ ...ref('r-clock-late'), workMs: 2_500 } as never);
  expect((await byFunction.waitForEnd(late.executionName, 10_000)).output).toMatchObject({
    outcome: 'function timed out',
    error: { Error: 'Sandbox.Timedout' },
  });
  await byFunction.close();
});

// ---- restarts (checkpoints in PostgreSQL) and the in-flight bound ---------------------------------

const slowStats = () =>
  ((globalThis as Record<string, unknown>).__slowStats ??= { running: 0, peak: 0, calls: [] }) as {
    running: number;
    peak: number;
    calls: string[];
  };
const HANDLERS = {
  'Wait for answer': 'test/integration/workflow/fixtures/wait-handler.ts',
  Slow: 'test/integration/workflow/fixtures/slow-handler.ts',
};
/** Prepare (Pass) -> Wait for answer (token, TimeoutSecondsPath) -> Slow (Task) -> Done. */
const flow: AslDefinition = {
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Pass', Result: { prepared: true }, ResultPath: '$.prep', Next: 'Wait for answer' },
    'Wait for answer': {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSecondsPath: '$.timeoutSeconds',
      Parameters: { FunctionName: FN, Payload: { 'token.$': '$$.Task.Token', 'requestId.$': '$.requestId' } },
      ResultPath: '$.answer',
      Next: 'Slow',
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Timed out' }],
    },
    Slow: {
      Type: 'Task',
      Resource: FN,
      Parameters: { 'key.$': '$.requestId', 'ms.$': '$.ms' },
      ResultPath: '$.slow',
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    'Timed out': { Type: 'Pass', Result: 'timed out', ResultPath: '$.outcome', End: true },
  },
};

let t: TestDatabase | undefined;
afterAll(async () => {
  await t?.drop();
});
async function persistentRunner(opts: { maxInFlight?: number; keepFinished?: number; events?: WorkflowEvent[] } = {}) {
  t ??= await createTestDatabase();
  const checkpoints = await createPgCheckpointStore({ ownerUrl: t.ownerUrl });
  const runner = await LocalWorkflowRunner.create({
    workflow: { definition: flow, origin: 'test', handlers: HANDLERS },
    checkpoints,
    retryDelayMs: 0,
    onEvent: opts.events ? (e) => opts.events!.push(e) : undefined,
    maxInFlight: opts.maxInFlight,
    keepFinished: opts.keepFinished,
  });
  return {
    runner,
    checkpoints,
    async close() {
      await runner.close();
      await checkpoints.close();
    },
  };
}
const input = (requestId: string, extra: Record<string, unknown> = {}) =>
  ({ ...ref(requestId), timeoutSeconds: 3600, ms: 10, ...extra }) as never;

test('after a restart a parked wait is back on the same token, its handler not called again, its deadline from the original issue', async () => {
  const first = await persistentRunner();
  const name = (await first.runner.start(input('r-resume-wait'))).executionName;
  const token = await first.runner.waitForToken(name, 'Wait for answer', 10_000);
  const [issued] = first.runner.broker.pending({ executionName: name });
  const handlerCalls = eventsSeen().filter((e) => e.requestId === 'r-resume-wait').length;
  expect(await first.runner.close()).toEqual({ suspended: 1 });
  await first.close();
  // The old process's token means nothing until a runner takes the execution up again.
  expect(first.runner.broker.pending({ executionName: name })).toEqual([]);

  const events: WorkflowEvent[] = [];
  const second = await persistentRunner({ events });
  expect((await second.runner.saved()).find((s) => s.executionName === name)).toMatchObject({
    state: 'Wait for answer',
    waiting: true,
    interruptions: 0,
    resumable: true,
  });
  expect((await second.runner.resume([name])).get(name)).toEqual({ state: 'Wait for answer', waiting: true });
  expect(await second.runner.waitForToken(name, 'Wait for answer', 10_000)).toBe(token);
  expect(second.runner.broker.pending({ executionName: name })).toEqual([issued]);
  expect(eventsSeen().filter((e) => e.requestId === 'r-resume-wait')).toHaveLength(handlerCalls);
  // No progress is reported for getting back to where it was.
  expect(events.map((e) => e.type)).toEqual(['execution_resumed', 'waiting_for_token']);

  await second.runner.broker.sendTaskSuccess(token, { decision: 'approved' });
  const end = await second.runner.waitForEnd(name, 10_000);
  expect(end).toMatchObject({ status: 'SUCCEEDED', input: ref('r-resume-wait') });
  // The state input came back whole: what Prepare added before the restart is still there.
  expect(end.output).toMatchObject({
    requestId: 'r-resume-wait',
    prep: { prepared: true },
    answer: { decision: 'approved' },
    slow: { done: 'r-resume-wait' },
  });
  await second.close();
  expect(await t!.owner`SELECT 1 FROM local_runner.execution_checkpoints WHERE execution_name = ${name}`).toHaveLength(
    0,
  );

  // A deadline keeps running while no process does: 2 s from the issue, 1.2 s of it spent down.
  const third = await persistentRunner();
  const timed = (await third.runner.start(input('r-resume-deadline', { timeoutSeconds: 2 }))).executionName;
  await third.runner.waitForToken(timed, undefined, 10_000);
  await new Promise((r) => setTimeout(r, 1200));
  await third.close();
  const fourth = await persistentRunner();
  const resumedAt = Date.now();
  await fourth.runner.resume([timed]);
  const out = await fourth.runner.waitForEnd(timed, 10_000);
  expect(out.output).toMatchObject({ outcome: 'timed out', error: { Error: 'States.Timeout' } });
  expect(Date.now() - resumedAt).toBeLessThan(1500);
  await fourth.close();
});

test('after a restart a state caught working runs again from its start, and the interruption is counted', async () => {
  slowStats().calls.length = 0;
  const first = await persistentRunner();
  const name = (await first.runner.start(input('r-resume-slow', { ms: 1500 }))).executionName;
  const token = await first.runner.waitForToken(name, undefined, 10_000);
  await first.runner.broker.sendTaskSuccess(token, { decision: 'approved' });
  await waitUntil(() => slowStats().calls.includes('r-resume-slow'));
  await first.runner.close(100);
  await first.close();

  const second = await persistentRunner();
  expect((await second.runner.saved()).find((s) => s.executionName === name)).toMatchObject({
    state: 'Slow',
    waiting: false,
    interruptions: 0,
  });
  expect((await second.runner.resume([name])).get(name)).toEqual({ state: 'Slow', waiting: false });
  await second.checkpoints.flush();
  const [saved] = await t!.owner<
    { interruptions: number }[]
  >`SELECT interruptions FROM local_runner.execution_checkpoints WHERE execution_name = ${name}`;
  expect(saved.interruptions).toBe(1);
  const end = await second.runner.waitForEnd(name, 10_000);
  expect(end.output).toMatchObject({
    prep: { prepared: true },
    answer: { decision: 'approved' },
    slow: { done: 'r-resume-slow' },
  });
  expect(slowStats().calls.filter((k) => k === 'r-resume-slow')).toHaveLength(2);
  await second.close();
});

test('the in-flight bound admits executions in order, and executions parked at a wait do not count against it', async () => {
  const stats = slowStats();
  await waitUntil(() => stats.running === 0);
  stats.peak = 0;
  stats.calls.length = 0;
  const events: WorkflowEvent[] = [];
  const r = await persistentRunner({ maxInFlight: 2, events });
  const names = await Promise.all(
    ['a', 'b', 'c', 'd', 'e', 'f'].map(
      async (k) => (await r.runner.start(input(`r-bound-${k}`, { ms: 300 }))).executionName,
    ),
  );
  // Six waiting executions with two slots: all six reach their wait (a parked one gives its slot back).
  const tokens = await Promise.all(names.map((n) => r.runner.waitForToken(n, undefined, 10_000)));
  expect(r.runner.occupancy()).toMatchObject({ inFlight: 0, queued: 0, parked: 6, limit: 2 });
  // All answered at once: the slow task runs for two at a time, in the order they were answered.
  for (const tk of tokens) await r.runner.broker.sendTaskSuccess(tk, { decision: 'approved' });
  expect(r.runner.occupancy()).toMatchObject({ inFlight: 2, queued: 4 });
  for (const n of names) expect((await r.runner.waitForEnd(n, 20_000)).status).toBe('SUCCEEDED');
  expect(stats.peak).toBe(2);
  expect(stats.calls).toEqual(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => `r-bound-${k}`));
  expect(r.runner.occupancy()).toMatchObject({ inFlight: 0, queued: 0, parked: 0 });
  // Admission order: the first Prepare states entered are those of the first two started.
  expect(
    events
      .filter((e) => e.type === 'state_entered' && e.state === 'Prepare')
      .slice(0, 2)
      .map((e) => e.requestId),
  ).toEqual(['r-bound-a', 'r-bound-b']);
  await r.close();
});

test('finished executions are pruned to their name: a second start is still refused', async () => {
  const r = await persistentRunner({ keepFinished: 2 });
  const names: string[] = [];
  for (const k of ['1', '2', '3']) {
    const n = (await r.runner.start(input(`r-prune-${k}`))).executionName;
    await r.runner.broker.sendTaskSuccess(await r.runner.waitForToken(n, undefined, 10_000), {});
    await r.runner.waitForEnd(n, 10_000);
    names.push(n);
  }
  expect(r.runner.list().map((e) => e.executionName)).toEqual(names.slice(1));
  expect(r.runner.describe(names[0])).toBeUndefined();
  await expect(r.runner.start(ref('r-prune-1'))).rejects.toMatchObject({ code: 'conflict' });
  await r.close();
});

async function waitUntil(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
