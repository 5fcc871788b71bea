/**
 * The AI endpoints: text-to-image (synchronous, base64 JPEGs in the answer) and Mystic tasks
 * (create, poll). Validation follows the contract, including where the two differ (text-to-image
 * names a bad parameter under `field` for the prompt, Mystic wants upper-case hex colours).
 */
import { AI_SIZES, isMysticAspectRatio, isMysticResolution, MYSTIC_MODELS, textToImageTheme } from './catalog.js';
import { type Fault, imagePayload } from './faults.js';
import { hash32 } from './images.js';
import type { MysticTasks } from './mystic-tasks.js';
import { bad, notFound, type Reply } from './replies.js';

type Body = Record<string, unknown>;

/** `styling.colors` hexes, heaviest first; undefined when absent, null when malformed. */
function stylingColors(styling: unknown): string[] | undefined | null {
  const colors = (styling as { colors?: unknown } | undefined)?.colors;
  if (colors === undefined) return undefined;
  const ok =
    Array.isArray(colors) &&
    colors.length >= 1 &&
    colors.length <= 5 &&
    colors.every(
      (c) =>
        typeof c?.color === 'string' &&
        /^#[0-9A-Fa-f]{6}$/.test(c.color) &&
        typeof c.weight === 'number' &&
        c.weight >= 0.05 &&
        c.weight <= 1,
    );
  if (!ok) return null;
  // Weighted: the heaviest colour leads the gradient.
  return [...(colors as { color: string; weight: number }[])]
    .sort((a, b) => b.weight - a.weight)
    .map((c) => c.color.toUpperCase());
}

const isInt = (v: unknown, min: number, max: number) =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

/** The first parameter problem of a text-to-image body, as the 400 to answer. */
function textToImageProblem(b: Body): Reply | undefined {
  if (typeof b.prompt !== 'string' || b.prompt.trim().length < 3)
    return bad('prompt', 'prompt is required and must be at least 3 characters', 'field');
  if (b.num_images !== undefined && !isInt(b.num_images, 1, 4))
    return bad('num_images', 'must be an integer between 1 and 4');
  const g = b.guidance_scale;
  if (g !== undefined && (typeof g !== 'number' || g < 0 || g > 2))
    return bad('guidance_scale', 'must be between 0 and 2');
  if (b.seed !== undefined && !isInt(b.seed, 0, 1_000_000))
    return bad('seed', 'must be an integer between 0 and 1000000');
  return undefined;
}

export async function textToImage(body: unknown, fault: Fault | undefined): Promise<Reply> {
  const b = (body ?? {}) as Body;
  const problem = textToImageProblem(b);
  if (problem) return problem;
  const prompt = b.prompt as string;
  const n = (b.num_images ?? 1) as number;
  const size = ((b.image as { size?: unknown } | undefined)?.size ?? 'square_1_1') as string;
  const dims = AI_SIZES[size];
  if (!dims) return bad('image.size', `unknown size ${String(size)}`);
  const colors = stylingColors(b.styling);
  if (colors === null) return bad('styling.colors', 'colors like [{"color":"#AABBCC","weight":0.5}]');
  const seed = typeof b.seed === 'number' ? b.seed : hash32(prompt) % 1_000_000;
  const images = [];
  for (let i = 0; i < n; i++) {
    const bytes = await imagePayload(textToImageTheme(prompt, seed, i, colors), dims.width, dims.height, fault);
    images.push({ base64: bytes.toString('base64'), has_nsfw: false });
  }
  return {
    status: 200,
    json: {
      data: images,
      meta: {
        prompt,
        seed,
        image: { size: size.replace(/_\d+_\d+$/, ''), width: dims.width, height: dims.height },
        num_inference_steps: 8,
        guidance_scale: b.guidance_scale ?? 1.5,
      },
    },
  };
}

export function mysticCreate(tasks: MysticTasks, body: unknown): Reply {
  const b = (body ?? {}) as Body;
  if (typeof b.prompt !== 'string' || b.prompt.trim().length < 1) return bad('prompt', 'prompt is required');
  const resolution = b.resolution ?? '2k';
  if (!isMysticResolution(resolution)) return bad('resolution', 'must be 1k, 2k or 4k');
  const aspect = b.aspect_ratio ?? 'square_1_1';
  if (!isMysticAspectRatio(aspect)) return bad('aspect_ratio', `unknown aspect ratio ${String(aspect)}`);
  if (b.model !== undefined && !MYSTIC_MODELS.includes(b.model as string))
    return bad('model', `must be one of ${MYSTIC_MODELS.join(', ')}`);
  const raw = (b.styling as { colors?: unknown } | undefined)?.colors;
  // Mystic is stricter than text-to-image: upper-case hex only.
  const colors = stylingColors(b.styling);
  if (colors === null || (Array.isArray(raw) && raw.some((c) => !/^#[0-9A-F]{6}$/.test(c?.color))))
    return bad('styling.colors', '1..5 colors like {"color":"#AABBCC","weight":0.5}');
  const webhookUrl = typeof b.webhook_url === 'string' ? b.webhook_url : undefined;
  const t = tasks.create({ prompt: b.prompt, aspect, resolution, colors, webhookUrl });
  return { status: 200, json: { data: tasks.body(t) } };
}

export function mysticGet(tasks: MysticTasks, id: string, fault: Fault | undefined): Reply {
  const t = tasks.poll(id);
  if (!t) return notFound('Task not found');
  return { status: 200, json: { data: tasks.body(t, fault?.kind === 'mystic_status' ? fault.status : undefined) } };
}
