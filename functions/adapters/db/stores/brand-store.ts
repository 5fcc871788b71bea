/** Brand profiles of the current tenant (every function runs in withTenant's transaction). */
import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { brandAssets, brandProfiles } from '../../../../db/schema/index.js';
import type { Tx } from '../client.js';
import { likeEscape, newestFirstPage, type KeysetPosition } from '../keyset.js';
import { liveTenantRowFinder, rowExists, rowInserter, tenantRowSoftDeleter, tenantRowUpdater } from '../tenant-rows.js';
import { liveBrandAsset } from './asset-store.js';

export type BrandRow = typeof brandProfiles.$inferSelect;
export type NewBrandRow = typeof brandProfiles.$inferInsert;
/** Unique per organization: a create or rename onto a taken name fails with it. */
export const BRAND_NAME_CONSTRAINT = 'brand_profiles_org_name_uq';

/** A live (not deleted) brand, locked for the rest of the transaction with `forUpdate`. */
export const findBrand = liveTenantRowFinder(brandProfiles);

/** `limit + 1` live brands after the cursor, newest first; `q` matches names (case-insensitive). */
export async function listBrandRows(tx: Tx, orgId: string, q: { limit: number; after?: KeysetPosition; q?: string }) {
  const where: SQL[] = [eq(brandProfiles.organizationId, orgId), isNull(brandProfiles.deletedAt)];
  if (q.q) where.push(sql`${brandProfiles.name} ilike ${`%${likeEscape(q.q)}%`}`);
  return newestFirstPage(tx, brandProfiles, where, q);
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
    .where(and(liveBrandAsset(orgId, brandId, assetId), eq(brandAssets.status, 'ready')));
  return a?.s3Key;
}

export const insertBrand = rowInserter(brandProfiles);

export const updateBrandRow = tenantRowUpdater(brandProfiles);

/** Soft delete: the row stays for the requests and assets that point at it. */
export const markBrandDeleted = tenantRowSoftDeleter(brandProfiles, { isActive: false });

/** Brands that default to a workflow about to go fall back to none. */
export async function clearDefaultWorkflow(tx: Tx, orgId: string, workflowId: string): Promise<void> {
  await tx
    .update(brandProfiles)
    .set({ defaultWorkflowId: null, updatedAt: new Date() })
    .where(and(eq(brandProfiles.organizationId, orgId), eq(brandProfiles.defaultWorkflowId, workflowId)));
}

/** Does a live brand of the tenant show this asset as its logo? */
export async function isBrandLogo(tx: Tx, orgId: string, assetId: string): Promise<boolean> {
  return rowExists(
    tx,
    brandProfiles,
    and(
      eq(brandProfiles.organizationId, orgId),
      isNull(brandProfiles.deletedAt),
      sql`${brandProfiles.logo}->>'assetId' = ${assetId}`,
    ),
  );
}

/** A brand by id, deleted or not (a running request keeps its brand's row to say what happened). */
export async function findBrandById(tx: Tx, brandId: string): Promise<BrandRow | undefined> {
  const [b] = await tx.select().from(brandProfiles).where(eq(brandProfiles.id, brandId));
  return b;
}
