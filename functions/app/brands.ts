/** Use cases: brand profiles (palette, fonts, logo, voice rules, compliance thresholds). */
import type { Tx } from '../adapters/db/client.js';
import {
  BRAND_NAME_CONSTRAINT,
  findBrand,
  insertBrand,
  listBrandRows,
  markBrandDeleted,
  readyBrandAssetKey,
  updateBrandRow,
  type BrandRow,
} from '../adapters/db/stores/brand-store.js';
import { hasActiveWorkflow } from '../adapters/db/stores/workflow-store.js';
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
import { namedDto, namedWrites } from './named-resource.js';
import { decodeCursor, keysetPage } from './pagination.js';

export const toBrand = (b: BrandRow) =>
  namedDto(b, {
    colors: b.colors,
    fonts: b.fonts,
    logo: b.logo,
    voiceRules: b.voiceRules,
    complianceThresholds: b.complianceThresholds,
    defaultWorkflowId: b.defaultWorkflowId ?? null,
  });
export type BrandDto = ReturnType<typeof toBrand>;

const brandWrites = namedWrites({
  name: 'brand',
  constraint: BRAND_NAME_CONSTRAINT,
  toDto: toBrand,
});

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

/** A new brand: a name, its colors and its fonts are required; the rest have defaults. */
export type NewBrandInput = BrandInput & { name: string; colors: BrandColors; fonts: BrandFonts };

/** A live (not deleted) brand of the current tenant, or 404. */
export async function loadBrand(
  tx: Tx,
  orgId: string,
  brandId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<BrandRow> {
  const b = await findBrand(tx, orgId, brandId, opts);
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
    if (!(await hasActiveWorkflow(tx, orgId, input.defaultWorkflowId)))
      problems.push({ path: 'body.defaultWorkflowId', message: 'no such active approval workflow' });
  }
  if (input.logo?.assetId) {
    const ready = brandId ? await readyBrandAssetKey(tx, orgId, brandId, input.logo.assetId) : undefined;
    if (!ready)
      problems.push({
        path: 'body.logo.assetId',
        message: brandId ? 'must be a ready asset of this brand' : 'upload the logo to the brand first, then set it',
      });
  }
  if (problems.length) throw new AppError('validation_failed', 'The brand is not consistent', { fields: problems });
}

export async function listBrands(tx: Tx, orgId: string, q: { limit: number; cursor?: string; q?: string }) {
  const rows = await listBrandRows(tx, orgId, { limit: q.limit, q: q.q, after: decodeCursor(q.cursor) });
  return keysetPage(rows, q.limit, toBrand);
}

export async function getBrand(tx: Tx, orgId: string, brandId: string): Promise<BrandDto> {
  return toBrand(await loadBrand(tx, orgId, brandId));
}

export async function createBrand(tx: Tx, ctx: ActorContext, input: NewBrandInput): Promise<BrandDto> {
  await checkBrand(tx, ctx.orgId, undefined, input);
  return brandWrites.create(
    tx,
    ctx,
    () =>
      insertBrand(tx, {
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
      }),
    (b) => ({ name: b.name }),
  );
}

export async function updateBrand(tx: Tx, ctx: ActorContext, brandId: string, input: BrandInput): Promise<BrandDto> {
  const cur = await loadBrand(tx, ctx.orgId, brandId, { forUpdate: true });
  await checkBrand(tx, ctx.orgId, brandId, input, cur);
  return brandWrites.update(tx, ctx, input, () => updateBrandRow(tx, ctx.orgId, brandId, input));
}

export async function deleteBrand(tx: Tx, ctx: ActorContext, brandId: string): Promise<void> {
  await loadBrand(tx, ctx.orgId, brandId, { forUpdate: true });
  await markBrandDeleted(tx, ctx.orgId, brandId);
  await audit(tx, ctx, { action: 'brand.delete', resourceType: 'brand', resourceId: brandId });
}
