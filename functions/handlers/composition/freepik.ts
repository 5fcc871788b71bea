/**
 * The one builder of image sourcing on PostgreSQL, part of the composition root (./root.ts):
 * config -> client with the shared Postgres rate bucket (capacity, refill and the longest wait for
 * a token), the usage recorder and the quota guard -> image source with the sourcing policy. The
 * "Source image" Lambda, the local stack and the tests all build it here, so a FREEPIK_* setting
 * cannot reach one and miss the other. Only the "Source image" task imports this module, so no
 * other Lambda bundles the Freepik client. (No emulator in this module: the Lambda bundles it.)
 */
import type { Db } from '../../adapters/db/client.js';
import { createFreepikClient, type FreepikClient } from '../../adapters/freepik/client.js';
import { loadFreepikConfigWithSecret, type FreepikConfig } from '../../adapters/freepik/config.js';
import { createImageSource, type ImageSource } from '../../adapters/freepik/image-source.js';
import { withFreepikMetrics } from '../../adapters/freepik/metrics-recorder.js';
import { createPgQuotaGuard } from '../../adapters/limits/pg-quota.js';
import { createPgTokenBucket } from '../../adapters/limits/pg-token-bucket.js';
import { createPgUsageRecorder } from '../../adapters/limits/pg-usage-recorder.js';
import type { UsageRecorder } from '../../domain/sourcing-ports.js';
import { AppError } from '../../shared/errors.js';
import { FREEPIK_METRICS } from '../../shared/metric-names.js';
import { metricsFor } from '../../shared/metrics.js';
import { isResolved, remember, resolve } from './cache.js';
import { services } from './root.js';

export interface PgImageSourceOptions {
  /** Wraps the Postgres recorder (e.g. withFreepikMetrics). */
  decorateRecorder?: (r: UsageRecorder) => UsageRecorder;
}

/** Client + image source backed by PostgreSQL limits and metering. Throws when no key is configured. */
export function createPgImageSource(
  db: Db,
  cfg: FreepikConfig,
  opts: PgImageSourceOptions = {},
): { client: FreepikClient; imageSource: ImageSource } {
  if (!cfg.apiKey) throw new AppError('provider_misconfigured', 'FREEPIK_API_KEY is not set');
  const pgRecorder = createPgUsageRecorder(db);
  const client = createFreepikClient({
    config: { ...cfg, apiKey: cfg.apiKey },
    recorder: opts.decorateRecorder ? opts.decorateRecorder(pgRecorder) : pgRecorder,
    rateLimiter: createPgTokenBucket(db, {
      key: cfg.rate.key,
      capacity: cfg.rate.capacity,
      refillPerSecond: cfg.rate.refillPerSecond,
      maxWaitMs: cfg.rate.maxWaitMs,
    }),
  });
  const imageSource = createImageSource({
    client,
    quota: createPgQuotaGuard(db),
    pricing: cfg.pricing,
    aiMode: cfg.aiMode,
    mysticResolution: cfg.mystic.resolution,
    mysticDeadlineMs: cfg.mystic.deadlineMs,
    mysticFallback: cfg.mystic.fallback,
    searchLimit: cfg.stock.searchLimit,
    previewChecks: cfg.stock.previewChecks,
    maxDownloadCandidates: cfg.stock.maxDownloads,
  });
  return { client, imageSource };
}

/** Cold start of "Source image": resolves the key (env, or Secrets Manager in AWS) once per container. */
export async function loadSourceConfig(): Promise<void> {
  if (!isResolved('freepikConfig')) remember('freepikConfig', await loadFreepikConfigWithSecret());
}

/** The "Source image" task's image source, on the process database; loadSourceConfig() first. */
export function imageSourceFromEnv(): ImageSource {
  return resolve('imageSource', () => {
    const config = resolve('freepikConfig', () => {
      throw new AppError('internal', 'Freepik configuration not loaded');
    });
    // Every call also feeds the Freepik metrics the error-rate and spend alarms watch.
    return createPgImageSource(services.db(), config, {
      decorateRecorder: (r) => withFreepikMetrics(r, metricsFor(FREEPIK_METRICS.service)),
    }).imageSource;
  });
}
