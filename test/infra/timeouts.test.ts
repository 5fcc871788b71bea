/**
 * Timeouts nest: whatever waits for a Lambda gives up after the Lambda would, and a Lambda's own
 * timeout leaves room for every deadline configured inside it. Otherwise AWS cuts the work off
 * midway (a Mystic poll killed by the Lambda timeout, a state that times out while its Lambda
 * still runs and then runs it again), which no local run shows: locally nothing enforces either.
 *
 * Read from the synthesized prod and dev templates: each function's Timeout and environment
 * (deadlines parsed with the same schema the function uses, code defaults where the template sets
 * nothing), the state machine's TimeoutSeconds, the HTTP API integration timeout and the custom
 * resource framework's.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFreepikConfig } from '../../functions/adapters/freepik/config.js';
import { stages, type StageConfig } from '../../lib/config/stages.js';
import { ContentWorkflow, TASK_HANDLERS } from '../../lib/constructs/content-workflow.js';
import { AwsModel, type LambdaFn } from './aws-model.js';
import { removeOutdirs, synthesize } from './support.js';

/** Time a function needs after its longest wait: record the outcome, write to S3, return. */
const MARGIN_MS = 5_000;
/** postgres.js connect_timeout in functions/adapters/db/client.ts. */
const DB_CONNECT_TIMEOUT_MS = 10_000;
/** API Gateway HTTP API: an integration's timeout when TimeoutInMillis is not set (also its maximum). */
const HTTP_API_DEFAULT_TIMEOUT_MS = 30_000;
/** Lambda's init phase on a cold start (at most 10 s) runs before the handler's own clock starts. */
const LAMBDA_INIT_MS = 10_000;
/**
 * A state that waits longer than this multiple of its Lambda's timeout only delays the failure
 * when the invocation is lost (nothing answers and the state is all that ends the wait).
 */
const MAX_STATE_OVER_LAMBDA = 2;

const models: Record<string, AwsModel> = {};
beforeAll(() => {
  for (const stage of ['prod', 'dev'] as const) models[stage] = new AwsModel(synthesize(stage).templates as never);
});
afterAll(removeOutdirs);

interface TaskState {
  name: string;
  fnName: string;
  timeoutSeconds?: number;
  timeoutPath?: string;
  waitsForToken: boolean;
}

/** Every Lambda task of the content workflow (Map item processors included). */
function taskStates(model: AwsModel): TaskState[] {
  const [stack, lid] = Object.entries(model.templates).flatMap(([s, t]) =>
    Object.entries(t.Resources)
      .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map(([l]) => [s, l]),
  )[0];
  const definition = JSON.parse(model.str(stack, model.resource(stack, lid).Properties!.DefinitionString)) as {
    States: Record<string, any>;
  };
  const out: TaskState[] = [];
  const walk = (states: Record<string, any>) => {
    for (const [name, s] of Object.entries(states)) {
      if (s.Type === 'Map') walk((s.ItemProcessor ?? s.Iterator).States);
      if (s.Type === 'Parallel') for (const b of s.Branches) walk(b.States);
      if (s.Type !== 'Task') continue;
      const waitsForToken = String(s.Resource).endsWith('.waitForTaskToken');
      const arn = String(
        waitsForToken || String(s.Resource).startsWith('arn:aws:states:::') ? s.Parameters.FunctionName : s.Resource,
      );
      out.push({
        name,
        fnName: arn.split(':').pop()!,
        timeoutSeconds: s.TimeoutSeconds,
        timeoutPath: s.TimeoutSecondsPath,
        waitsForToken,
      });
    }
  };
  walk(definition.States);
  return out;
}

/** Deadlines configured inside a function, by what sets them. */
function deadlinesOf(fn: LambdaFn): Record<string, number> {
  const out: Record<string, number> = {};
  // Whatever the deployment sets explicitly.
  for (const [k, v] of Object.entries(fn.env)) if (/_(TIMEOUT|DEADLINE|MAX_WAIT)_MS$/.test(k)) out[k] = Number(v);
  // The Freepik client's, as the function will parse them (defaults for what is not set).
  if (fn.env.FREEPIK_BASE_URL) {
    const c = loadFreepikConfig(fn.env);
    Object.assign(out, {
      'Freepik call deadline (FREEPIK_DEADLINE_MS)': c.deadlineMs,
      'Freepik attempt timeout (FREEPIK_TIMEOUT_MS)': c.timeoutMs,
      'Mystic task deadline (FREEPIK_MYSTIC_DEADLINE_MS)': c.mystic.deadlineMs,
      'rate-limit wait (FREEPIK_RATE_MAX_WAIT_MS)': c.rate.maxWaitMs,
      'image download timeout (FREEPIK_DOWNLOAD_TIMEOUT_MS)': c.download.timeoutMs,
    });
  }
  if (fn.env.DATABASE_URL) out['database connect timeout'] = DB_CONNECT_TIMEOUT_MS;
  return out;
}

describe.each(['prod', 'dev'] as const)('timeouts (%s)', (stage) => {
  it('every Lambda timeout leaves room for each deadline configured inside it', () => {
    const problems: string[] = [];
    for (const fn of models[stage].functions().filter((f) => f.entry)) {
      for (const [what, ms] of Object.entries(deadlinesOf(fn))) {
        if (ms + MARGIN_MS > fn.timeoutSeconds * 1000)
          problems.push(`${fn.entry}: ${what} is ${ms / 1000} s, the Lambda times out after ${fn.timeoutSeconds} s`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every workflow state (Source image too) gives its Lambda longer than it gives itself, cold start included, but under twice as long', () => {
    const model = models[stage];
    const byName = new Map(model.functions().map((f) => [f.name, f]));
    const states = taskStates(model);
    expect(states.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'Source image',
        'Compose master',
        'Render variant',
        'Await approval',
        'Publish',
        'Record failure',
      ]),
    );
    const problems: string[] = [];
    for (const s of states) {
      const fn = byName.get(s.fnName);
      if (!fn) {
        problems.push(`${s.name}: invokes ${s.fnName}, which is not in the templates`);
        continue;
      }
      // A token wait's timeout is the human deadline (TimeoutSecondsPath); its Lambda only stores the token.
      if (s.waitsForToken) {
        expect(s.timeoutPath, s.name).toBeDefined();
        continue;
      }
      if (s.timeoutSeconds === undefined)
        problems.push(`${s.name}: no TimeoutSeconds (a stuck invocation would hold the execution for a year)`);
      else if (s.timeoutSeconds * 1000 < fn.timeoutSeconds * 1000 + LAMBDA_INIT_MS)
        problems.push(
          `${s.name}: state times out after ${s.timeoutSeconds} s, ` +
            `before its Lambda (${fn.timeoutSeconds} s after up to ${LAMBDA_INIT_MS / 1000} s of cold start)`,
        );
      else if (s.timeoutSeconds > MAX_STATE_OVER_LAMBDA * fn.timeoutSeconds)
        problems.push(
          `${s.name}: state waits ${s.timeoutSeconds} s for a Lambda that ends after ${fn.timeoutSeconds} s`,
        );
    }
    expect(problems).toEqual([]);
  });

  it('the HTTP API waits longer than any API function runs', () => {
    const model = models[stage];
    const problems: string[] = [];
    for (const [stack, t] of Object.entries(model.templates)) {
      for (const [lid, r] of Object.entries(t.Resources)) {
        if (r.Type !== 'AWS::ApiGatewayV2::Integration') continue;
        const fnName = model.str(stack, r.Properties!.IntegrationUri).split(':').pop()!;
        const fn = model.functions().find((f) => f.name === fnName)!;
        const limit = Number(r.Properties!.TimeoutInMillis ?? HTTP_API_DEFAULT_TIMEOUT_MS);
        if (fn.timeoutSeconds * 1000 >= limit)
          problems.push(
            `${lid}: ${fn.entry} may run ${fn.timeoutSeconds} s, the API answers 503 after ${limit / 1000} s`,
          );
      }
    }
    expect(problems).toEqual([]);
  });

  it('the custom resource framework waits longer than the handler it calls', () => {
    const model = models[stage];
    const fns = model.functions();
    const frameworks = fns.filter((f) => f.env.USER_ON_EVENT_FUNCTION_ARN);
    expect(frameworks.length).toBeGreaterThan(0);
    for (const f of frameworks) {
      const user = fns.find((x) => x.name === f.env.USER_ON_EVENT_FUNCTION_ARN.split(':').pop())!;
      expect(user.timeoutSeconds, `${user.entry} under ${f.path}`).toBeLessThan(f.timeoutSeconds);
    }
  });
});

describe('state timeouts follow their Lambda', () => {
  it('a stage that gives rendering longer moves the rendering states with it, and nothing else', () => {
    const base = stages.prod.lambda.groups;
    const config: StageConfig = {
      ...stages.prod,
      lambda: {
        ...stages.prod.lambda,
        groups: { ...base, render: { ...base.render, timeout: base.render.timeout.plus(Duration.seconds(80)) } },
      },
    };
    const before = new Map(taskStates(models.prod).map((s) => [s.name, s.timeoutSeconds]));
    const after = new Map(
      taskStates(new AwsModel(synthesize('prod', { config }).templates as never)).map((s) => [
        s.name,
        s.timeoutSeconds,
      ]),
    );
    const moved = [...after]
      .filter(([name, t]) => t !== before.get(name))
      .map(([name, t]) => `${name}: ${before.get(name)} -> ${t}`);
    expect(moved.sort()).toEqual(
      ['Check compliance', 'Compose master', 'Render variant'].map(
        (n) => `${n}: ${before.get(n)} -> ${before.get(n)! + 80}`,
      ),
    );
  });

  it('refuses a state timeout that ends before its function does', () => {
    const stack = new Stack(new App());
    const fn = (id: string, seconds: number) =>
      new lambda.Function(stack, id, {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('x'),
        timeout: Duration.seconds(seconds),
      });
    const tasks = Object.fromEntries(Object.keys(TASK_HANDLERS).map((k) => [k, fn(k, 60)])) as never;
    const slow = fn('Slow', 120);
    expect(
      () =>
        new ContentWorkflow(stack, 'Wf', {
          tasks,
          approvalStage: (_scope, ctx) =>
            ctx
              .task('Slow step', slow, 'functions/handlers/workflow/approval-step.ts', {
                timeout: Duration.seconds(90),
              })
              .next(ctx.publish),
        }),
    ).toThrow(/Slow step: a 90 s state timeout ends before its function's own 120 s/);
  });
});
