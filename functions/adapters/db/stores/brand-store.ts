/** Brand profiles of the current tenant (every function runs in withTenant's transaction). */
import { and, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { brandAssets, brandProfiles } from '../../../../db/schema/index.js';
import type { Tx } from '../client.js';
import { cursorTs, keysetBefore, likeEscape, type KeysetPosition } from '../keyset.js';

export type BrandRow = typeof brandProfiles.$inferSelect;
export type NewBrandRow = typeof brandProfiles.$inferInsert;
/** Unique per organization: a create or rename onto a taken name fails with it. */
export const BRAND_NAME_CONSTRAINT = 'brand_profiles_org_name_uq';

/** A live (not deleted) brand, locked for the rest of the transaction with `forUpdate`. */
export async function findBrand(
  tx: Tx,
  orgId: string,
  brandId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<BrandRow | undefined> {
  const q = tx
    .select()
    .from(brandProfiles)
    .where(
      and(eq(brandProfiles.organizationId, orgId), eq(brandProfiles.id, brandId), isNull(brandProfiles.deletedAt)),
    );
  const [b] = opts.forUpdate ? await q.for('update') : await q;
  return b;
}

/** `limit + 1` live brands after the cursor, newest first; `q` matches names (case-insensitive). */
export async function listBrandRows(tx: Tx, orgId: string, q: { limit: number; after?: KeysetPosition; q?: string }) {
  const where: SQL[] = [eq(brandProfiles.organizationId, orgId), isNull(brandProfiles.deletedAt)];
  if (q.q) where.push(sql`${brandProfiles.name} ilike ${`%${likeEscape(q.q)}%`}`);
  if (q.after) where.push(keysetBefore(brandProfiles.createdAt, brandProfiles.id, q.after, 'uuid'));
  const rows = await tx
    .select({ b: brandProfiles, ts: cursorTs(brandProfiles.createdAt) })
    .from(brandProfiles)
    .where(and(...where))
    .orderBy(desc(brandProfiles.createdAt), desc(brandProfiles.id))
    .limit(q.limit + 1);
  return rows.map(({ b, ts }) => ({ row: b, cursor: { t: ts, id: b.id } }));
}

/** The object key of `assetId` when it is a ready, live asset of this brand (the only kind a logo may be). */
export async function readyBrandAssetKey(
  tx: Tx,
  orgId: string,
  brandId: string,
  assetId: string,
): Promise<string | undefined> {
  const [a] = await tx
    .select({ s3Key: brandAssets.s3Key })
    .from(brandAssets)
    .where(
      and(
        eq(brandAssets.organizationId, orgId),
        eq(brandAssets.brandId, brandId),
        eq(brandAssets.id, assetId),
        eq(brandAssets.status, 'ready'),
        isNull(brandAssets.deletedAt),
      ),
    );
  return a?.s3Key;
}

export async function insertBrand(tx: Tx, row: NewBrandRow): Promise<BrandRow> {
  const [b] = await tx.insert(brandProfiles).values(row).returning();
  return b;
}

export async function updateBrandRow(
  tx: Tx,
  orgId: string,
  brandId: string,
  patch: Partial<NewBrandRow>,
): Promise<BrandRow> {
  const [b] = await tx
    .update(brandProfiles)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(brandProfiles.organizationId, orgId), eq(brandProfiles.id, brandId)))
    .returning();
  return b;
}

/** Soft delete: the row stays for the requests and assets that point at it. */
export async function markBrandDeleted(tx: Tx, orgId: string, brandId: string): Promise<void> {
  await tx
    .update(brandProfiles)
    .set({ deletedAt: new Date(), isActive: false, updatedAt: new Date() })
    .where(and(eq(brandProfiles.organizationId, orgId), eq(brandProfiles.id, brandId)));
}

/** Brands that default to a workflow about to go fall back to none. */
export async function clearDefaultWorkflow(tx: Tx, orgId: string, workflowId: string): Promise<void> {
  await tx
    .update(brandProfiles)
    .set({ defaultWorkflowId: null, updatedAt: new Date() })
    .where(and(eq(brandProfiles.organizationId, orgId), eq(brandProfiles.defaultWorkflowId, workflowId)));
}

/** Does a live brand of the tenant show this asset as its logo? */
export async function isBrandLogo(tx: Tx, orgId: string, assetId: string): Promise<boolean> {
  const [logoOf] = await tx
    .select({ id: brandProfiles.id })
    .from(brandProfiles)
    .where(
      and(
        eq(brandProfiles.organizationId, orgId),
        isNull(brandProfiles.deletedAt),
        sql`${brandProfiles.logo}->>'assetId' = ${assetId}`,
      ),
    );
  return !!logoOf;
}

/** A brand by id, deleted or not (a running request keeps its brand's row to say what happened). */
export async function findBrandById(tx: Tx, brandId: string): Promise<BrandRow | undefined> {
  const [b] = await tx.select().from(brandProfiles).where(eq(brandProfiles.id, brandId));
  return b;
}
