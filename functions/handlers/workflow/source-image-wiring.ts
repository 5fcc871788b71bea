/**
 * Freepik behind the shared rate bucket, the tenant quota guard and usage metering: the wiring of
 * the "Source image" task only (kept out of task.ts so other tasks don't bundle it). The image
 * source is built by createPgImageSource, the same builder the local stack and the tests use, so
 * every FREEPIK_* setting (the rate bucket's wait included) reaches the Lambda.
 */
import type { Db } from '../../adapters/db/client.js';
import { loadFreepikConfigWithSecret, type FreepikConfig } from '../../adapters/freepik/config.js';
import type { ImageSource } from '../../adapters/freepik/image-source.js';
import { createPgImageSource } from '../../adapters/freepik/pg-image-source.js';
import { AppError } from '../../shared/errors.js';
import { metricsFor } from '../../shared/metrics.js';
import { FREEPIK_METRICS } from '../../shared/metric-names.js';
import { withFreepikMetrics } from '../../adapters/freepik/metrics-recorder.js';
import { onWorkflowDepsReset, type TaskContext } from './task.js';

let config: FreepikConfig | undefined;
let imageSource: ImageSource | undefined;
onWorkflowDepsReset(() => {
  config = undefined;
  imageSource = undefined;
});

/** Cold start: resolves the key (env, or Secrets Manager in AWS) once per container. */
export async function loadSourceConfig(): Promise<void> {
  config ??= await loadFreepikConfigWithSecret();
}

export function imageSourceFromEnv(db: Db): ImageSource {
  if (imageSource) return imageSource;
  if (!config) throw new AppError('internal', 'Freepik configuration not loaded');
  // Every call also feeds the Freepik metrics the error-rate and spend alarms watch.
  imageSource = createPgImageSource(db, config, {
    decorateRecorder: (r) => withFreepikMetrics(r, metricsFor(FREEPIK_METRICS.service)),
  }).imageSource;
  return imageSource;
}

/**
 * Time kept back from the Lambda's remaining time: storing what was bought, recording the step
 * and answering Step Functions must fit after the last Freepik call or poll.
 */
export const SOURCING_SAFETY_MS = 15_000;

/**
 * When sourcing must stop: the invocation's remaining time less the safety margin. Past it, a
 * pending Mystic task is left running (its id is stored) and the task fails retryable, so the state
 * machine's retry resumes it instead of the Lambda being killed with the generation unpaid-for
 * lost. No context (a direct call): no deadline beyond the client's own.
 */
export function sourcingDeadline(context?: TaskContext, now = Date.now()): number | undefined {
  if (!context) return undefined;
  return now + Math.max(1_000, context.getRemainingTimeInMillis() - SOURCING_SAFETY_MS);
}
