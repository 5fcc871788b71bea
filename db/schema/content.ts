import { sql } from 'drizzle-orm';
import {
  index,
  integer,
  jsonb,
  numeric,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { timestamps, tsvector } from './common.js';
import { tenantKeys, userRef } from './tenancy.js';
import { brandRef, contentTemplates } from './brand.js';
import type { AssetLicense, Brief, ImageSpec } from '../../functions/domain/brand-types.js';
import { requestStatuses } from '../../functions/domain/request-status.js';

/**
 * The request status machine; its values and allowed transitions live in
 * functions/domain/request-status.ts (the enum's order there is the migration's order).
 */
export const requestStatus = pgEnum('request_status', requestStatuses);

export const contentRequests = pgTable(
  'content_requests',
  {
    ...tenantKeys(),
    brandId: brandRef(),
    templateId: uuid('template_id').references(() => contentTemplates.id),
    workflowId: uuid('workflow_id'),
    requestedBy: userRef('requested_by').notNull(),
    status: requestStatus('status').notNull().default('queued'),
    brief: jsonb('brief').$type<Brief>().notNull(),
    imageSpec: jsonb('image_spec').$type<ImageSpec>().notNull(),
    platforms: text('platforms').array().notNull(),
    /** Full-text search document over the brief (headline weighted above body). */
    search: tsvector('search').generatedAlwaysAs(
      sql`setweight(to_tsvector('simple', coalesce(brief->>'headline', '')), 'A') || setweight(to_tsvector('simple', coalesce(brief->>'body', '')), 'B')`,
    ),
    /** Increments on every (re)drive; execution names derive from (id, run). */
    run: integer('run').notNull().default(0),
    executionName: text('execution_name'),
    executionArn: text('execution_arn'),
    /** { state, code, message } of the step that failed, when status = failed. */
    failure: jsonb('failure'),
    /** { score, decision, findings[] } of the master asset. */
    compliance: jsonb('compliance'),
    /** Final manifest of published variants. */
    manifest: jsonb('manifest'),
    rejectionReason: text('rejection_reason'),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    ...timestamps(),
  },
  (t) => [
    index('content_requests_org_created_idx').on(t.organizationId, t.createdAt.desc(), t.id.desc()),
    index('content_requests_org_status_idx').on(t.organizationId, t.status, t.createdAt.desc()),
    index('content_requests_org_brand_idx').on(t.organizationId, t.brandId, t.createdAt.desc()),
    index('content_requests_active_idx')
      .on(t.organizationId, t.updatedAt)
      .where(sql`status NOT IN ('published', 'rejected', 'failed', 'cancelled')`),
    index('content_requests_search_gin').using('gin', t.search),
    index('content_requests_headline_trgm').using('gin', sql`(brief->>'headline') gin_trgm_ops`),
  ],
);

/** The request a row belongs to; deleting the request deletes the row. */
export const requestRef = () =>
  uuid('request_id')
    .notNull()
    .references(() => contentRequests.id, { onDelete: 'cascade' });

/** The timeline: one row per step per run, with durations. */
export const requestSteps = pgTable(
  'request_steps',
  {
    ...tenantKeys(),
    requestId: requestRef(),
    run: integer('run').notNull(),
    step: text('step').notNull(),
    status: text('status').notNull(), // started | succeeded | failed | skipped
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    durationMs: integer('duration_ms'),
    detail: jsonb('detail'),
  },
  (t) => [
    uniqueIndex('request_steps_run_step_uq').on(t.requestId, t.run, t.step),
    index('request_steps_org_idx').on(t.organizationId, t.startedAt),
  ],
);

/** The compliance check's verdict on an image (a master or a variant); empty until it has been checked. */
const complianceVerdict = () => ({
  complianceScore: integer('compliance_score'),
  complianceDecision: text('compliance_decision'), // pass | review | reject
  findings: jsonb('findings'),
});

/**
 * A sourced image of a request: one per layout group that needs its own (tall / square / wide),
 * keyed by the group it was bought for; `covers` lists every group it serves within the brand's
 * maxUpscale (a landscape photo may serve square and wide posts). Re-drives reuse them.
 */
export const generatedAssets = pgTable(
  'generated_assets',
  {
    ...tenantKeys(),
    requestId: requestRef(),
    brandId: brandRef(),
    /** The layout group this image was sourced for (its master is masters/<group>). */
    aspectGroup: text('aspect_group').notNull().default('square'),
    /** Groups it serves (rows from before per-group sourcing served every group). */
    covers: text('covers').array().notNull().default(sql`'{square,tall,wide}'::text[]`),
    source: text('source').notNull(), // stock | ai | upload
    provider: text('provider').notNull().default('freepik'),
    providerResourceId: text('provider_resource_id'),
    providerTaskId: text('provider_task_id'),
    license: jsonb('license').$type<AssetLicense>().notNull(),
    s3Key: text('s3_key').notNull(),
    contentType: text('content_type').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    bytes: integer('bytes').notNull(),
    sha256: text('sha256').notNull(),
    ...complianceVerdict(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('generated_assets_request_group_uq').on(t.requestId, t.aspectGroup),
    index('generated_assets_org_created_idx').on(t.organizationId, t.createdAt),
    index('generated_assets_org_decision_idx').on(t.organizationId, t.complianceDecision, t.createdAt),
  ],
);

/**
 * How each layout group of a request was sourced: the AI size or Mystic task, the stock
 * candidates considered and downloads made, and what they cost. The Mystic task id is written
 * before its result is awaited, so an attempt cut short (timeout, crash) resumes it instead of
 * paying again.
 */
export const requestSourcing = pgTable(
  'request_sourcing',
  {
    ...tenantKeys(),
    requestId: requestRef(),
    aspectGroup: text('aspect_group').notNull(),
    platforms: text('platforms').array().notNull(),
    /** generating (a Mystic task is pending) | sourced | covered (by another group's image) | fallback (best of what was tried) | failed */
    status: text('status').notNull(),
    source: text('source').notNull(), // stock | ai
    /** What was asked of the provider: {mode, size | aspectRatio + resolution} or {query}. */
    plan: jsonb('plan'),
    providerTaskId: text('provider_task_id'),
    generatedAssetId: uuid('generated_asset_id').references(() => generatedAssets.id, { onDelete: 'set null' }),
    /** Candidates ranked, previews judged, details read, downloads and generations, each with its outcome. */
    attempts: jsonb('attempts').$type<unknown[]>().notNull().default(sql`'[]'::jsonb`),
    candidatesConsidered: integer('candidates_considered').notNull().default(0),
    downloads: integer('downloads').notNull().default(0),
    generations: integer('generations').notNull().default(0),
    credits: numeric('credits', { precision: 12, scale: 4 }).notNull().default('0'),
    costUsd: numeric('cost_usd', { precision: 12, scale: 6 }).notNull().default('0'),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('request_sourcing_request_group_uq').on(t.requestId, t.aspectGroup),
    index('request_sourcing_org_idx').on(t.organizationId, t.createdAt),
  ],
);

export const assetVariants = pgTable(
  'asset_variants',
  {
    ...tenantKeys(),
    requestId: requestRef(),
    generatedAssetId: uuid('generated_asset_id')
      .notNull()
      .references(() => generatedAssets.id, { onDelete: 'cascade' }),
    platform: text('platform').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    format: text('format').notNull(),
    bytes: integer('bytes').notNull(),
    sha256: text('sha256').notNull(),
    s3Key: text('s3_key').notNull(),
    ...complianceVerdict(),
    /** What the renderer changed on its own to meet the brand's rules (what and why), for reviewers. */
    adjustments: jsonb('adjustments'),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('asset_variants_asset_platform_uq').on(t.generatedAssetId, t.platform),
    index('asset_variants_org_request_idx').on(t.organizationId, t.requestId),
  ],
);
