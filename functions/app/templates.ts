/** Use cases: layered templates, validated against their brand (color roles exist, fonts renderable). */
import { withTenant, type Db, type Tx } from '../adapters/db/client.js';
import { findBrand, readyBrandAssetKey } from '../adapters/db/stores/brand-store.js';
import {
  findTemplate,
  insertTemplate,
  listTemplateRows,
  markTemplateDeleted,
  updateTemplateRow,
  type TemplateRow,
} from '../adapters/db/stores/template-store.js';
import type { ObjectStore } from '../adapters/storage/object-store.js';
import {
  SHIPPED_FONTS,
  textSlotNames,
  type BrandColors,
  type BrandFonts,
  type Brief,
  type TemplateLayers,
} from '../domain/brand-types.js';
import type { PlatformName } from '../domain/platforms.js';
import { AppError, type FieldProblem } from '../shared/errors.js';
import { audit, type ActorContext } from './audit.js';
import { namedDto } from './named-resource.js';
import { decodeCursor, keysetPage } from './pagination.js';

export const toTemplate = (t: TemplateRow) =>
  namedDto(t, { brandId: t.brandId, layers: t.layers, platforms: t.platforms, version: t.version });
export type TemplateDto = ReturnType<typeof toTemplate>;

/**
 * Problems of `layers` for this brand: every color role a layer uses must exist in the brand's
 * palette, and the brand's headline/body fonts must be ones the renderer ships.
 */
export function templateProblems(
  layers: TemplateLayers,
  brand: { colors: BrandColors; fonts: BrandFonts },
  prefix = 'body.layers',
): FieldProblem[] {
  const roles = new Set(brand.colors.palette.map((p) => p.role));
  const problems: FieldProblem[] = [];
  const uses: [string, string | undefined][] = [
    ['overlay.colorRole', layers.overlay.kind === 'none' ? undefined : layers.overlay.colorRole],
    ['headline.colorRole', layers.headline.colorRole],
    ['body.colorRole', layers.body?.colorRole],
    ['cta.colorRole', layers.cta?.colorRole],
  ];
  for (const [path, role] of uses) {
    if (role && !roles.has(role as never))
      problems.push({ path: `${prefix}.${path}`, message: `the brand palette has no "${role}" color` });
  }
  const shipped = new Set<string>(SHIPPED_FONTS.map((f) => f.toLowerCase()));
  for (const slot of ['headline', 'body'] as const) {
    if (!shipped.has(brand.fonts[slot].toLowerCase())) {
      problems.push({
        path: `${prefix}.${slot === 'headline' ? 'headline' : 'body'}`,
        message: `the brand's ${slot} font ${brand.fonts[slot]} cannot be rendered (shipped: ${SHIPPED_FONTS.join(', ')})`,
      });
    }
  }
  for (const slot of textSlotNames) {
    const s = layers[slot];
    if (s && s.minSize > s.maxSize)
      problems.push({ path: `${prefix}.${slot}.minSize`, message: 'must not exceed maxSize' });
  }
  return problems;
}

async function brandFor(tx: Tx, orgId: string, brandId: string, path = 'body.brandId') {
  const b = await findBrand(tx, orgId, brandId);
  if (!b) throw new AppError('validation_failed', 'Unknown brand', { fields: [{ path, message: 'no such brand' }] });
  return b;
}

export async function loadTemplate(tx: Tx, orgId: string, templateId: string, forUpdate = false): Promise<TemplateRow> {
  const t = await findTemplate(tx, orgId, templateId, { forUpdate });
  if (!t) throw new AppError('not_found', 'Template not found');
  return t;
}

export async function listTemplates(tx: Tx, orgId: string, q: { limit: number; cursor?: string; brandId?: string }) {
  const rows = await listTemplateRows(tx, orgId, { limit: q.limit, brandId: q.brandId, after: decodeCursor(q.cursor) });
  return keysetPage(rows, q.limit, toTemplate);
}

export async function createTemplate(
  tx: Tx,
  ctx: ActorContext,
  input: {
    brandId: string;
    name: string;
    description?: string | null;
    layers: TemplateLayers;
    platforms: string[];
  },
): Promise<TemplateDto> {
  const brand = await brandFor(tx, ctx.orgId, input.brandId);
  const problems = templateProblems(input.layers, brand);
  if (problems.length)
    throw new AppError('validation_failed', 'The template does not fit the brand', { fields: problems });
  const t = await insertTemplate(tx, {
    organizationId: ctx.orgId,
    brandId: input.brandId,
    name: input.name,
    description: input.description ?? null,
    layers: input.layers,
    platforms: [...new Set(input.platforms)],
    createdBy: ctx.userId,
  });
  await audit(tx, ctx, {
    action: 'template.create',
    resourceType: 'template',
    resourceId: t.id,
    details: { brandId: input.brandId, name: input.name },
  });
  return toTemplate(t);
}

export async function updateTemplate(
  tx: Tx,
  ctx: ActorContext,
  templateId: string,
  input: {
    name?: string;
    description?: string | null;
    layers?: TemplateLayers;
    platforms?: string[];
    isActive?: boolean;
  },
): Promise<TemplateDto> {
  const cur = await loadTemplate(tx, ctx.orgId, templateId, true);
  if (input.layers) {
    const brand = await brandFor(tx, ctx.orgId, cur.brandId, 'body.layers');
    const problems = templateProblems(input.layers, brand);
    if (problems.length)
      throw new AppError('validation_failed', 'The template does not fit the brand', { fields: problems });
  }
  const t = await updateTemplateRow(tx, ctx.orgId, templateId, {
    ...input,
    ...(input.platforms ? { platforms: [...new Set(input.platforms)] } : {}),
    // Requests record which version they rendered with; only a layout change is a new version.
    ...(input.layers ? { version: cur.version + 1 } : {}),
  });
  await audit(tx, ctx, {
    action: 'template.update',
    resourceType: 'template',
    resourceId: templateId,
    details: { fields: Object.keys(input), version: t.version },
  });
  return toTemplate(t);
}

export async function deleteTemplate(tx: Tx, ctx: ActorContext, templateId: string): Promise<void> {
  await loadTemplate(tx, ctx.orgId, templateId, true);
  await markTemplateDeleted(tx, ctx.orgId, templateId);
  await audit(tx, ctx, { action: 'template.delete', resourceType: 'template', resourceId: templateId });
}

export async function getTemplate(tx: Tx, orgId: string, templateId: string): Promise<TemplateDto> {
  return toTemplate(await loadTemplate(tx, orgId, templateId));
}

/**
 * Renders one preset of a template from a brief and a ready image asset of the template's brand,
 * with its compliance findings. Reads only: no rows, no objects are written (and nothing audited).
 */
export async function previewTemplate(
  db: Db,
  store: ObjectStore,
  ctx: ActorContext,
  templateId: string,
  input: { platform: PlatformName; brief: Brief; assetId: string },
) {
  const { template, brand, assetKey, logoKey } = await withTenant(
    db,
    { orgId: ctx.orgId, userId: ctx.userId },
    async (tx) => {
      const template = await loadTemplate(tx, ctx.orgId, templateId);
      const brand = await findBrand(tx, ctx.orgId, template.brandId);
      if (!brand) throw new AppError('invalid_state', "The template's brand was deleted");
      const readyKey = (id: string) => readyBrandAssetKey(tx, ctx.orgId, template.brandId, id);
      const assetKey = await readyKey(input.assetId);
      if (!assetKey)
        throw new AppError('validation_failed', 'Unknown asset', {
          fields: [{ path: 'body.assetId', message: "must be a ready asset of the template's brand" }],
        });
      const logoKey = brand.logo?.assetId ? await readyKey(brand.logo.assetId) : undefined;
      return { template, brand, assetKey, logoKey };
    },
  );
  const [source, logo] = await Promise.all([
    store.get(assetKey),
    logoKey ? store.get(logoKey) : Promise.resolve(undefined),
  ]);
  // sharp and the fonts load only when a preview is asked for, not on every cold start of this Lambda.
  const { previewTemplate: render } = await import('../adapters/render/preview.js');
  const r = await render({
    source,
    preset: input.platform,
    brand,
    template: template.layers,
    brief: input.brief,
    logo,
  });
  return {
    platform: input.platform,
    width: r.width,
    height: r.height,
    contentType: r.contentType,
    imageBase64: r.image.toString('base64'),
    compliance: {
      score: r.compliance.score,
      decision: r.compliance.decision,
      findings: r.compliance.findings,
      checks: r.compliance.checks,
    },
    adjustments: r.layout.adjustments,
  };
}
