import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './common.js';
import { tenantKeys, userRef } from './tenancy.js';

/** Global configuration (not tenant data): feature flags, defaults. */
export const systemSettings = pgTable('system_settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  description: text('description'),
  updatedAt: updatedAt(),
});

/** Scheduled/background job runs; (job_name, period_key) makes a duplicate delivery a no-op. */
export const backgroundJobs = pgTable(
  'background_jobs',
  {
    id: id(),
    jobName: text('job_name').notNull(),
    periodKey: text('period_key').notNull(),
    status: text('status').notNull().default('running'), // running | succeeded | failed
    attempts: integer('attempts').notNull().default(1),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    result: jsonb('result'),
    error: text('error'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('background_jobs_period_uq').on(t.jobName, t.periodKey),
    index('background_jobs_running_idx').on(t.startedAt).where(sql`status = 'running'`),
  ],
);

/** Stored responses for `Idempotency-Key` replays (per tenant and user). */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    ...tenantKeys(),
    userId: userRef('user_id').notNull(),
    key: text('key').notNull(),
    route: text('route').notNull(),
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('idempotency_keys_uq').on(t.organizationId, t.userId, t.key)],
);
