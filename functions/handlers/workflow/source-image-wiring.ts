/**
 * Freepik behind the shared rate bucket, the tenant quota guard and usage metering: the wiring of
 * the "Source image" task only (kept out of task.ts so other tasks don't bundle it).
 */
import type { Db } from '../../adapters/db/client.js';
import { createFreepikClient } from '../../adapters/freepik/client.js';
import { loadFreepikConfigWithSecret, type FreepikConfig } from '../../adapters/freepik/config.js';
import { createImageSource, type ImageSource } from '../../adapters/freepik/image-source.js';
import { createPgQuotaGuard } from '../../adapters/limits/pg-quota.js';
import { createPgTokenBucket } from '../../adapters/limits/pg-token-bucket.js';
import { createPgUsageRecorder } from '../../adapters/limits/pg-usage-recorder.js';
import { AppError } from '../../shared/errors.js';
import { metricsFor } from '../../shared/metrics.js';
import { FREEPIK_METRICS } from '../../../lib/config/metrics.js';
import { withFreepikMetrics } from '../../adapters/freepik/metrics-recorder.js';
import { onWorkflowDepsReset } from './task.js';

let config: FreepikConfig | undefined;
let imageSource: ImageSource | undefined;
onWorkflowDepsReset(() => { config = undefined; imageSource = undefined; });

/** Cold start: resolves the key (env, or Secrets Manager in AWS) once per container. */
export async function loadSourceConfig(): Promise<void> {
  config ??= await loadFreepikConfigWithSecret();
}

export function imageSourceFromEnv(db: Db): ImageSource {
  if (imageSource) return imageSource;
  if (!config) throw new AppError('internal', 'Freepik configuration not loaded');
  const cfg = config;
  if (!cfg.apiKey) throw new AppError('provider_misconfigured', 'FREEPIK_API_KEY is not set');
  const client = createFreepikClient({
    config: { ...cfg, apiKey: cfg.apiKey },
    // Every call also feeds the Freepik metrics the error-rate and spend alarms watch.
    recorder: withFreepikMetrics(createPgUsageRecorder(db), metricsFor(FREEPIK_METRICS.service)),
    rateLimiter: createPgTokenBucket(db, { key: cfg.rate.key, capacity: cfg.rate.capacity, refillPerSecond: cfg.rate.refillPerSecond }),
  });
  imageSource = createImageSource({
    client, quota: createPgQuotaGuard(db), pricing: cfg.pricing, aiMode: cfg.aiMode, mysticResolution: cfg.mystic.resolution,
  });
  return imageSource;
}
