/** Layered templates of the current tenant (every function runs in withTenant's transaction). */
import { and, asc, desc, eq, isNull, type SQL } from 'drizzle-orm';
import { contentTemplates } from '../../../../db/schema/index.js';
import type { Tx } from '../client.js';
import { cursorTs, keysetBefore, type KeysetPosition } from '../keyset.js';

export type TemplateRow = typeof contentTemplates.$inferSelect;
export type NewTemplateRow = typeof contentTemplates.$inferInsert;

/** A live (not deleted) template, locked for the rest of the transaction with `forUpdate`. */
export async function findTemplate(
  tx: Tx,
  orgId: string,
  templateId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<TemplateRow | undefined> {
  const q = tx
    .select()
    .from(contentTemplates)
    .where(
      and(
        eq(contentTemplates.organizationId, orgId),
        eq(contentTemplates.id, templateId),
        isNull(contentTemplates.deletedAt),
      ),
    );
  const [t] = opts.forUpdate ? await q.for('update') : await q;
  return t;
}

/** `limit + 1` live templates after the cursor, newest first, of one brand or all. */
export async function listTemplateRows(
  tx: Tx,
  orgId: string,
  q: { limit: number; after?: KeysetPosition; brandId?: string },
) {
  const where: SQL[] = [eq(contentTemplates.organizationId, orgId), isNull(contentTemplates.deletedAt)];
  if (q.brandId) where.push(eq(contentTemplates.brandId, q.brandId));
  if (q.after) where.push(keysetBefore(contentTemplates.createdAt, contentTemplates.id, q.after, 'uuid'));
  const rows = await tx
    .select({ t: contentTemplates, ts: cursorTs(contentTemplates.createdAt) })
    .from(contentTemplates)
    .where(and(...where))
    .orderBy(desc(contentTemplates.createdAt), desc(contentTemplates.id))
    .limit(q.limit + 1);
  return rows.map(({ t, ts }) => ({ row: t, cursor: { t: ts, id: t.id } }));
}

export async function insertTemplate(tx: Tx, row: NewTemplateRow): Promise<TemplateRow> {
  const [t] = await tx.insert(contentTemplates).values(row).returning();
  return t;
}

export async function updateTemplateRow(
  tx: Tx,
  orgId: string,
  templateId: string,
  patch: Partial<NewTemplateRow>,
): Promise<TemplateRow> {
  const [t] = await tx
    .update(contentTemplates)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(contentTemplates.organizationId, orgId), eq(contentTemplates.id, templateId)))
    .returning();
  return t;
}

/** Soft delete: requests keep pointing at the template they rendered with. */
export async function markTemplateDeleted(tx: Tx, orgId: string, templateId: string): Promise<void> {
  await tx
    .update(contentTemplates)
    .set({ deletedAt: new Date(), isActive: false, updatedAt: new Date() })
    .where(and(eq(contentTemplates.organizationId, orgId), eq(contentTemplates.id, templateId)));
}

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
