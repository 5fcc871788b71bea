/**
 * What every workflow task handler shares: the env check at cold start, the pipeline's
 * dependencies from the process container, strict input parsing and one log line per failure.
 * A handler file is then: `export const handler = workflowTask(refSchema, useCase)`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { createPgQuotaGuard } from '../../adapters/limits/pg-quota.js';
import { createPgTokenBucket } from '../../adapters/limits/pg-token-bucket.js';
import { createPgUsageRecorder } from '../../adapters/limits/pg-usage-recorder.js';
import { createFreepikClient } from '../../adapters/freepik/client.js';
import { loadFreepikConfig } from '../../adapters/freepik/config.js';
import { createImageSource, type ImageSource } from '../../adapters/freepik/image-source.js';
import type { Db } from '../../adapters/db/client.js';
import { createPipelineImaging } from '../../app/pipeline/imaging.js';
import type { PipelineDeps } from '../../app/pipeline/ports.js';
import { services } from '../../shared/container.js';
import { dbEnv, parseEnv, storageEnv } from '../../shared/env.js';
import { AppError } from '../../shared/errors.js';

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

let imageSource: ImageSource | undefined;
/** Freepik through the shared rate bucket, quota guard and usage metering. */
export function imageSourceFromEnv(db: Db): ImageSource {
  if (imageSource) return imageSource;
  const cfg = loadFreepikConfig();
  if (!cfg.apiKey) throw new AppError('provider_misconfigured', 'FREEPIK_API_KEY is not set');
  const client = createFreepikClient({
    config: { ...cfg, apiKey: cfg.apiKey },
    recorder: createPgUsageRecorder(db),
    rateLimiter: createPgTokenBucket(db, { key: cfg.rate.key, capacity: cfg.rate.capacity, refillPerSecond: cfg.rate.refillPerSecond }),
  });
  imageSource = createImageSource({
    client, quota: createPgQuotaGuard(db), pricing: cfg.pricing, aiMode: cfg.aiMode, mysticResolution: cfg.mystic.resolution,
  });
  return imageSource;
}

let deps: PipelineDeps | undefined;
export function pipelineDeps(): PipelineDeps {
  return (deps ??= {
    db: services.db(),
    store: services.store(),
    imageSource: () => imageSourceFromEnv(services.db()),
    imaging: createPipelineImaging(),
  });
}

/** Test/local hook: forget cached dependencies (after the container changed). */
export function resetWorkflowDeps(): void {
  deps = undefined;
  imageSource = undefined;
}

/**
 * Wraps a use case as a Lambda handler. Input problems are permanent (a retry cannot fix them);
 * errors keep their name (`Transient.*` / `Permanent.*`) for the state machine's Retry/Catch.
 */
export function workflowTask<S extends z.ZodType, R>(name: string, schema: S, run: (deps: PipelineDeps, input: z.infer<S>) => Promise<R>) {
  // Cold start: missing configuration fails the first invocation loudly, not a later step.
  parseEnv(workflowTaskEnv);
  return async (event: unknown): Promise<R> => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      throw new AppError('validation_failed', `${name}: invalid task input`, {
        fields: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    try {
      return await run(pipelineDeps(), parsed.data);
    } catch (e) {
      const err = e as Error;
      const ref = parsed.data as { requestId?: string; run?: number };
      log().warn(`${name} failed`, { requestId: ref.requestId, run: ref.run, errorName: err.name, errorMessage: err.message });
      throw e;
    }
  };
}
