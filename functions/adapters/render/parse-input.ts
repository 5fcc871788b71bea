/**
 * The renderer's and the preview's inputs arrive as raw JSON (template layers, brand settings,
 * briefs): each is parsed by its schema, and a bad one is the caller's mistake, answered the same
 * way everywhere.
 */
import type { z } from 'zod';
import { AppError } from '../../shared/errors.js';

/** `value` as `schema` parses it; otherwise a validation_failed AppError with `message` and zod's issues. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, message: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AppError('validation_failed', message, { detail: { issues: parsed.error.issues } });
  return parsed.data;
}
