/**
 * The one builder of image sourcing on PostgreSQL: config -> client with the shared Postgres rate
 * bucket (capacity, refill and the longest wait for a token), the usage recorder and the quota
 * guard -> image source with the sourcing policy. The "Source image" Lambda, the local stack and
 * the tests all build it here, so a FREEPIK_* setting cannot reach one and miss the other.
 * (No emulator in this module: the Lambda bundles it.)
 */
import type { Db } from '../db/client.js';
import { createPgQuotaGuard } from '../limits/pg-quota.js';
import { createPgTokenBucket } from '../limits/pg-token-bucket.js';
import { createPgUsageRecorder } from '../limits/pg-usage-recorder.js';
import type { UsageRecorder } from '../../domain/sourcing-ports.js';
import { AppError } from '../../shared/errors.js';
import { createFreepikClient, type FreepikClient } from './client.js';
import type { FreepikConfig } from './config.js';
import { createImageSource, type ImageSource } from './image-source.js';

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
