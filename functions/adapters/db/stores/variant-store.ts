/** Rendered variants (asset_variants: one per platform of a request). Runs in withTenant's transaction. */
import { and, asc, eq, inArray, ne } from 'drizzle-orm';
import { assetVariants } from '../../../../db/schema/index.js';
import type { Tx } from '../client.js';

export type VariantRow = typeof assetVariants.$inferSelect;
export type NewVariantRow = typeof assetVariants.$inferInsert;

/**
 * Stores the variant of (image, platform), replacing an earlier render of it; a row rendered
 * earlier from another image of the request for the same platform goes (one per platform).
 */
export async function saveVariant(tx: Tx, row: NewVariantRow & { generatedAssetId: string }): Promise<void> {
  await tx
    .insert(assetVariants)
    .values(row)
    .onConflictDoUpdate({
      target: [assetVariants.generatedAssetId, assetVariants.platform],
      set: { ...row, updatedAt: new Date() },
    });
  await tx
    .delete(assetVariants)
    .where(
      and(
        eq(assetVariants.requestId, row.requestId),
        eq(assetVariants.platform, row.platform),
        ne(assetVariants.generatedAssetId, row.generatedAssetId),
      ),
    );
}

/** Variants rendered from these images for these platforms (by platform with `byPlatform`). */
export async function listVariantsOf(
  tx: Tx,
  assetIds: string[],
  platforms: string[],
  opts: { byPlatform?: boolean } = {},
): Promise<VariantRow[]> {
  if (assetIds.length === 0) return [];
  const q = tx
    .select()
    .from(assetVariants)
    .where(and(inArray(assetVariants.generatedAssetId, assetIds), inArray(assetVariants.platform, platforms)));
  return opts.byPlatform ? q.orderBy(asc(assetVariants.platform)) : q;
}
