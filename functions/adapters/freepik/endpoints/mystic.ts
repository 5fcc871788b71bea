/**
 * Mystic (POST /v1/ai/mystic, GET /v1/ai/mystic/{task_id}): an asynchronous generation. A task is
 * created (paid once), polled with growing intervals until it ends, and its signed result URL is
 * downloaded like any other image.
 */
import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import type { SafeImage } from '../../safe-fetch/safe-fetch.js';
import type { MysticResolution, Price } from '../config.js';
import { type CallContext, ENDPOINTS, type FreepikTransport } from '../transport.js';

const generatedEntry = z.union([z.string(), z.object({ url: z.string() }).transform((o) => o.url)]);
export const mysticTaskBodySchema = z.object({
  task_id: z.string().min(1),
  // Any string: an unknown status is handled (as a terminal failure), not a parse error.
  status: z.string(),
  generated: z.array(generatedEntry).nullish(),
  has_nsfw: z.array(z.boolean().nullable()).nullish(),
});
export const mysticResponseSchema = z.object({ data: mysticTaskBodySchema });

export interface MysticParams {
  prompt: string;
  resolution?: MysticResolution;
  aspectRatio?: string;
  model?: string;
  colors?: { color: string; weight: number }[];
  webhookUrl?: string;
  filterNsfw?: boolean;
}
export type MysticStatus = 'CREATED' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | (string & {});
export interface MysticTask {
  taskId: string;
  status: MysticStatus;
  /** Signed image URLs, filled when COMPLETED. */
  generated: string[];
  hasNsfw: boolean[];
}

export async function createMysticTask(
  t: FreepikTransport,
  ctx: CallContext,
  p: MysticParams,
): Promise<MysticTask & { spent: Price }> {
  const resolution = p.resolution ?? t.config.mystic.resolution;
  const body: Record<string, unknown> = { prompt: p.prompt, resolution };
  if (p.aspectRatio) body.aspect_ratio = p.aspectRatio;
  const model = p.model ?? t.config.mystic.model;
  if (model) body.model = model;
  // Mystic accepts upper-case hex only.
  if (p.colors) body.styling = { colors: p.colors.map((c) => ({ color: c.color.toUpperCase(), weight: c.weight })) };
  if (p.webhookUrl) body.webhook_url = p.webhookUrl;
  if (p.filterNsfw !== undefined) body.filter_nsfw = p.filterNsfw;
  const { data, spent } = await t.callJson(ctx, {
    endpoint: ENDPOINTS.mysticCreate,
    method: 'POST',
    path: '/v1/ai/mystic',
    body,
    schema: mysticResponseSchema,
    price: () => t.config.pricing.mystic[resolution],
  });
  return { ...toTask(data.data), spent };
}

export async function getMysticTask(t: FreepikTransport, ctx: CallContext, taskId: string): Promise<MysticTask> {
  const { data } = await t.callJson(ctx, {
    endpoint: ENDPOINTS.mysticGet,
    method: 'GET',
    path: `/v1/ai/mystic/${encodeURIComponent(taskId)}`,
    schema: mysticResponseSchema,
  });
  return toTask(data.data);
}

/**
 * Polls with growing intervals until COMPLETED; FAILED, CANCELLED or unknown -> AppError;
 * deadline -> retryable AppError.
 */
export async function waitForMysticTask(
  t: FreepikTransport,
  ctx: CallContext,
  taskId: string,
  opts: { deadline?: number } = {},
): Promise<MysticTask> {
  const { clock, config } = t;
  const deadline = opts.deadline ?? ctx.deadline ?? clock.now() + config.mystic.deadlineMs;
  let interval = config.mystic.pollIntervalMs;
  for (;;) {
    const task = await getMysticTask(t, { ...ctx, deadline }, taskId);
    if (task.status === 'COMPLETED') {
      if (task.generated.length === 0) {
        throw new AppError('upstream_rejected', 'Mystic finished without an image', {
          detail: { taskId, status: task.status },
        });
      }
      return task;
    }
    if (task.status !== 'CREATED' && task.status !== 'IN_PROGRESS') {
      throw new AppError('upstream_rejected', `Mystic generation ended with status ${task.status}`, {
        detail: { taskId, status: task.status, reason: 'generation_failed' },
      });
    }
    if (clock.now() + interval >= deadline) {
      throw new AppError('upstream_unavailable', `Mystic task ${taskId} did not finish before the deadline`, {
        retryable: true,
        detail: { taskId, status: task.status, reason: 'deadline' },
      });
    }
    await clock.sleep(interval, ctx.signal);
    interval = Math.min(config.mystic.maxPollIntervalMs, Math.round(interval * 1.5));
  }
}

/** Safe download of a Mystic result URL (metered). */
export function downloadGenerated(t: FreepikTransport, ctx: CallContext, url: string): Promise<SafeImage> {
  return t.download(ctx, url, ENDPOINTS.mysticFile, t.config.download);
}

function toTask(d: z.infer<typeof mysticTaskBodySchema>): MysticTask {
  return {
    taskId: d.task_id,
    status: d.status.toUpperCase(),
    generated: d.generated ?? [],
    hasNsfw: (d.has_nsfw ?? []).map(Boolean),
  };
}
