import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { deletedAt, timestamps, tsvector } from './common.js';
import { tenantKeys, userRef } from './tenancy.js';
import type {
  BrandColors,
  BrandFonts,
  BrandLogo,
  VoiceRules,
  ComplianceThresholds,
  TemplateLayers,
  AssetLicense,
} from '../../functions/domain/brand-types.js';

export const brandProfiles = pgTable(
  'brand_profiles',
  {
    ...tenantKeys(),
    name: text('name').notNull(),
    description: text('description'),
    colors: jsonb('colors').$type<BrandColors>().notNull(),
    fonts: jsonb('fonts').$type<BrandFonts>().notNull(),
    logo: jsonb('logo').$type<BrandLogo>().notNull().default(sql`'{}'::jsonb`),
    voiceRules: jsonb('voice_rules').$type<VoiceRules>().notNull().default(sql`'{}'::jsonb`),
    complianceThresholds: jsonb('compliance_thresholds')
      .$type<ComplianceThresholds>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    defaultWorkflowId: uuid('default_workflow_id'),
    isActive: boolean('is_active').notNull().default(true),
    createdBy: userRef('created_by'),
    ...timestamps(),
    deletedAt: deletedAt(),
  },
  (t) => [
    uniqueIndex('brand_profiles_org_name_uq')
      .on(t.organizationId, sql`lower(${t.name})`)
      .where(sql`deleted_at IS NULL`),
    index('brand_profiles_org_created_idx').on(t.organizationId, t.createdAt),
    index('brand_profiles_colors_gin').using('gin', t.colors),
  ],
);

/** The brand a row belongs to. */
export const brandRef = () =>
  uuid('brand_id')
    .notNull()
    .references(() => brandProfiles.id);

export const brandAssets = pgTable(
  'brand_assets',
  {
    ...tenantKeys(),
    brandId: brandRef(),
    kind: text('kind').notNull(), // logo | image | font | other
    name: text('name').notNull(),
    s3Key: text('s3_key').notNull(),
    contentType: text('content_type'),
    bytes: integer('bytes'),
    width: integer('width'),
    height: integer('height'),
    sha256: text('sha256'),
    /** pending (presigned PUT issued) -> ready (verified) | rejected */
    status: text('status').notNull().default('pending'),
    usageCount: integer('usage_count').notNull().default(0),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    license: jsonb('license').$type<AssetLicense>(),
    metadata: jsonb('metadata').notNull().default(sql`'{}'::jsonb`),
    /**
     * Full-text document over the asset name (the trigram index serves substring/typo search; this
     * one serves word search: `search @@ websearch_to_tsquery('simple', $q)`).
     */
    search: tsvector('search').generatedAlwaysAs(sql`to_tsvector('simple', coalesce(name, ''))`),
    createdBy: userRef('created_by'),
    ...timestamps(),
    deletedAt: deletedAt(),
  },
  (t) => [
    index('brand_assets_search_gin').using('gin', t.search),
    index('brand_assets_org_brand_created_idx').on(t.organizationId, t.brandId, t.createdAt),
    index('brand_assets_ready_idx').on(t.organizationId, t.brandId).where(sql`status = 'ready' AND deleted_at IS NULL`),
    index('brand_assets_name_trgm').using('gin', sql`${t.name} gin_trgm_ops`),
    index('brand_assets_tags_gin').using('gin', t.tags),
    uniqueIndex('brand_assets_s3_key_uq').on(t.s3Key),
  ],
);

export const contentTemplates = pgTable(
  'content_templates',
  {
    ...tenantKeys(),
    brandId: brandRef(),
    name: text('name').notNull(),
    description: text('description'),
    layers: jsonb('layers').$type<TemplateLayers>().notNull(),
    platforms: text('platforms').array().notNull().default(sql`'{}'::text[]`),
    version: integer('version').notNull().default(1),
    isActive: boolean('is_active').notNull().default(true),
    createdBy: userRef('created_by'),
    ...timestamps(),
    deletedAt: deletedAt(),
  },
  (t) => [
    index('content_templates_org_brand_idx').on(t.organizationId, t.brandId).where(sql`deleted_at IS NULL`),
    index('content_templates_org_created_idx').on(t.organizationId, t.createdAt),
  ],
);
