/**
 * What every workflow task handler shares: the env check at cold start, the pipeline's
 * dependencies from the composition root, strict input parsing and one log line per failure.
 * A handler file is then: `export const handler = workflowTask(refSchema, useCase)`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import type { PipelineDeps } from '../../app/pipeline/ports.js';
import { pipelineDeps, type TaskWiring } from '../composition/pipeline.js';
import { dbEnv, parseEnv, storageEnv } from '../../shared/env.js';
import { AppError, asTransient } from '../../shared/errors.js';
import { flushMetrics } from '../../shared/metrics.js';

/** Every workflow task needs the database and the asset bucket. */
export const workflowTaskEnv = dbEnv.extend(storageEnv.shape);

export const refSchema = z.strictObject({
  orgId: z.string().uuid(),
  requestId: z.string().uuid(),
  run: z.number().int().min(0),
});
export const variantRefSchema = refSchema.extend({ platform: z.string().min(1).max(40) });

let logger: Logger | undefined;
const log = () => (logger ??= new Logger({ serviceName: 'svp-workflow' }));

/**
 * Wraps a use case as a Lambda handler. Input problems are permanent (a retry cannot fix them);
 * errors keep their name (`Transient.*` / `Permanent.*`) for the state machine's Retry/Catch.
 */
/** The part of the Lambda context tasks use (the local runner passes the same). */
export interface TaskContext {
  getRemainingTimeInMillis(): number;
}

export function workflowTask<S extends z.ZodType, R>(
  name: string,
  schema: S,
  run: (deps: PipelineDeps, input: z.infer<S>, context?: TaskContext) => Promise<R>,
  wiring?: TaskWiring,
) {
  // Cold start: missing configuration fails the first invocation loudly, not a later step.
  parseEnv(workflowTaskEnv);
  return async (event: unknown, context?: TaskContext): Promise<R> => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      throw new AppError('validation_failed', `${name}: invalid task input`, {
        fields: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    try {
      return await run(pipelineDeps(wiring), parsed.data, context);
    } catch (caught) {
      const e = asTransient(caught);
      const err = e as Error;
      const ref = parsed.data as { requestId?: string; run?: number };
      log().warn(`${name} failed`, {
        requestId: ref.requestId,
        run: ref.run,
        errorName: err.name,
        errorMessage: err.message,
      });
      throw e;
    } finally {
      flushMetrics();
    }
  };
}
