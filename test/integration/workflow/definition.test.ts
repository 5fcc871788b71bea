/**
 * The synthesized state machine, as AWS would receive it: valid ASL, JSONPath only, every Lambda
 * task mapped to a handler file that exists, retries only on transient errors, every failure
 * caught and recorded.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { beforeAll, expect, test } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ContentWorkflow, LOCAL_HANDLERS_METADATA, TASK_HANDLERS } from '../../../lib/constructs/content-workflow.js';
import {
  extractWorkflow,
  loadWorkflowDefinition,
  REPO_ROOT,
  type AslDefinition,
  type AslState,
  type WorkflowDefinition,
} from '../../../local/workflow/definition.js';
import { REENTRY } from '../../../local/workflow/recovery.js';

const aslValidator = createRequire(import.meta.url)('asl-validator') as (
  d: unknown,
  o?: object,
) => { isValid: boolean; errorsText(sep?: string): string };

let wf: WorkflowDefinition;
beforeAll(async () => {
  wf = await loadWorkflowDefinition({ cache: false });
}, 180_000);

function allStates(def: AslDefinition): Array<[string, AslState]> {
  return Object.entries(def.States).flatMap(([n, s]) => {
    const nested = (s.ItemProcessor ?? s.Iterator) as AslDefinition | undefined;
    return [[n, s] as [string, AslState], ...(nested ? allStates(nested) : [])];
  });
}

test('the app synthesizes a valid Amazon States Language definition (asl-validator, ARNs and paths checked)', () => {
  const r = aslValidator(wf.definition, { checkArn: true, checkPaths: true });
  expect(r.errorsText('\n')).toBe('');
  expect(r.isValid).toBe(true);
  // JSONPath only: the local engine ignores JSONata.
  const languages = new Set(allStates(wf.definition).map(([, st]) => st.QueryLanguage ?? 'JSONPath'));
  expect([...languages]).toEqual(['JSONPath']);
  expect(JSON.stringify(wf.definition)).not.toMatch(/\{%/);
});

test("each Task state knows its function's timeout (the local runner gives handlers the same clock as Lambda); Source image polls within it", async () => {
  const tasks = allStates(wf.definition)
    .filter(([, s]) => s.Type === 'Task')
    .map(([n]) => n);
  expect(Object.keys(wf.lambdaTimeouts ?? {}).sort()).toEqual([...tasks].sort());
  const source = wf.lambdaTimeouts!['Source image'];
  const { loadFreepikConfig } = await import('../../../functions/adapters/freepik/config.js');
  const { SOURCING_SAFETY_MS } = await import('../../../functions/handlers/workflow/source-image-deadline.js');
  // Mystic polling (by default) ends, with the safety margin to spare, before the function does.
  expect(loadFreepikConfig({}).mystic.deadlineMs + SOURCING_SAFETY_MS).toBeLessThanOrEqual(source * 1000);
});

test('every Lambda task runs a handler file that exists; the approval stage waits on a task token', () => {
  const tasks = allStates(wf.definition).filter(([, s]) => s.Type === 'Task');
  expect(tasks.map(([n]) => n).sort()).toEqual(Object.keys(wf.handlers).sort());
  for (const [name] of tasks) expect(existsSync(path.join(REPO_ROOT, wf.handlers[name])), name).toBe(true);
  const byName = Object.fromEntries(tasks);
  expect(byName['Source image'].Resource).toMatch(/^arn:aws:lambda:[^:]+:\d{12}:function:/);
  // Whatever the approval stage looks like, it waits on a task token.
  expect(tasks.some(([, st]) => st.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken')).toBe(true);
  expect(byName['Source image'].Parameters as object).toEqual({
    'orgId.$': '$.orgId',
    'requestId.$': '$.requestId',
    'run.$': '$.run',
  });
});

test('tasks retry only transient errors, with backoff and jitter, and every failure ends in "Record failure"', () => {
  const states = allStates(wf.definition);
  const top = wf.definition.States;
  for (const [name, s] of states.filter(([, x]) => x.Type === 'Task' && x !== top['Record failure'])) {
    const retry = s.Retry as Array<{
      ErrorEquals: string[];
      JitterStrategy?: string;
      BackoffRate?: number;
      MaxAttempts?: number;
    }>;
    // Tasks whose function has reserved concurrency first retry a throttled invoke on their own,
    // more patient terms (test/infra/burst-limits.test.ts has the values).
    const throttled = ['Source image', 'Render variant'].includes(name) ? [['Lambda.TooManyRequestsException']] : [];
    expect(
      retry.slice(0, -1).map((r) => r.ErrorEquals),
      name,
    ).toEqual(throttled);
    const transient = retry.at(-1)!;
    expect(
      transient.ErrorEquals.every((e) => /^(Transient\.\w+|Lambda\.\w+)$/.test(e)),
      name,
    ).toBe(true);
    expect(transient.ErrorEquals).toContain('Transient.upstream_unavailable');
    expect(transient).toMatchObject({ JitterStrategy: 'FULL', BackoffRate: 2 });
    expect((s.TimeoutSeconds ?? 0) > 0 || typeof s.TimeoutSecondsPath === 'string', name).toBe(true);
  }
  // Inside the Map the iteration fails the Map, whose Catch records it.
  for (const [name, s] of Object.entries(top).filter(
    ([n, x]) => (x.Type === 'Task' || x.Type === 'Map') && n !== 'Record failure',
  )) {
    const catchers = s.Catch as unknown[];
    expect(catchers.at(-1), name).toEqual({
      ErrorEquals: ['States.ALL'],
      ResultPath: '$.error',
      Next: 'Record failure',
    });
  }
  expect(top['Render variants']).toMatchObject({ ItemsPath: '$.result.platforms', MaxConcurrency: 4 });
  expect(top['Record failure'].Next).toBe('Failed');
  expect(top.Failed).toMatchObject({ Type: 'Fail', ErrorPath: '$.error', CausePath: '$.cause' });
});

test('restart recovery re-enters at top-level states that read nothing but the input it gives them', () => {
  /** JSONPaths of the state input ($...) a state reads before running. */
  const reads = (v: unknown, key = ''): string[] => {
    if (typeof v === 'string') return key.endsWith('.$') && v.startsWith('$.') ? [v] : [];
    if (Array.isArray(v)) return v.flatMap((x) => reads(x));
    if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => reads(x, k));
    return [];
  };
  const paths = (o: Record<string, unknown>, prefix = '$'): string[] =>
    Object.entries(o).flatMap(([k, v]) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? [`${prefix}.${k}`, ...paths(v as Record<string, unknown>, `${prefix}.${k}`)]
        : [`${prefix}.${k}`],
    );
  for (const [status, entry] of Object.entries(REENTRY)) {
    const state = wf.definition.States[entry.state];
    expect(state, `${status} -> ${entry.state}`).toBeDefined();
    expect(state.InputPath, entry.state).toBeUndefined();
    const given = new Set(
      paths({ orgId: 'o', requestId: 'r', run: 1, ...entry.input?.({ platforms: ['instagram_square'] }) }),
    );
    const read = [
      ...reads(state.Parameters),
      ...reads(state.ItemSelector),
      ...(typeof state.ItemsPath === 'string' ? [state.ItemsPath] : []),
    ];
    expect(
      read.filter((p) => !given.has(p)),
      `${entry.state} reads what recovery does not give it`,
    ).toEqual([]);
  }
});

test('an approval stage supplied by another construct replaces the default wait and is mapped for the local runner', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'S');
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('x'),
    });
  const tasks = Object.fromEntries(Object.keys(TASK_HANDLERS).map((k) => [k, fn(k)])) as never;
  const stepFn = fn('Step');
  new ContentWorkflow(stack, 'Wf', {
    tasks,
    approvalStage: (scope, ctx) =>
      ctx
        .task('Approval step 1', stepFn, 'functions/handlers/workflow/approval-step.ts', {
          waitForTaskToken: true,
          payload: { stepIndex: 0 },
        })
        .next(
          new sfn.Choice(scope, 'Step 1 outcome')
            .when(sfn.Condition.stringEquals('$.approval.decision', 'approved'), ctx.publish)
            .otherwise(ctx.reject),
        ),
  });
  const template = app.synth().getStackByName('S').template;
  const custom = extractWorkflow([{ name: 'S', template }], LOCAL_HANDLERS_METADATA);
  expect(custom.definition.States['Await approval']).toBeUndefined();
  expect(custom.definition.States.Route).toMatchObject({ Default: 'Approval step 1' });
  expect(custom.handlers['Approval step 1']).toBe('functions/handlers/workflow/approval-step.ts');
  expect((custom.definition.States['Approval step 1'].Parameters as { Payload: object }).Payload).toMatchObject({
    'taskToken.$': '$$.Task.Token',
    stepIndex: 0,
  });
  expect(aslValidator(custom.definition).isValid).toBe(true);
});
