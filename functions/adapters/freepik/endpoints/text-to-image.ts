/**
 * POST /v1/ai/text-to-image: a synchronous generation whose images come back as base64 in the
 * answer, so each one is decoded and inspected here like a download would be.
 */
import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import { inspectImage } from '../../safe-fetch/inspect-image.js';
import type { SafeImage } from '../../safe-fetch/safe-fetch.js';
import type { Price } from '../config.js';
import { type CallContext, ENDPOINTS, type FreepikTransport } from '../transport.js';

export const textToImageResponseSchema = z.object({
  data: z.array(z.object({ base64: z.string().min(1), has_nsfw: z.boolean().nullish() })).min(1),
  meta: z
    .object({
      seed: z.number().nullish(),
      image: z
        .object({ size: z.string().nullish(), width: z.number().nullish(), height: z.number().nullish() })
        .nullish(),
    })
    .nullish(),
});

export interface GeneratedImage extends SafeImage {
  hasNsfw: boolean;
}

export interface TextToImageParams {
  prompt: string;
  negativePrompt?: string;
  guidanceScale?: number;
  seed?: number;
  numImages?: number;
  size?: string;
  style?: string;
  colors?: { color: string; weight: number }[];
  filterNsfw?: boolean;
}
export interface TextToImageResult {
  images: GeneratedImage[];
  seed?: number;
  /** What the call cost (also recorded on its usage row). */
  spent: Price;
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

function textToImageBody(p: TextToImageParams): Record<string, unknown> {
  const body: Record<string, unknown> = { prompt: p.prompt };
  if (p.negativePrompt) body.negative_prompt = p.negativePrompt;
  if (p.guidanceScale !== undefined) body.guidance_scale = p.guidanceScale;
  if (p.seed !== undefined) body.seed = p.seed;
  if (p.numImages !== undefined) body.num_images = p.numImages;
  if (p.size) body.image = { size: p.size };
  if (p.style || p.colors) {
    body.styling = { ...(p.style ? { style: p.style } : {}), ...(p.colors ? { colors: p.colors } : {}) };
  }
  if (p.filterNsfw !== undefined) body.filter_nsfw = p.filterNsfw;
  return body;
}

export async function textToImage(
  t: FreepikTransport,
  ctx: CallContext,
  p: TextToImageParams,
): Promise<TextToImageResult> {
  const unit = t.config.pricing.textToImage;
  const { data, spent } = await t.callJson(ctx, {
    endpoint: ENDPOINTS.textToImage,
    method: 'POST',
    path: '/v1/ai/text-to-image',
    body: textToImageBody(p),
    schema: textToImageResponseSchema,
    // Billed per image returned, not per image asked for.
    price: (d) => ({ credits: unit.credits * d.data.length, costUsd: round6(unit.costUsd * d.data.length) }),
  });
  const images: GeneratedImage[] = [];
  for (const item of data.data) {
    const bytes = decodeBase64Image(item.base64);
    const info = await inspectImage(bytes, {
      maxPixels: t.config.download.maxPixels,
      allowedTypes: ['image/jpeg', 'image/png'],
    });
    images.push({ bytes, ...info, hasNsfw: item.has_nsfw ?? false });
  }
  return { images, seed: data.meta?.seed ?? undefined, spent };
}

/** Base64 image payload -> bytes; a data: URL prefix is tolerated. The type is sniffed later. */
export function decodeBase64Image(b64: string): Buffer {
  const raw = b64.replace(/^data:[^,]*,/, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(raw)) {
    throw new AppError('invalid_image', 'The generated image is not valid base64', {
      detail: { reason: 'bad_base64' },
    });
  }
  return Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64');
}
