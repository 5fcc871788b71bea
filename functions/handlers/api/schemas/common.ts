/**
 * Building blocks shared by the API's request/response schemas. Request schemas are strict
 * (unknown fields -> 400); response schemas describe what the handlers return (OpenAPI + tests).
 */
import { z } from 'zod';

export const MAX_PAGE_SIZE = 100;

export const uuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID')
  .meta({ format: 'uuid' });
export const timestamp = z.string().meta({ format: 'date-time', description: 'ISO 8601 timestamp (UTC)' });
/** When a stored resource was created and last changed. */
export const timestamps = { createdAt: timestamp, updatedAt: timestamp };

/** What paid provider calls cost: Freepik credits and US dollars. */
export const callCost = { credits: z.number(), costUsd: z.number() };

/** The name and description a named resource (brand, template, approval workflow) is created with. */
export const nameAndDescription = {
  name: z.string().trim().min(1).max(120),
  description: z.string().trim().max(2000).nullable().optional(),
};

/**
 * A named resource as the API returns it: `id`, `name`, `description`, its own `fields`, then
 * `isActive` and the timestamps; `id` names its OpenAPI component.
 */
export const namedResource = <S extends z.ZodRawShape>(id: string, fields: S) =>
  z
    .object({
      id: uuid,
      name: z.string(),
      description: z.string().nullable(),
      ...fields,
      isActive: z.boolean(),
      ...timestamps,
    })
    .meta({ id });

/** `?limit=&cursor=` for keyset-paginated lists. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
  /** Opaque; the `nextCursor` of the previous page. */
  cursor: z.string().min(1).max(300).optional(),
};

export const page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    /** Pass as `cursor` to get the next page; null on the last page. */
    nextCursor: z.string().nullable(),
  });

/** `?from=&to=` date-time range (inclusive from, exclusive to). */
export const dateRangeQuery = {
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
};

/** A comma-separated list in a query string (`?status=failed,cancelled`) validated item by item. */
export const csv = <T extends z.ZodType>(item: T, max = 20) =>
  z
    .string()
    .max(1000)
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1).max(max) as unknown as z.ZodType<z.output<T>[], string[]>);

export const healthSchema = z.object({ status: z.literal('ok'), time: timestamp });
