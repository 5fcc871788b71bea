import {
  bigint,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { updatedAt } from './common.js';
import { orgId, tenantKeys } from './tenancy.js';

/** Which published variant a metric row is about; the rollups keep these keys of content_analytics. */
export const variantKeys = () => ({
  brandId: uuid('brand_id').notNull(),
  requestId: uuid('request_id').notNull(),
  variantId: uuid('variant_id').notNull(),
  platform: text('platform').notNull(),
});

/** A counter per engagement metric (`metricNames`, functions/domain/analytics/metrics.ts); the rollups sum them. */
const metricTotals = () => ({
  impressions: bigint('impressions', { mode: 'number' }).notNull().default(0),
  reach: bigint('reach', { mode: 'number' }).notNull().default(0),
  likes: bigint('likes', { mode: 'number' }).notNull().default(0),
  comments: bigint('comments', { mode: 'number' }).notNull().default(0),
  shares: bigint('shares', { mode: 'number' }).notNull().default(0),
  saves: bigint('saves', { mode: 'number' }).notNull().default(0),
  clicks: bigint('clicks', { mode: 'number' }).notNull().default(0),
  videoViews: bigint('video_views', { mode: 'number' }).notNull().default(0),
});

/** Hourly rollup of content_analytics (one row per variant, platform and hour). */
export const contentAnalyticsHourly = pgTable(
  'content_analytics_hourly',
  {
    organizationId: orgId(),
    ...variantKeys(),
    hour: timestamp('hour', { withTimezone: true }).notNull(),
    ...metricTotals(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('content_analytics_hourly_uq').on(t.variantId, t.platform, t.hour),
    index('content_analytics_hourly_org_hour_idx').on(t.organizationId, t.hour),
  ],
);

/** Daily rollup: what the dashboard reads. */
export const contentAnalyticsDaily = pgTable(
  'content_analytics_daily',
  {
    organizationId: orgId(),
    ...variantKeys(),
    day: date('day').notNull(),
    ...metricTotals(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('content_analytics_daily_uq').on(t.variantId, t.platform, t.day),
    // covering index for the dashboard's per-tenant date range scans
    index('content_analytics_daily_org_day_idx').on(t.organizationId, t.day, t.brandId).with({ fillfactor: 90 }),
  ],
);

export const brandComplianceAnalytics = pgTable(
  'brand_compliance_analytics',
  {
    ...tenantKeys(),
    brandId: uuid('brand_id').notNull(),
    day: date('day').notNull(),
    requests: integer('requests').notNull(),
    passed: integer('passed').notNull(),
    review: integer('review').notNull(),
    rejected: integer('rejected').notNull(),
    avgScore: numeric('avg_score', { precision: 5, scale: 2 }),
    /** [{ check, count }] most frequent findings that day. */
    topFindings: jsonb('top_findings').notNull().default([]),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('brand_compliance_analytics_uq').on(t.organizationId, t.brandId, t.day)],
);

/** Per-tenant connections to social platforms for the metrics collector (tokens encrypted). */
export const socialConnections = pgTable(
  'social_connections',
  {
    ...tenantKeys(),
    platform: text('platform').notNull(), // instagram | facebook
    accountId: text('account_id').notNull(),
    accessTokenEnc: text('access_token_enc').notNull(),
    tokenExpiresAt: timestamp('token_expires_at', { withTimezone: true }),
    lastCollectedAt: timestamp('last_collected_at', { withTimezone: true }),
    isActive: integer('is_active').notNull().default(1),
    /**
     * active | needs_reauth (the platform refused the token: OAuthException 190; the collector skips
     * the connection until a person reconnects it) | rate_limited (skipped until `retryAfter`).
     */
    status: text('status').notNull().default('active'),
    /** The collector leaves the connection alone until then (platform rate limits). */
    retryAfter: timestamp('retry_after', { withTimezone: true }),
    /** Last platform error, without secrets (message, code, trace id). */
    lastError: text('last_error'),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('social_connections_uq').on(t.organizationId, t.platform, t.accountId)],
);

/** Which platform post carries which published variant (filled at publish / by the collector). */
export const publishedPosts = pgTable(
  'published_posts',
  {
    ...tenantKeys(),
    variantId: uuid('variant_id').notNull(),
    platform: text('platform').notNull(),
    externalPostId: text('external_post_id').notNull(),
    connectionId: uuid('connection_id'),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * Lifetime totals the platform reported at the last collection, by metric. Platforms such as
     * Meta report lifetime counts; content_analytics stores increments, so the collector stores the
     * difference to these and then moves them forward in the same transaction.
     */
    lastTotals: jsonb('last_totals').$type<Record<string, number>>().notNull().default({}),
    lastCollectedAt: timestamp('last_collected_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('published_posts_uq').on(t.platform, t.externalPostId),
    index('published_posts_connection_idx').on(t.connectionId),
  ],
);

/**
 * Hours of content_analytics that received samples since the last hourly rollup (the ingestion
 * API and the collector add them; the rollup claims and recomputes them). Not tenant data: only an
 * hour, and the app role may INSERT but not read it.
 */
export const contentAnalyticsDirtyHours = pgTable('content_analytics_dirty_hours', {
  hour: timestamp('hour', { withTimezone: true }).primaryKey(),
  markedAt: timestamp('marked_at', { withTimezone: true }).notNull().defaultNow(),
});
