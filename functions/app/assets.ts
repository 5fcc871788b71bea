/**
 * Use cases: the brand asset library. Upload is two-step: create (a pending row + a presigned PUT
 * URL to a tenant-namespaced key), then confirm, which verifies the object server-side (exists,
 * size cap, magic bytes match the declared type, sharp can decode it within a pixel limit,
 * sha256) and marks the asset ready, or rejected with a reason (and deletes the object).
 */
import { createHash, randomUUID } from 'node:crypto';
import { withTenant, type Db, type Tx } from '../adapters/db/client.js';
import {
  findAsset,
  insertAsset,
  listAssetRows,
  markAssetDeleted,
  markAssetReady,
  markAssetRejected,
  updateAssetRow,
  type AssetRow,
} from '../adapters/db/stores/asset-store.js';
import { isBrandLogo } from '../adapters/db/stores/brand-store.js';
import type { ObjectStore } from '../adapters/storage/object-store.js';
import type { AssetLicense } from '../domain/brand-types.js';
import { AppError } from '../shared/errors.js';
import { audit, type ActorContext } from './audit.js';
import { loadBrand } from './brands.js';
import { isoReq } from './dto-dates.js';
import { decodeCursor, keysetPage } from './pagination.js';

export const ASSET_MAX_BYTES = 20 * 1024 * 1024;
/** Decoding bigger images could exhaust Lambda memory; 50 MP covers any sane brand asset. */
export const ASSET_MAX_PIXELS = 50_000_000;
export const UPLOAD_URL_TTL_SECONDS = 300;
export const DOWNLOAD_URL_TTL_SECONDS = 300;

const extensions: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };
const sharpFormats: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp' };

/** Tenant-namespaced object key; the only place asset keys are built. */
export const assetKey = (orgId: string, brandId: string, assetId: string, contentType: string) =>
  `orgs/${orgId}/brands/${brandId}/assets/${assetId}.${extensions[contentType] ?? 'bin'}`;

/** Magic-number sniffing: what the bytes are, whatever the uploader claimed. */
export function sniffImageType(buf: Buffer): string | undefined {
  if (buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png';
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  if (buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP')
    return 'image/webp';
  return undefined;
}

const toAsset = (a: AssetRow) => ({
  id: a.id,
  brandId: a.brandId,
  kind: a.kind as 'logo' | 'image' | 'other',
  name: a.name,
  status: a.status as 'pending' | 'ready' | 'rejected',
  contentType: a.contentType ?? null,
  bytes: a.bytes ?? null,
  width: a.width ?? null,
  height: a.height ?? null,
  sha256: a.sha256 ?? null,
  tags: a.tags,
  license: a.license ?? null,
  usageCount: a.usageCount + Number(a.logoUses ?? 0),
  rejectionReason: ((a.metadata ?? {}) as { rejectionReason?: string }).rejectionReason ?? null,
  createdAt: isoReq(a.createdAt),
  updatedAt: isoReq(a.updatedAt),
});
export type AssetDto = ReturnType<typeof toAsset>;

async function loadAsset(
  tx: Tx,
  orgId: string,
  brandId: string,
  assetId: string,
  forUpdate = false,
): Promise<AssetRow> {
  const a = await findAsset(tx, orgId, brandId, assetId, { forUpdate });
  if (!a) throw new AppError('not_found', 'Asset not found');
  return a;
}

export async function createAsset(
  tx: Tx,
  ctx: ActorContext,
  store: ObjectStore,
  brandId: string,
  input: {
    name: string;
    kind: 'logo' | 'image' | 'other';
    contentType: 'image/png' | 'image/jpeg' | 'image/webp';
    tags: string[];
    license?: AssetLicense;
  },
) {
  await loadBrand(tx, ctx.orgId, brandId);
  const id = randomUUID();
  const key = assetKey(ctx.orgId, brandId, id, input.contentType);
  await insertAsset(tx, {
    id,
    organizationId: ctx.orgId,
    brandId,
    kind: input.kind,
    name: input.name,
    s3Key: key,
    contentType: input.contentType,
    tags: normTags(input.tags),
    license: input.license ?? null,
    createdBy: ctx.userId,
  });
  await audit(tx, ctx, {
    action: 'asset.create',
    resourceType: 'brand_asset',
    resourceId: id,
    details: { brandId, name: input.name, contentType: input.contentType },
  });
  const url = await store.presignPut(key, input.contentType, UPLOAD_URL_TTL_SECONDS);
  const asset = toAsset(await loadAsset(tx, ctx.orgId, brandId, id));
  return {
    asset,
    upload: {
      method: 'PUT' as const,
      url,
      headers: { 'content-type': input.contentType },
      expiresAt: new Date(Date.now() + UPLOAD_URL_TTL_SECONDS * 1000).toISOString(),
      maxBytes: ASSET_MAX_BYTES,
    },
  };
}

interface Verified {
  ok: true;
  bytes: number;
  width: number;
  height: number;
  sha256: string;
}
interface Refused {
  ok: false;
  reason: string;
}

/** Server-side verification of an uploaded object. Pure apart from the store read. */
export async function verifyUpload(
  store: ObjectStore,
  key: string,
  declaredType: string,
): Promise<Verified | Refused | 'missing'> {
  const head = await store.head(key);
  if (!head) return 'missing';
  if (head.bytes > ASSET_MAX_BYTES)
    return { ok: false, reason: `The file is ${head.bytes} bytes; the limit is ${ASSET_MAX_BYTES}` };
  if (head.bytes === 0) return { ok: false, reason: 'The file is empty' };
  const buf = await store.get(key);
  if (buf.length > ASSET_MAX_BYTES)
    return { ok: false, reason: `The file is ${buf.length} bytes; the limit is ${ASSET_MAX_BYTES}` };
  const sniffed = sniffImageType(buf);
  if (!sniffed) return { ok: false, reason: 'The file is not a PNG, JPEG or WebP image' };
  if (sniffed !== declaredType)
    return { ok: false, reason: `The file is ${sniffed} but was declared as ${declaredType}` };
  const { default: sharp } = await import('sharp');
  let meta: { width?: number; height?: number; format?: string };
  try {
    meta = await sharp(buf, { limitInputPixels: ASSET_MAX_PIXELS, failOn: 'error' }).metadata();
    // metadata() reads headers only; decoding proves the pixels are there (truncated files fail here).
    await sharp(buf, { limitInputPixels: ASSET_MAX_PIXELS, failOn: 'error' }).stats();
  } catch (e) {
    const msg = (e as Error).message ?? '';
    return {
      ok: false,
      reason: /pixel limit/i.test(msg)
        ? `The image has more than ${ASSET_MAX_PIXELS} pixels`
        : 'The image could not be decoded',
    };
  }
  if (meta.format !== sharpFormats[declaredType])
    return { ok: false, reason: `The image decodes as ${meta.format}, not ${declaredType}` };
  if (!meta.width || !meta.height) return { ok: false, reason: 'The image has no dimensions' };
  if (meta.width * meta.height > ASSET_MAX_PIXELS)
    return { ok: false, reason: `The image has more than ${ASSET_MAX_PIXELS} pixels` };
  return {
    ok: true,
    bytes: buf.length,
    width: meta.width,
    height: meta.height,
    sha256: createHash('sha256').update(buf).digest('hex'),
  };
}

/**
 * Verifies and settles a pending asset. Ready/rejected assets are returned as they are (a repeated
 * confirm is harmless). Rejection is stored (status + reason) and then reported as 422.
 */
export async function confirmAsset(
  db: Db,
  ctx: ActorContext,
  store: ObjectStore,
  brandId: string,
  assetId: string,
): Promise<AssetDto> {
  const cur = await withTenant(db, { orgId: ctx.orgId, userId: ctx.userId }, async (tx) => {
    await loadBrand(tx, ctx.orgId, brandId);
    return loadAsset(tx, ctx.orgId, brandId, assetId);
  });
  if (cur.status === 'ready') return toAsset(cur);
  if (cur.status === 'rejected') throw rejected(toAsset(cur).rejectionReason ?? 'The upload was rejected', assetId);
  // Network and decoding happen outside any transaction.
  const v = await verifyUpload(store, cur.s3Key, cur.contentType ?? '');
  if (v === 'missing')
    throw new AppError('invalid_state', 'Nothing was uploaded yet: PUT the file to the upload URL, then confirm');
  const settled = await withTenant(db, { orgId: ctx.orgId, userId: ctx.userId }, async (tx) => {
    const now = await loadAsset(tx, ctx.orgId, brandId, assetId, true);
    if (now.status !== 'pending') return now; // a concurrent confirm settled it first
    if (v.ok) {
      await markAssetReady(tx, assetId, { bytes: v.bytes, width: v.width, height: v.height, sha256: v.sha256 });
      await audit(tx, ctx, {
        action: 'asset.confirm',
        resourceType: 'brand_asset',
        resourceId: assetId,
        details: { bytes: v.bytes, width: v.width, height: v.height },
      });
    } else {
      await markAssetRejected(tx, assetId, v.reason);
      await audit(tx, ctx, {
        action: 'asset.reject',
        resourceType: 'brand_asset',
        resourceId: assetId,
        details: { reason: v.reason },
      });
    }
    return loadAsset(tx, ctx.orgId, brandId, assetId);
  });
  if (settled.status === 'rejected') {
    // Nothing unverified stays in the bucket.
    await store.delete(settled.s3Key).catch(() => {});
    throw rejected(toAsset(settled).rejectionReason ?? 'The upload was rejected', assetId);
  }
  return toAsset(settled);
}

/** Tags match case-insensitively: stored lower-cased, without duplicates. */
const normTags = (tags: string[]) => [...new Set(tags.map((t) => t.toLowerCase()))];

const rejected = (reason: string, assetId: string) => new AppError('invalid_image', reason, { detail: { assetId } });

export async function listAssets(
  tx: Tx,
  orgId: string,
  brandId: string,
  q: {
    limit: number;
    cursor?: string;
    q?: string;
    kind?: string;
    status?: string[];
  },
) {
  await loadBrand(tx, orgId, brandId);
  const { cursor, ...filter } = q;
  const rows = await listAssetRows(tx, orgId, brandId, { ...filter, after: decodeCursor(cursor) });
  return keysetPage(rows, q.limit, toAsset);
}

export async function getAsset(tx: Tx, orgId: string, store: ObjectStore, brandId: string, assetId: string) {
  await loadBrand(tx, orgId, brandId);
  const a = await loadAsset(tx, orgId, brandId, assetId);
  const url = a.status === 'ready' ? await store.presignGet(a.s3Key, DOWNLOAD_URL_TTL_SECONDS) : null;
  return { ...toAsset(a), url };
}

export async function updateAsset(
  tx: Tx,
  ctx: ActorContext,
  brandId: string,
  assetId: string,
  input: { name?: string; tags?: string[]; license?: AssetLicense | null },
) {
  await loadBrand(tx, ctx.orgId, brandId);
  await loadAsset(tx, ctx.orgId, brandId, assetId, true);
  await updateAssetRow(tx, ctx.orgId, assetId, { ...input, ...(input.tags ? { tags: normTags(input.tags) } : {}) });
  await audit(tx, ctx, {
    action: 'asset.update',
    resourceType: 'brand_asset',
    resourceId: assetId,
    details: { fields: Object.keys(input) },
  });
  return toAsset(await loadAsset(tx, ctx.orgId, brandId, assetId));
}

export async function deleteAsset(tx: Tx, ctx: ActorContext, brandId: string, assetId: string): Promise<void> {
  await loadBrand(tx, ctx.orgId, brandId);
  await loadAsset(tx, ctx.orgId, brandId, assetId, true);
  const logoOf = await isBrandLogo(tx, ctx.orgId, assetId);
  if (logoOf) throw new AppError('conflict', 'The brand uses this asset as its logo; set another logo first');
  await markAssetDeleted(tx, ctx.orgId, assetId);
  await audit(tx, ctx, { action: 'asset.delete', resourceType: 'brand_asset', resourceId: assetId });
}
