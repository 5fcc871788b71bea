/**
 * Keyset pagination as the API shows it: an opaque cursor over (created_at DESC, id DESC) and the
 * page it ends. The timestamp travels as PostgreSQL text with microseconds (a JS Date would drop
 * them and skip or repeat rows); the stores compare it back in SQL.
 */
import { AppError } from '../shared/errors.js';

export interface Cursor {
  t: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.t, c.id])).toString('base64url');
}

const invalidCursor = () =>
  new AppError('validation_failed', 'The cursor is not valid', {
    fields: [{ path: 'query.cursor', message: 'not a cursor returned by this list' }],
  });

/**
 * The cursor of a `?cursor=` parameter, or a 400. `id` narrows what the id part may be (bigint
 * ids, for example); by default a uuid-like token.
 */
export function decodeCursor(s: string | undefined, id: RegExp = /^[0-9a-f-]{1,40}$/i): Cursor | undefined {
  if (!s) return undefined;
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      typeof v[0] === 'string' &&
      typeof v[1] === 'string' &&
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(v[0]) &&
      /^[0-9a-f-]{1,40}$/i.test(v[1]) &&
      id.test(v[1])
    ) {
      return { t: v[0], id: v[1] };
    }
  } catch {
    /* fall through */
  }
  throw invalidCursor();
}

/** A row of a keyset page as the stores return it: the row and its cursor position. */
export interface Keyed<R> {
  row: R;
  cursor: Cursor;
}

/**
 * One page of a list: the stores fetch `limit + 1` rows so that the extra one says whether there
 * is a next page without a count.
 */
export function keysetPage<R, T>(rows: Keyed<R>[], limit: number, toItem: (row: R) => T) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => toItem(r.row)),
    nextCursor: rows.length > limit && last ? encodeCursor(last.cursor) : null,
  };
}
