/**
 * Response shapes from ../shared/freepik-api.md, validated with zod. Objects are non-strict
 * (unknown fields are dropped, never an error) and optional wherever the contract is unsure.
 */
import { z } from 'zod';

const id = z.union([z.number(), z.string()]);
const optStr = z.string().nullish();

export const searchItemSchema = z.object({
  id,
  title: optStr,
  url: optStr,
  filename: optStr,
  licenses: z.array(z.object({ type: z.string(), url: optStr })).nullish(),
  image: z
    .object({
      type: optStr,
      orientation: optStr,
      source: z.object({ key: optStr, size: optStr, url: optStr }).nullish(),
    })
    .nullish(),
  author: z.object({ id: id.nullish(), name: optStr, slug: optStr, avatar: optStr }).nullish(),
});
export type SearchItemBody = z.infer<typeof searchItemSchema>;

const pageMeta = z.object({
  current_page: z.number().nullish(),
  per_page: z.number().nullish(),
  last_page: z.number().nullish(),
  total: z.number().nullish(),
});
export const searchResponseSchema = z.object({
  data: z.array(searchItemSchema),
  // Some API versions nest pagination under meta.pagination.
  meta: pageMeta.extend({ pagination: pageMeta.nullish() }).nullish(),
});

const boolish = z.union([z.boolean(), z.number()]).transform((v) => Boolean(v));
export const resourceDetailSchema = z.object({
  data: z.object({
    id,
    name: optStr,
    slug: optStr,
    type: optStr,
    is_ai_generated: boolish.nullish(),
    premium: boolish.nullish(),
    url: optStr,
    preview: z.object({ url: optStr, width: z.number().nullish(), height: z.number().nullish() }).nullish(),
    author: z.object({ id: id.nullish(), name: optStr, slug: optStr }).nullish(),
    license: optStr,
    dimensions: z.object({ width: z.number(), height: z.number() }).nullish(),
    available_formats: z.unknown().optional(),
  }),
});

const downloadEntry = z.object({ filename: optStr, url: z.string().min(1), signed_url: optStr });
export const downloadResponseSchema = z.object({
  // The format-specific variant answers with a list; take the first entry.
  data: z.union([downloadEntry, z.array(downloadEntry).min(1)]),
});

export const textToImageResponseSchema = z.object({
  data: z.array(z.object({ base64: z.string().min(1), has_nsfw: z.boolean().nullish() })).min(1),
  meta: z
    .object({
      seed: z.number().nullish(),
      image: z.object({ size: optStr, width: z.number().nullish(), height: z.number().nullish() }).nullish(),
    })
    .nullish(),
});

const generatedEntry = z.union([z.string(), z.object({ url: z.string() }).transform((o) => o.url)]);
export const mysticTaskBodySchema = z.object({
  task_id: z.string().min(1),
  // Any string: an unknown status is handled (as a terminal failure), not a parse error.
  status: z.string(),
  generated: z.array(generatedEntry).nullish(),
  has_nsfw: z.array(z.boolean().nullable()).nullish(),
});
export const mysticResponseSchema = z.object({ data: mysticTaskBodySchema });

export const errorBodySchema = z.object({
  message: optStr,
  invalid_params: z.array(z.object({ name: optStr, field: optStr, reason: optStr })).nullish(),
});
