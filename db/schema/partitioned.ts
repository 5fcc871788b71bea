/**
 * The three high-volume, monthly-partitioned tables. drizzle-kit cannot declare
 * PARTITION BY, so these are created by the custom migration `0003_partitions.sql`
 * (and excluded from drizzle-kit generation); the definitions here give typed queries.
 * Their primary keys include the partition column, as PostgreSQL requires.
 */
import { bigint, inet, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { variantKeys } from './analytics.js';
import { createdAt } from './common.js';

/**
 * The first two columns of each: an identity (the primary key pairs it with the partition column)
 * and the owning tenant (the migration declares its foreign key to organizations).
 */
const partitionedRowKeys = () => ({
  id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity(),
  organizationId: uuid('organization_id').notNull(),
});

export const apiUsage = pgTable(
  'api_usage',
  {
    ...partitionedRowKeys(),
    requestId: uuid('request_id'),
    provider: text('provider').notNull(),
    endpoint: text('endpoint').notNull(),
    method: text('method').notNull(),
    statusCode: integer('status_code'),
    /** success | retryable_error | error | timeout | network_error */
    outcome: text('outcome').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    credits: numeric('credits', { precision: 12, scale: 4 }).notNull().default('0'),
    costUsd: numeric('cost_usd', { precision: 12, scale: 6 }).notNull().default('0'),
    retryNumber: integer('retry_number').notNull().default(0),
    errorCode: text('error_code'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.id, t.createdAt] })],
);

export const contentAnalytics = pgTable(
  'content_analytics',
  {
    ...partitionedRowKeys(),
    ...variantKeys(),
    /** impressions | reach | likes | comments | shares | saves | clicks | video_views */
    metric: text('metric').notNull(),
    value: bigint('value', { mode: 'number' }).notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
    ingestedAt: timestamp('ingested_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.id, t.recordedAt] })],
);

export const userActivityLogs = pgTable(
  'user_activity_logs',
  {
    ...partitionedRowKeys(),
    userId: uuid('user_id'),
    /** Who acted when not a signed-in user: an approval link, a scheduled job. */
    actor: text('actor'),
    action: text('action').notNull(),
    resourceType: text('resource_type').notNull(),
    resourceId: text('resource_id'),
    requestId: text('request_id'),
    ip: inet('ip'),
    userAgent: text('user_agent'),
    details: jsonb('details'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.id, t.createdAt] })],
);
