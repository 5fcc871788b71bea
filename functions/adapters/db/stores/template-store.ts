/** Layered templates of the current tenant (every function runs in withTenant's transaction). */
import { and, asc, eq, isNull, type SQL } from 'drizzle-orm';
import { contentTemplates } from '../../../../db/schema/index.js';
import type { Tx } from '../client.js';
import { newestFirstPage, type KeysetPosition } from '../keyset.js';
import { liveTenantRowFinder, rowInserter, tenantRowSoftDeleter, tenantRowUpdater } from '../tenant-rows.js';

export type TemplateRow = typeof contentTemplates.$inferSelect;
export type NewTemplateRow = typeof contentTemplates.$inferInsert;

/** A live (not deleted) template, locked for the rest of the transaction with `forUpdate`. */
export const findTemplate = liveTenantRowFinder(contentTemplates);

/** `limit + 1` live templates after the cursor, newest first, of one brand or all. */
export async function listTemplateRows(
  tx: Tx,
  orgId: string,
  q: { limit: number; after?: KeysetPosition; brandId?: string },
) {
  const where: SQL[] = [eq(contentTemplates.organizationId, orgId), isNull(contentTemplates.deletedAt)];
  if (q.brandId) where.push(eq(contentTemplates.brandId, q.brandId));
  return newestFirstPage(tx, contentTemplates, where, q);
}

export const insertTemplate = rowInserter(contentTemplates);

export const updateTemplateRow = tenantRowUpdater(contentTemplates);

/** Soft delete: requests keep pointing at the template they rendered with. */
export const markTemplateDeleted = tenantRowSoftDeleter(contentTemplates, { isActive: false });

/** A template by id, deleted or not. */
export async function findTemplateById(tx: Tx, templateId: string): Promise<TemplateRow | undefined> {
  const [t] = await tx.select().from(contentTemplates).where(eq(contentTemplates.id, templateId));
  return t;
}

/** The brand's oldest active template: what a request naming none renders with. */
export async function firstActiveTemplate(tx: Tx, brandId: string): Promise<TemplateRow | undefined> {
  const [t] = await tx
    .select()
    .from(contentTemplates)
    .where(
      and(
        eq(contentTemplates.brandId, brandId),
        eq(contentTemplates.isActive, true),
        isNull(contentTemplates.deletedAt),
      ),
    )
    .orderBy(asc(contentTemplates.createdAt))
    .limit(1);
  return t;
}
