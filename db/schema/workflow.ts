import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { bytea, createdAt, timestamps } from './common.js';
import { tenantKeys, userRef } from './tenancy.js';
import { requestRef } from './content.js';
import type { WorkflowStep } from '../../functions/domain/workflow-types.js';

export const approvalWorkflows = pgTable(
  'approval_workflows',
  {
    ...tenantKeys(),
    name: text('name').notNull(),
    description: text('description'),
    steps: jsonb('steps').$type<WorkflowStep[]>().notNull(),
    /** A compliance auto-pass may skip approval only when this is true. */
    allowAutoApprove: boolean('allow_auto_approve').notNull().default(false),
    isActive: boolean('is_active').notNull().default(true),
    createdBy: userRef('created_by'),
    ...timestamps(),
  },
  (t) => [uniqueIndex('approval_workflows_org_name_uq').on(t.organizationId, sql`lower(${t.name})`)],
);

/** One row per request, run and workflow step: the server-side home of the task token. */
export const contentApprovals = pgTable(
  'content_approvals',
  {
    ...tenantKeys(),
    requestId: requestRef(),
    run: integer('run').notNull(),
    stepIndex: integer('step_index').notNull(),
    stepName: text('step_name').notNull(),
    /** pending | approved | rejected | changes_requested | expired | cancelled */
    status: text('status').notNull().default('pending'),
    /** Step Functions task token, encrypted at rest; never leaves the server. */
    taskTokenEnc: text('task_token_enc'),
    quorum: jsonb('quorum').notNull(),
    /** sha256 of each variant under review, by platform: what is approved is what is published. */
    variantChecksums: jsonb('variant_checksums').$type<Record<string, string>>().notNull(),
    /** initial | escalated: after the deadline the step is answered by the escalation target. */
    phase: text('phase').notNull().default('initial'),
    /** Who currently holds a vote on the step (after delegations / escalation); the quorum counts these. */
    approverIds: uuid('approver_ids').array().notNull().default(sql`'{}'::uuid[]`),
    /** Next reminder to send (null: none due); cleared when it is sent. */
    remindAt: timestamp('remind_at', { withTimezone: true }),
    dueAt: timestamp('due_at', { withTimezone: true }),
    escalatedAt: timestamp('escalated_at', { withTimezone: true }),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    /** Set when SendTaskSuccess/Failure was acknowledged (or answered "already decided"). */
    callbackSentAt: timestamp('callback_sent_at', { withTimezone: true }),
    outcomeReason: text('outcome_reason'),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('content_approvals_step_uq').on(t.requestId, t.run, t.stepIndex),
    index('content_approvals_pending_idx').on(t.organizationId, t.dueAt).where(sql`status = 'pending'`),
  ],
);

/** The approval step and the approver a decision or a review link is for (it goes with the step). */
const approvalVoter = () => ({
  approvalId: uuid('approval_id')
    .notNull()
    .references(() => contentApprovals.id, { onDelete: 'cascade' }),
  approverId: userRef('approver_id').notNull(),
});

export const approvalDecisions = pgTable(
  'approval_decisions',
  {
    ...tenantKeys(),
    ...approvalVoter(),
    decision: text('decision').notNull(), // approve | reject | request_changes | delegate
    comment: text('comment'),
    delegatedTo: userRef('delegated_to'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('approval_decisions_approver_uq').on(t.approvalId, t.approverId)],
);

/** Review links: 256-bit random tokens stored as sha256, single use, expiring. */
export const approvalLinks = pgTable(
  'approval_links',
  {
    ...tenantKeys(),
    ...approvalVoter(),
    tokenHash: bytea('token_hash').notNull(),
    variantChecksums: jsonb('variant_checksums').$type<Record<string, string>>().notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('approval_links_token_uq').on(t.tokenHash),
    index('approval_links_approval_idx').on(t.approvalId).where(sql`used_at IS NULL AND revoked_at IS NULL`),
  ],
);

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    ...tenantKeys(),
    url: text('url').notNull(),
    /** HMAC secret, AES-256-GCM envelope (functions/adapters/crypto). */
    secretEnc: text('secret_enc').notNull(),
    events: text('events').array().notNull().default(sql`'{content.published}'::text[]`),
    isActive: boolean('is_active').notNull().default(true),
    ...timestamps(),
  },
  (t) => [index('webhook_endpoints_org_idx').on(t.organizationId).where(sql`is_active`)],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    ...tenantKeys(),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    payload: jsonb('payload').notNull(),
    status: text('status').notNull().default('pending'), // pending | delivered | failed
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_uq').on(t.endpointId, t.eventId),
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
  ],
);

/** Notifications to send (email). Locally printed and served at /dev/outbox; SES in AWS. */
export const outbox = pgTable(
  'outbox',
  {
    ...tenantKeys(),
    kind: text('kind').notNull().default('email'),
    toAddress: text('to_address').notNull(),
    subject: text('subject').notNull(),
    bodyText: text('body_text').notNull(),
    links: jsonb('links').$type<string[]>().notNull().default([]),
    /** Re-drives and retries produce the same key, so nothing is sent twice. */
    dedupeKey: text('dedupe_key').notNull(),
    status: text('status').notNull().default('pending'), // pending | sent | failed
    sentAt: timestamp('sent_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('outbox_dedupe_uq').on(t.dedupeKey),
    index('outbox_pending_idx').on(t.createdAt).where(sql`status = 'pending'`),
  ],
);
