/** SQL halves of the keyset pagination in functions/app/pagination.ts. */
import { and, desc, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Tx } from './client.js';

/** A cursor position: created_at as PostgreSQL text (microseconds) and the row id. */
export interface KeysetPosition {
  t: string;
  id: string;
}

/** A timestamptz column as cursor text (UTC, microseconds). */
export const cursorTs = (col: AnyColumn | SQL) =>
  sql<string>`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Rows after `c` in (created_at DESC, id DESC) order; `idType` is the id column's SQL type. */
export const keysetBefore = (createdAt: AnyColumn, id: AnyColumn, c: KeysetPosition, idType: 'uuid' | 'bigint'): SQL =>
  sql`(${createdAt}, ${id}) < (${c.t}::timestamptz, ${c.id}::${sql.raw(idType)})`;

/** Escapes LIKE wildcards in user input. */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

/**
 * A page of whole rows of `t`: `limit + 1` of those matching `where` after the cursor, newest
 * first (created_at DESC, id DESC), each with its cursor. `idType` is the id column's SQL type.
 */
export async function newestFirstPage<T extends PgTable & { createdAt: PgColumn; id: PgColumn }>(
  tx: Tx,
  t: T,
  where: SQL[],
  page: { limit: number; after?: KeysetPosition },
  idType: 'uuid' | 'bigint' = 'uuid',
): Promise<{ row: T['$inferSelect']; cursor: KeysetPosition }[]> {
  const after = page.after ? [keysetBefore(t.createdAt, t.id, page.after, idType)] : [];
  const rows = await tx
    .select({ row: t as PgTable, ts: cursorTs(t.createdAt) })
    .from(t as PgTable)
    .where(and(...where, ...after))
    .orderBy(desc(t.createdAt), desc(t.id))
    .limit(page.limit + 1);
  return rows.map(({ row, ts }) => ({ row: row as T['$inferSelect'], cursor: { t: ts, id: String(row.id) } }));
}
