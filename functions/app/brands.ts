/** Use cases: brand profiles (palette, fonts, logo, voice rules, compliance thresholds). */
import { and, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../adapters/db/client.js';
import { approvalWorkflows, brandAssets, brandProfiles } from '../../db/schema/index.js';
import {
  brandLogoSchema,
  complianceThresholdsSchema,
  SHIPPED_FONTS,
  voiceRulesSchema,
  type BrandColors,
  type BrandFonts,
  type BrandLogo,
  type ComplianceThresholds,
  type VoiceRules,
} from '../domain/brand-types.js';
import { AppError, type FieldProblem } from '../shared/errors.js';
import { audit, type ActorContext } from './audit.js';
import { cursorTs, decodeCursor, encodeCursor, isoReq, isUniqueViolation, likeEscape } from './util.js';

type BrandRow = typeof brandProfiles.$inferSelect;
export const toBrand = (b: BrandRow) => ({
  id: b.id,
  name: b.name,
  description: b.description ?? null,
  colors: b.colors,
  fonts: b.fonts,
  logo: b.logo,
  voiceRules: b.voiceRules,
  complianceThresholds: b.complianceThresholds,
  defaultWorkflowId: b.defaultWorkflowId ?? null,
  isActive: b.isActive,
  createdAt: isoReq(b.createdAt),
  updatedAt: isoReq(b.updatedAt),
});
export type BrandDto = ReturnType<typeof toBrand>;

export interface BrandInput {
  name?: string;
  description?: string | null;
  colors?: BrandColors;
  fonts?: BrandFonts;
  logo?: BrandLogo;
  voiceRules?: VoiceRules;
  complianceThresholds?: ComplianceThresholds;
  defaultWorkflowId?: string | null;
  isActive?: boolean;
}

/** A live (not deleted) brand of the current tenant, or 404. */
export async function loadBrand(
  tx: Tx,
  orgId: string,
  brandId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<BrandRow> {
  const q = tx
    .select()
    .from(brandProfiles)
    .where(
      and(eq(brandProfiles.organizationId, orgId), eq(brandProfiles.id, brandId), isNull(brandProfiles.deletedAt)),
    );
  const [b] = opts.forUpdate ? await q.for('update') : await q;
  if (!b) throw new AppError('not_found', 'Brand not found');
  return b;
}

/** Rules across fields that zod cannot see alone (fonts vs allowed list, references in the org). */
async function checkBrand(
  tx: Tx,
  orgId: string,
  brandId: string | undefined,
  input: BrandInput,
  current?: BrandRow,
): Promise<void> {
  const problems: FieldProblem[] = [];
  const fonts = input.fonts ?? current?.fonts;
  if (fonts) {
    const allowed = new Set(fonts.allowed.map((f) => f.toLowerCase()));
    const shipped = new Set<string>(SHIPPED_FONTS.map((f) => f.toLowerCase()));
    for (const slot of ['headline', 'body'] as const) {
      if (!allowed.has(fonts[slot].toLowerCase()))
        problems.push({ path: `body.fonts.${slot}`, message: `must be one of fonts.allowed` });
      else if (!shipped.has(fonts[slot].toLowerCase()))
        problems.push({ path: `body.fonts.${slot}`, message: `the renderer ships only ${SHIPPED_FONTS.join(', ')}` });
    }
  }
  if (input.colors) {
    const names = input.colors.palette.map((p) => p.name.toLowerCase());
    if (new Set(names).size !== names.length)
      problems.push({ path: 'body.colors.palette', message: 'color names must be unique' });
    if (!input.colors.palette.some((p) => p.role === 'text'))
      problems.push({ path: 'body.colors.palette', message: 'needs a color with role "text"' });
  }
  const t = input.complianceThresholds;
  if (t && t.autoReject > t.autoPass)
    problems.push({ path: 'body.complianceThresholds.autoReject', message: 'must not exceed autoPass' });
  if (input.defaultWorkflowId) {
    const [w] = await tx
      .select({ id: approvalWorkflows.id })
      .from(approvalWorkflows)
      .where(
        and(
          eq(approvalWorkflows.organizationId, orgId),
          eq(approvalWorkflows.id, input.defaultWorkflowId),
          eq(approvalWorkflows.isActive, true),
        ),
      );
    if (!w) problems.push({ path: 'body.defaultWorkflowId', message: 'no such active approval workflow' });
  }
  if (input.logo?.assetId) {
    const [a] = brandId
      ? await tx
          .select({ id: brandAssets.id })
          .from(brandAssets)
          .where(
            and(
              eq(brandAssets.organizationId, orgId),
              eq(brandAssets.brandId, brandId),
              eq(brandAssets.id, input.logo.assetId),
              eq(brandAssets.status, 'ready'),
              isNull(brandAssets.deletedAt),
            ),
          )
      : [];
    if (!a)
      problems.push({
        path: 'body.logo.assetId',
        message: brandId ? 'must be a ready asset of this brand' : 'upload the logo to the brand first, then set it',
      });
  }
  if (problems.length) throw new AppError('validation_failed', 'The brand is not consistent', { fields: problems });
}

const nameTaken = (e: unknown) =>
  isUniqueViolation(e, 'brand_profiles_org_name_uq')
    ? new AppError('conflict', 'A brand with this name exists', {
        fields: [{ path: 'body.name', message: 'already in use' }],
      })
    : e;

export async function listBrands(tx: Tx, orgId: string, q: { limit: number; cursor?: string; q?: string }) {
  const c = decodeCursor(q.cursor);
  const where: SQL[] = [eq(brandProfiles.organizationId, orgId), isNull(brandProfiles.deletedAt)];
  if (q.q) where.push(sql`${brandProfiles.name} ilike ${`%${likeEscape(q.q)}%`}`);
  if (c) where.push(sql`(${brandProfiles.createdAt}, ${brandProfiles.id}) < (${c.t}::timestamptz, ${c.id}::uuid)`);
  const rows = await tx
    .select({ b: brandProfiles, ts: cursorTs(brandProfiles.createdAt) })
    .from(brandProfiles)
    .where(and(...where))
    .orderBy(desc(brandProfiles.createdAt), desc(brandProfiles.id))
    .limit(q.limit + 1);
  const more = rows.length > q.limit;
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => toBrand(r.b)),
    nextCursor: more && last ? encodeCursor({ t: last.ts, id: last.b.id }) : null,
  };
}

export async function getBrand(tx: Tx, orgId: string, brandId: string): Promise<BrandDto> {
  return toBrand(await loadBrand(tx, orgId, brandId));
}

export async function createBrand(
  tx: Tx,
  ctx: ActorContext,
  input: BrandInput & { name: string; colors: BrandColors; fonts: BrandFonts },
): Promise<BrandDto> {
  await checkBrand(tx, ctx.orgId, undefined, input);
  try {
    const [b] = await tx
      .insert(brandProfiles)
      .values({
        organizationId: ctx.orgId,
        name: input.name,
        description: input.description ?? null,
        colors: input.colors,
        fonts: input.fonts,
        logo: input.logo ?? brandLogoSchema.parse({}),
        voiceRules: input.voiceRules ?? voiceRulesSchema.parse({}),
        complianceThresholds: input.complianceThresholds ?? complianceThresholdsSchema.parse({}),
        defaultWorkflowId: input.defaultWorkflowId ?? null,
        createdBy: ctx.userId,
      })
      .returning();
    await audit(tx, ctx, {
      action: 'brand.create',
      resourceType: 'brand',
      resourceId: b.id,
      details: { name: b.name },
    });
    return toBrand(b);
  } catch (e) {
    throw nameTaken(e);
  }
}

export async function updateBrand(tx: Tx, ctx: ActorContext, brandId: string, input: BrandInput): Promise<BrandDto> {
  const cur = await loadBrand(tx, ctx.orgId, brandId, { forUpdate: true });
  await checkBrand(tx, ctx.orgId, brandId, input, cur);
  try {
    const [b] = await tx
      .update(brandProfiles)
      .set({ ...input, updatedAt: new Date() })
      .where(and(eq(brandProfiles.organizationId, ctx.orgId), eq(brandProfiles.id, brandId)))
      .returning();
    await audit(tx, ctx, {
      action: 'brand.update',
      resourceType: 'brand',
      resourceId: brandId,
      details: { fields: Object.keys(input) },
    });
    return toBrand(b);
  } catch (e) {
    throw nameTaken(e);
  }
}

export async function deleteBrand(tx: Tx, ctx: ActorContext, brandId: string): Promise<void> {
  await loadBrand(tx, ctx.orgId, brandId, { forUpdate: true });
  await tx
    .update(brandProfiles)
    .set({ deletedAt: new Date(), isActive: false, updatedAt: new Date() })
    .where(and(eq(brandProfiles.organizationId, ctx.orgId), eq(brandProfiles.id, brandId)));
  await audit(tx, ctx, { action: 'brand.delete', resourceType: 'brand', resourceId: brandId });
}
