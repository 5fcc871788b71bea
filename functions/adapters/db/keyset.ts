/** SQL halves of the keyset pagination in functions/app/pagination.ts. */
import { sql, type AnyColumn, type SQL } from 'drizzle-orm';

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
