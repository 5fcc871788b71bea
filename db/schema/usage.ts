import { date, doublePrecision, integer, numeric, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, updatedAt } from './common.js';
import { tenantKeys } from './tenancy.js';

/** Rollup of api_usage per tenant, day, provider and endpoint (written by the usage rollup job). */
export const dailyUsageSummaries = pgTable(
  'daily_usage_summaries',
  {
    ...tenantKeys(),
    day: date('day').notNull(),
    provider: text('provider').notNull(),
    endpoint: text('endpoint').notNull(),
    calls: integer('calls').notNull(),
    failures: integer('failures').notNull(),
    retries: integer('retries').notNull(),
    credits: numeric('credits', { precision: 14, scale: 4 }).notNull(),
    costUsd: numeric('cost_usd', { precision: 14, scale: 6 }).notNull(),
    avgLatencyMs: integer('avg_latency_ms').notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('daily_usage_summaries_uq').on(t.organizationId, t.day, t.provider, t.endpoint)],
);

/** Running monthly spend per tenant, checked before every paid call (quota fails fast). */
export const usageCounters = pgTable(
  'usage_counters',
  {
    ...tenantKeys(),
    /** First day of the month (UTC). */
    month: date('month').notNull(),
    credits: numeric('credits', { precision: 14, scale: 4 }).notNull().default('0'),
    costUsd: numeric('cost_usd', { precision: 14, scale: 6 }).notNull().default('0'),
    calls: integer('calls').notNull().default(0),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('usage_counters_org_month_uq').on(t.organizationId, t.month)],
);

/**
 * Token buckets shared by every Lambda instance (global Freepik rate, per-tenant API rate).
 * Not tenant-owned: keys such as `freepik:global` or `api:org:<id>`.
 */
export const rateLimitBuckets = pgTable('rate_limit_buckets', {
  key: text('key').primaryKey(),
  tokens: doublePrecision('tokens').notNull(),
  capacity: doublePrecision('capacity').notNull(),
  refillPerSecond: doublePrecision('refill_per_second').notNull(),
  updatedAt: updatedAt(),
  createdAt: createdAt(),
});
