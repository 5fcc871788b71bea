/** The brand asset library of the current tenant (every function runs in withTenant's transaction). */
import { and, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { brandAssets } from '../../../../db/schema/index.js';
import type { Tx } from '../client.js';
import { cursorTs, keysetBefore, likeEscape, type KeysetPosition } from '../keyset.js';
import { liveTenantRow, tenantRow, tenantRowSoftDeleter } from '../tenant-rows.js';

export type NewAssetRow = typeof brandAssets.$inferInsert;

const assetCols = {
  id: brandAssets.id,
  brandId: brandAssets.brandId,
  kind: brandAssets.kind,
  name: brandAssets.name,
  status: brandAssets.status,
  contentType: brandAssets.contentType,
  bytes: brandAssets.bytes,
  width: brandAssets.width,
  height: brandAssets.height,
  sha256: brandAssets.sha256,
  tags: brandAssets.tags,
  license: brandAssets.license,
  metadata: brandAssets.metadata,
  s3Key: brandAssets.s3Key,
  usageCount: brandAssets.usageCount,
  createdAt: brandAssets.createdAt,
  updatedAt: brandAssets.updatedAt,
  // Uses recorded by the pipeline plus live references: brands using it as their logo.
  // (Raw column names: drizzle renders columns unqualified here, which would bind to bp.)
  logoUses: sql<number>`(select count(*)::int from brand_profiles bp
    where bp.organization_id = brand_assets.organization_id
    and bp.deleted_at is null and bp.logo->>'assetId' = brand_assets.id::text)`,
};

/** An asset with `logoUses`, the live brands showing it as their logo. */
export type AssetRow = {
  [K in keyof typeof assetCols]: K extends 'logoUses'
    ? number
    : (typeof brandAssets.$inferSelect)[K & keyof typeof brandAssets.$inferSelect];
};

/** The live (not deleted) asset `assetId` of the brand. */
export const liveBrandAsset = (orgId: string, brandId: string, assetId: string) =>
  and(liveTenantRow(brandAssets, orgId, assetId), eq(brandAssets.brandId, brandId));

/** A live asset of the brand, locked (its row only) with `forUpdate`. */
export async function findAsset(
  tx: Tx,
  orgId: string,
  brandId: string,
  assetId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<AssetRow | undefined> {
  const q = tx
    .select(assetCols)
    .from(brandAssets)
    .where(liveBrandAsset(orgId, brandId, assetId));
  const [a] = opts.forUpdate ? await q.for('update', { of: brandAssets }) : await q;
  return a as AssetRow | undefined;
}

export interface AssetFilter {
  limit: number;
  after?: KeysetPosition;
  /** Substring, similar word, whole word or exact tag. */
  q?: string;
  kind?: string;
  status?: string[];
}

/** `limit + 1` live assets of the brand after the cursor, newest first. */
export async function listAssetRows(tx: Tx, orgId: string, brandId: string, q: AssetFilter) {
  const where: SQL[] = [
    eq(brandAssets.organizationId, orgId),
    eq(brandAssets.brandId, brandId),
    isNull(brandAssets.deletedAt),
  ];
  if (q.kind) where.push(eq(brandAssets.kind, q.kind));
  if (q.status) where.push(inArray(brandAssets.status, q.status));
  if (q.q) {
    // Substring (ILIKE) or typo-tolerant word similarity (<%), both served by the trigram index;
    // whole words (tsvector); or an exact tag.
    where.push(sql`(${brandAssets.name} ilike ${`%${likeEscape(q.q)}%`} or ${q.q} <% ${brandAssets.name}
      or ${brandAssets.search} @@ websearch_to_tsquery('simple', ${q.q})
      or ${q.q.toLowerCase()} = any(${brandAssets.tags}))`);
  }
  if (q.after) where.push(keysetBefore(brandAssets.createdAt, brandAssets.id, q.after, 'uuid'));
  const rows = await tx
    .select({ ...assetCols, ts: cursorTs(brandAssets.createdAt) })
    .from(brandAssets)
    .where(and(...where))
    .orderBy(desc(brandAssets.createdAt), desc(brandAssets.id))
    .limit(q.limit + 1);
  return rows.map(({ ts, ...a }) => ({ row: a as unknown as AssetRow, cursor: { t: ts, id: a.id } }));
}

export async function insertAsset(tx: Tx, row: NewAssetRow): Promise<void> {
  await tx.insert(brandAssets).values(row);
}

/** A verified upload: ready, with what the verification measured. */
export async function markAssetReady(
  tx: Tx,
  assetId: string,
  v: { bytes: number; width: number; height: number; sha256: string },
): Promise<void> {
  await tx
    .update(brandAssets)
    .set({ status: 'ready', ...v, updatedAt: new Date() })
    .where(eq(brandAssets.id, assetId));
}

/** A refused upload: rejected, the reason kept in metadata. */
export async function markAssetRejected(tx: Tx, assetId: string, reason: string): Promise<void> {
  await tx
    .update(brandAssets)
    .set({
      status: 'rejected',
      metadata: sql`${brandAssets.metadata} || ${JSON.stringify({ rejectionReason: reason })}::jsonb`,
      updatedAt: new Date(),
    })
    .where(eq(brandAssets.id, assetId));
}

export async function updateAssetRow(
  tx: Tx,
  orgId: string,
  assetId: string,
  patch: Pick<Partial<NewAssetRow>, 'name' | 'tags' | 'license'>,
): Promise<void> {
  await tx
    .update(brandAssets)
    .set({ ...patch, updatedAt: new Date() })
    .where(tenantRow(brandAssets, orgId, assetId));
}

export const markAssetDeleted = tenantRowSoftDeleter(brandAssets);

/** The object key of a ready, live asset of the tenant (a brand's logo, for the renderer). */
export async function readyAssetKey(tx: Tx, assetId: string): Promise<string | undefined> {
  const [a] = await tx
    .select({ s3Key: brandAssets.s3Key })
    .from(brandAssets)
    .where(and(eq(brandAssets.id, assetId), eq(brandAssets.status, 'ready'), isNull(brandAssets.deletedAt)));
  return a?.s3Key;
}
