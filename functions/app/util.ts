/** Small helpers shared by the use cases: keyset cursors, PostgreSQL error mapping, DTO dates. */
import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { AppError } from '../shared/errors.js';

/** Timestamps go out as ISO strings. */
export const iso = (d: Date | string | null | undefined): string | null =>
  d == null ? null : d instanceof Date ? d.toISOString() : new Date(d).toISOString();
export const isoReq = (d: Date | string): string => iso(d)!;

/**
 * Keyset cursor over (created_at DESC, id DESC). The timestamp travels as PostgreSQL text with
 * microseconds (a JS Date would drop them and skip or repeat rows).
 */
export interface Cursor {
  t: string;
  id: string;
}
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.t, c.id])).toString('base64url');
}
export function decodeCursor(s: string | undefined): Cursor | undefined {
  if (!s) return undefined;
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      typeof v[0] === 'string' &&
      typeof v[1] === 'string' &&
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(v[0]) &&
      /^[0-9a-f-]{1,40}$/i.test(v[1])
    ) {
      return { t: v[0], id: v[1] };
    }
  } catch {
    /* fall through */
  }
  throw new AppError('validation_failed', 'The cursor is not valid', {
    fields: [{ path: 'query.cursor', message: 'not a cursor returned by this list' }],
  });
}

/** A timestamptz column as cursor text (UTC, microseconds). */
export const cursorTs = (col: AnyColumn | SQL) =>
  sql<string>`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

interface PgError {
  code?: string;
  constraint_name?: string;
  constraint?: string;
}
/** postgres.js errors come wrapped by drizzle (DrizzleQueryError.cause). */
export function pgError(e: unknown): PgError | undefined {
  for (let cur: unknown = e, i = 0; cur && i < 4; cur = (cur as { cause?: unknown }).cause, i++) {
    const c = cur as PgError;
    if (typeof c.code === 'string' && /^[0-9A-Z]{5}$/.test(c.code)) return c;
  }
  return undefined;
}
export const isUniqueViolation = (e: unknown, constraint?: string): boolean => {
  const p = pgError(e);
  return p?.code === '23505' && (!constraint || (p.constraint_name ?? p.constraint) === constraint);
};

/** Escapes LIKE wildcards in user input. */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);
