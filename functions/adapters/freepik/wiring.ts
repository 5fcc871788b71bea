/**
 * One place that assembles image sourcing for a process: config -> client with the Postgres
 * rate bucket, usage recorder and quota guard -> image source. And, for the local stack, the
 * choice between the real API (FREEPIK_API_KEY set) and the emulator (not set), with the line
 * to print saying which one is in use.
 */
import type { Db } from '../db/client.js';
import { createPgQuotaGuard } from '../limits/pg-quota.js';
import { createPgTokenBucket } from '../limits/pg-token-bucket.js';
import { createPgUsageRecorder } from '../limits/pg-usage-recorder.js';
import type { UsageRecorder } from '../../domain/sourcing-ports.js';
import { AppError } from '../../shared/errors.js';
import { createFreepikClient, type FreepikClient } from './client.js';
import { configForEmulator, loadFreepikConfig, type FreepikConfig } from './config.js';
import { EMULATOR_API_KEY, startFreepikEmulator, type EmulatorOptions, type FreepikEmulator } from './emulator.js';
import { createImageSource, type ImageSource } from './image-source.js';

export interface PgImageSourceOptions {
  /** Wraps the Postgres recorder (e.g. withFreepikMetrics). */
  decorateRecorder?: (r: UsageRecorder) => UsageRecorder;
}

/** Client + image source backed by PostgreSQL limits and metering. Throws when no key is configured. */
export function createPgImageSource(db: Db, cfg: FreepikConfig, opts: PgImageSourceOptions = {}): { client: FreepikClient; imageSource: ImageSource } {
  if (!cfg.apiKey) throw new AppError('provider_misconfigured', 'FREEPIK_API_KEY is not set');
  const pgRecorder = createPgUsageRecorder(db);
  const client = createFreepikClient({
    config: { ...cfg, apiKey: cfg.apiKey },
    recorder: opts.decorateRecorder ? opts.decorateRecorder(pgRecorder) : pgRecorder,
    rateLimiter: createPgTokenBucket(db, { key: cfg.rate.key, capacity: cfg.rate.capacity, refillPerSecond: cfg.rate.refillPerSecond, maxWaitMs: cfg.rate.maxWaitMs }),
  });
  const imageSource = createImageSource({ client, quota: createPgQuotaGuard(db), pricing: cfg.pricing, aiMode: cfg.aiMode, mysticResolution: cfg.mystic.resolution });
  return { client, imageSource };
}

export interface LocalFreepik {
  /** Configuration to use (pointing at the emulator when no key is set). */
  config: FreepikConfig & { apiKey: string };
  mode: 'freepik' | 'emulator';
  /** The line to print at startup. */
  banner: string;
  emulator?: FreepikEmulator;
  close(): Promise<void>;
}

/**
 * Local stack: real Freepik when FREEPIK_API_KEY is set, otherwise an emulator on
 * FREEPIK_EMULATOR_PORT (default: a free port) with the environment's other FREEPIK_* settings.
 */
export async function startLocalFreepik(env: Record<string, string | undefined> = process.env, emulatorOpts: EmulatorOptions = {}): Promise<LocalFreepik> {
  const cfg = loadFreepikConfig(env);
  if (cfg.apiKey) {
    return { config: { ...cfg, apiKey: cfg.apiKey }, mode: 'freepik', banner: `Image source: Freepik API at ${cfg.baseUrl} (FREEPIK_API_KEY is set; calls cost credits)`, close: async () => {} };
  }
  const emulator = await startFreepikEmulator({ port: Number(env.FREEPIK_EMULATOR_PORT ?? 0), keyHeader: cfg.keyHeader, ...emulatorOpts });
  const apiKey = emulatorOpts.apiKey ?? EMULATOR_API_KEY;
  const local = configForEmulator(cfg, emulator.url, apiKey);
  return {
    config: { ...local, apiKey },
    mode: 'emulator',
    banner: `Image source: Freepik emulator at ${emulator.url} (no FREEPIK_API_KEY set; generated images, no cost)`,
    emulator,
    close: () => emulator.close(),
  };
}
