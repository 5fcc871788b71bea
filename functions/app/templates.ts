/** Use cases: layered templates, validated against their brand (color roles exist, fonts renderable). */
import { and, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { withTenant, type Db, type Tx } from '../adapters/db/client.js';
import type { ObjectStore } from '../adapters/storage/object-store.js';
import { brandAssets, brandProfiles, contentTemplates } from '../../db/schema/index.js';
import {
  SHIPPED_FONTS,
  type BrandColors,
  type BrandFonts,
  type Brief,
  type TemplateLayers,
} from '../domain/brand-types.js';
import type { PlatformName } from '../domain/platforms.js';
import { AppError, type FieldProblem } from '../shared/errors.js';
import { audit, type ActorContext } from './audit.js';
import { isoReq } from './dto-dates.js';
import { decodeCursor, encodeCursor } from './pagination.js';
import { cursorTs } from '../adapters/db/keyset.js';

type TemplateRow = typeof contentTemplates.$inferSelect;
export const toTemplate = (t: TemplateRow) => ({
  id: t.id,
  brandId: t.brandId,
  name: t.name,
  description: t.description ?? null,
  layers: t.layers,
  platforms: t.platforms,
  version: t.version,
  isActive: t.isActive,
  createdAt: isoReq(t.createdAt),
  updatedAt: isoReq(t.updatedAt),
});
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
  for (const slot of ['headline', 'body', 'cta'] as const) {
    const s = layers[slot];
    if (s && s.minSize > s.maxSize)
      problems.push({ path: `${prefix}.${slot}.minSize`, message: 'must not exceed maxSize' });
  }
  return problems;
}

async function brandFor(tx: Tx, orgId: string, brandId: string, path = 'body.brandId') {
  const [b] = await tx
    .select({ id: brandProfiles.id, colors: brandProfiles.colors, fonts: brandProfiles.fonts })
    .from(brandProfiles)
    .where(
      and(eq(brandProfiles.organizationId, orgId), eq(brandProfiles.id, brandId), isNull(brandProfiles.deletedAt)),
    );
  if (!b) throw new AppError('validation_failed', 'Unknown brand', { fields: [{ path, message: 'no such brand' }] });
  return b;
}

export async function loadTemplate(tx: Tx, orgId: string, templateId: string, forUpdate = false): Promise<TemplateRow> {
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
  const [t] = forUpdate ? await q.for('update') : await q;
  if (!t) throw new AppError('not_found', 'Template not found');
  return t;
}

export async function listTemplates(tx: Tx, orgId: string, q: { limit: number; cursor?: string; brandId?: string }) {
  const c = decodeCursor(q.cursor);
  const where: SQL[] = [eq(contentTemplates.organizationId, orgId), isNull(contentTemplates.deletedAt)];
  if (q.brandId) where.push(eq(contentTemplates.brandId, q.brandId));
  if (c)
    where.push(sql`(${contentTemplates.createdAt}, ${contentTemplates.id}) < (${c.t}::timestamptz, ${c.id}::uuid)`);
  const rows = await tx
    .select({ t: contentTemplates, ts: cursorTs(contentTemplates.createdAt) })
    .from(contentTemplates)
    .where(and(...where))
    .orderBy(desc(contentTemplates.createdAt), desc(contentTemplates.id))
    .limit(q.limit + 1);
  const more = rows.length > q.limit;
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => toTemplate(r.t)),
    nextCursor: more && last ? encodeCursor({ t: last.ts, id: last.t.id }) : null,
  };
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
  const [t] = await tx
    .insert(contentTemplates)
    .values({
      organizationId: ctx.orgId,
      brandId: input.brandId,
      name: input.name,
      description: input.description ?? null,
      layers: input.layers,
      platforms: [...new Set(input.platforms)],
      createdBy: ctx.userId,
    })
    .returning();
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
  const [t] = await tx
    .update(contentTemplates)
    .set({
      ...input,
      ...(input.platforms ? { platforms: [...new Set(input.platforms)] } : {}),
      // Requests record which version they rendered with; only a layout change is a new version.
      ...(input.layers ? { version: cur.version + 1 } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(contentTemplates.organizationId, ctx.orgId), eq(contentTemplates.id, templateId)))
    .returning();
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
  await tx
    .update(contentTemplates)
    .set({ deletedAt: new Date(), isActive: false, updatedAt: new Date() })
    .where(and(eq(contentTemplates.organizationId, ctx.orgId), eq(contentTemplates.id, templateId)));
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
  const { template, brand, asset, logoKey } = await withTenant(
    db,
    { orgId: ctx.orgId, userId: ctx.userId },
    async (tx) => {
      const template = await loadTemplate(tx, ctx.orgId, templateId);
      const [brand] = await tx
        .select()
        .from(brandProfiles)
        .where(
          and(
            eq(brandProfiles.organizationId, ctx.orgId),
            eq(brandProfiles.id, template.brandId),
            isNull(brandProfiles.deletedAt),
          ),
        );
      if (!brand) throw new AppError('invalid_state', "The template's brand was deleted");
      const readyAsset = (id: string) =>
        tx
          .select({ s3Key: brandAssets.s3Key })
          .from(brandAssets)
          .where(
            and(
              eq(brandAssets.organizationId, ctx.orgId),
              eq(brandAssets.brandId, template.brandId),
              eq(brandAssets.id, id),
              eq(brandAssets.status, 'ready'),
              isNull(brandAssets.deletedAt),
            ),
          );
      const [asset] = await readyAsset(input.assetId);
      if (!asset)
        throw new AppError('validation_failed', 'Unknown asset', {
          fields: [{ path: 'body.assetId', message: "must be a ready asset of the template's brand" }],
        });
      const [logo] = brand.logo?.assetId ? await readyAsset(brand.logo.assetId) : [];
      return { template, brand, asset, logoKey: logo?.s3Key };
    },
  );
  const [source, logo] = await Promise.all([
    store.get(asset.s3Key),
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
