/**
 * What bounds a burst in AWS (docs/local-stack.md), read from the synthesized prod and dev
 * templates: the reserved concurrency of each function, the account arithmetic behind it, and
 * the patient retrier for throttled invokes on exactly the tasks whose function is reserved,
 * ahead of the transient retrier (Step Functions takes the first retrier naming the error).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stages, type StageConfig } from '../../lib/config/stages.js';
import { apiEntry, apiRoutes } from '../../lib/config/handlers.js';
import { MIGRATE_HANDLER } from '../../lib/config/functions.js';
import { LAMBDA_THROTTLED, TASK_HANDLERS } from '../../lib/constructs/content-workflow.js';
import { LOGINS_HANDLER } from '../../lib/constructs/database-logins.js';
import { AwsModel } from './aws-model.js';
import { removeOutdirs, synthesize } from './support.js';

type Stage = 'prod' | 'dev';
const models = {} as Record<Stage, AwsModel>;
beforeAll(() => {
  for (const stage of ['prod', 'dev'] as const) models[stage] = new AwsModel(synthesize(stage).templates as never);
});
afterAll(removeOutdirs);

/** The reservations the burst analysis settled on, by handler module (everything else: none). */
const EXPECTED: Record<Stage, Record<string, number>> = {
  prod: {
    ...Object.fromEntries([...new Set(apiRoutes.map((r) => r.fn))].map((fn) => [apiEntry(fn), 50])),
    [TASK_HANDLERS.sourceImage]: 10,
    [TASK_HANDLERS.renderVariant]: 40,
    [MIGRATE_HANDLER]: 1,
    [LOGINS_HANDLER]: 1,
  },
  dev: {
    [TASK_HANDLERS.sourceImage]: 4,
    [TASK_HANDLERS.renderVariant]: 8,
    [MIGRATE_HANDLER]: 1,
    [LOGINS_HANDLER]: 1,
  },
};

/** ReservedConcurrentExecutions of every Lambda function in the templates, by handler module or path. */
function reservations(model: AwsModel): Record<string, number | undefined> {
  return Object.fromEntries(
    model
      .functions()
      .map((f) => [f.entry ?? f.path, model.resource(f.stack, f.lid).Properties?.ReservedConcurrentExecutions]),
  );
}

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  MaxAttempts?: number;
  JitterStrategy?: string;
}

/** Every Lambda task of the content workflow with its function's name and its retriers, in order. */
function taskRetriers(model: AwsModel): Array<{ state: string; fnName: string; retry: Retrier[] }> {
  const [stack, lid] = Object.entries(model.templates).flatMap(([s, t]) =>
    Object.entries(t.Resources)
      .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map(([l]) => [s, l] as const),
  )[0]!;
  const asl = JSON.parse(model.str(stack, model.resource(stack, lid).Properties!.DefinitionString));
  const out: Array<{ state: string; fnName: string; retry: Retrier[] }> = [];
  const walk = (states: Record<string, any>) => {
    for (const [state, s] of Object.entries(states)) {
      if (s.Type === 'Map') walk((s.ItemProcessor ?? s.Iterator).States);
      if (s.Type !== 'Task') continue;
      const arn = String(String(s.Resource).startsWith('arn:aws:states:::') ? s.Parameters.FunctionName : s.Resource);
      out.push({ state, fnName: arn.split(':').pop()!, retry: s.Retry ?? [] });
    }
  };
  walk(asl.States);
  return out;
}

describe.each(['prod', 'dev'] as const)('burst limits (%s)', (stage) => {
  it('reserves concurrency on exactly the configured functions, with the configured values', () => {
    const actual = reservations(models[stage]);
    const reserved = Object.fromEntries(Object.entries(actual).filter(([, v]) => v !== undefined));
    expect(reserved).toEqual(EXPECTED[stage]);
    // The API functions are all there (a route table read wrongly would make the check above vacuous).
    expect(Object.keys(actual).filter((k) => k.startsWith('functions/handlers/api/')).length).toBeGreaterThan(10);
  });

  it('leaves at least 100 of the account quota unreserved, with every other function sharing it', () => {
    const total = Object.values(reservations(models[stage])).reduce<number>((sum, v) => sum + (v ?? 0), 0);
    expect(stages[stage].lambda.accountConcurrency - total).toBeGreaterThanOrEqual(100);
  });

  it('retries a throttled invoke patiently on exactly the tasks whose function is reserved, before anything else', () => {
    const model = models[stage];
    const reservedByName = new Map(
      model
        .functions()
        .map((f) => [f.name, model.resource(f.stack, f.lid).Properties?.ReservedConcurrentExecutions] as const),
    );
    const tasks = taskRetriers(model);
    const patient = tasks.filter((t) => reservedByName.get(t.fnName) !== undefined).map((t) => t.state);
    expect(patient.sort()).toEqual(['Render variant', 'Source image']);
    for (const t of tasks) {
      const first = t.retry.findIndex(
        (r) => r.ErrorEquals.includes(LAMBDA_THROTTLED) || r.ErrorEquals.includes('States.ALL'),
      );
      if (patient.includes(t.state)) {
        expect(first, t.state).toBe(0);
        expect(t.retry[0], t.state).toEqual({
          ErrorEquals: [LAMBDA_THROTTLED],
          IntervalSeconds: 2,
          BackoffRate: 1.5,
          MaxDelaySeconds: 60,
          MaxAttempts: 30,
          JitterStrategy: 'FULL',
        });
        // No later retrier names it either: a reorder cannot hand it back to the 2-minute one.
        expect(t.retry.slice(1).filter((r) => r.ErrorEquals.includes(LAMBDA_THROTTLED))).toEqual([]);
      } else {
        // Unreserved tasks meet throttling only at the account limit: the transient retrier takes it.
        expect(
          t.retry.filter((r) => r.ErrorEquals.length === 1 && r.ErrorEquals[0] === LAMBDA_THROTTLED),
          t.state,
        ).toEqual([]);
      }
    }
  });
});

describe('reserved concurrency checks', () => {
  it('leaves room for a dev and a prod stage in one account', () => {
    const total = (Object.keys(models) as Stage[]).reduce(
      (sum, s) => sum + Object.values(reservations(models[s])).reduce<number>((a, v) => a + (v ?? 0), 0),
      0,
    );
    expect(stages.prod.lambda.accountConcurrency - total).toBeGreaterThanOrEqual(100);
  });

  const withReservations = (lambda: Partial<StageConfig['lambda']>): StageConfig => ({
    ...stages.prod,
    lambda: { ...stages.prod.lambda, ...lambda },
  });

  it('fails synth when the reservations would leave less than 100 unreserved, saying what to change', () => {
    // 13 API functions x 60 + 50 + 2 = 832 of a 900 quota: 68 left.
    const config = withReservations({
      accountConcurrency: 900,
      reservedConcurrency: { ...stages.prod.lambda.reservedConcurrency, api: 60 },
    });
    const expected = [
      /^prod: the functions reserve 832 concurrent executions \(17 functions; largest: svp-prod-app\/Api-\S+ 60, /,
      /leaving 68 of the account's 900 unreserved; Lambda keeps at least 100 unreserved\./,
      /Lower lambda\.reservedConcurrency in lib\/config\/stages\.ts, or raise lambda\.accountConcurrency/,
    ];
    let message = '';
    try {
      synthesize('prod', { config });
    } catch (e) {
      message = (e as Error).message;
    }
    for (const part of expected) expect(message).toMatch(part);
  });

  it('refuses a reservation of 0 (it would stop the function) and a Map wider than the render reservation', () => {
    const zero = withReservations({ reservedConcurrency: { tasks: { sourceImage: 0, renderVariant: 40 } } });
    expect(() => synthesize('prod', { config: zero })).toThrow(
      /^prod: svp-prod-app\/Task-sourceImage reserves 0 concurrent executions; use a positive integer/,
    );
    const narrow = withReservations({ reservedConcurrency: { tasks: { sourceImage: 10, renderVariant: 2 } } });
    expect(() => synthesize('prod', { config: narrow })).toThrow(
      /MaxConcurrency 4 is above Render variant's reserved concurrency 2/,
    );
  });
});
