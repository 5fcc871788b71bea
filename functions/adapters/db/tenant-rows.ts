/**
 * The statements every tenant-scoped table shares, written once: a row named by organization AND
 * id (RLS scopes each query to the tenant as well; naming the organization keeps a statement
 * right on its own), its insert, patch, delete and soft delete, and "is there such a row?". A
 * change stamps `updated_at`. Stores build their functions from these with their table; what
 * only one table does (its filters, joins, column lists, locks) stays in its store.
 */
import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable, PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Tx } from './client.js';

/** A table whose rows belong to one organization and change over time. */
export type TenantTable = PgTable & { id: PgColumn; organizationId: PgColumn; updatedAt: PgColumn };
/** A tenant table whose rows are soft deleted (`deleted_at` set, the row kept). */
export type SoftDeletedTable = TenantTable & { deletedAt: PgColumn };

type Row<T extends PgTable> = T['$inferSelect'];
type NewRow<T extends PgTable> = T['$inferInsert'];
type Patch<T extends PgTable> = Partial<NewRow<T>>;

/** The tenant's row `id`. */
export const tenantRow = (t: TenantTable, orgId: string, id: string): SQL =>
  and(eq(t.organizationId, orgId), eq(t.id, id)) as SQL;

/** The tenant's row `id` while it is not soft deleted. */
export const liveTenantRow = (t: SoftDeletedTable, orgId: string, id: string): SQL =>
  and(tenantRow(t, orgId, id), isNull(t.deletedAt)) as SQL;

/** Does any row of `t` match `where`? */
export async function rowExists(tx: Tx, t: PgTable, where: SQL | undefined): Promise<boolean> {
  const [hit] = await tx.select({ one: sql`1` }).from(t).where(where).limit(1);
  return hit !== undefined;
}

/** Inserts a row and returns it as stored (defaults filled in). */
export const rowInserter =
  <T extends PgTable>(t: T) =>
  async (tx: Tx, row: NewRow<T>): Promise<Row<T>> => {
    const [r] = await tx.insert(t).values(row).returning();
    return r as Row<T>;
  };

/** Patches the rows matching `where` (stamping `updated_at`) and returns the first of them. */
export async function patchRow<T extends PgTable & { updatedAt: PgColumn }>(
  tx: Tx,
  t: T,
  where: SQL,
  patch: Patch<T>,
): Promise<Row<T>> {
  const [r] = await tx
    .update(t)
    .set({ ...patch, updatedAt: new Date() } as PgUpdateSetSource<T>)
    .where(where)
    .returning();
  return r as Row<T>;
}

type Lock = { forUpdate?: boolean };

function rowFinder<T extends PgTable>(t: T, which: (orgId: string, id: string) => SQL) {
  return async (tx: Tx, orgId: string, id: string, lock: Lock = {}): Promise<Row<T> | undefined> => {
    const q = tx
      .select()
      .from(t as PgTable)
      .where(which(orgId, id));
    const [r] = lock.forUpdate ? await q.for('update') : await q;
    return r as Row<T> | undefined;
  };
}

/** `(tx, orgId, id, { forUpdate })`: the tenant's row `id`, locked for the rest of the transaction with `forUpdate`. */
export const tenantRowFinder = <T extends TenantTable>(t: T) => rowFinder(t, (orgId, id) => tenantRow(t, orgId, id));

/** `(tx, orgId, id, { forUpdate })`: the same, only while the row is not soft deleted. */
export const liveTenantRowFinder = <T extends SoftDeletedTable>(t: T) =>
  rowFinder(t, (orgId, id) => liveTenantRow(t, orgId, id));

/** `(tx, orgId, id, patch)`: patches the tenant's row `id` and returns it. */
export const tenantRowUpdater =
  <T extends TenantTable>(t: T) =>
  (tx: Tx, orgId: string, id: string, patch: Patch<T>): Promise<Row<T>> =>
    patchRow(tx, t, tenantRow(t, orgId, id), patch);

/** `(tx, orgId, id)`: soft deletes the tenant's row `id` (the row stays), setting `also` with it. */
export const tenantRowSoftDeleter =
  <T extends SoftDeletedTable>(t: T, also: Patch<T> = {}) =>
  async (tx: Tx, orgId: string, id: string): Promise<void> => {
    const now = new Date();
    await tx
      .update(t)
      .set({ ...also, deletedAt: now, updatedAt: now } as PgUpdateSetSource<T>)
      .where(tenantRow(t, orgId, id));
  };

/** `(tx, orgId, id)`: deletes the tenant's row `id`. */
export const tenantRowDeleter =
  <T extends TenantTable>(t: T) =>
  async (tx: Tx, orgId: string, id: string): Promise<void> => {
    await tx.delete(t).where(tenantRow(t, orgId, id));
  };
