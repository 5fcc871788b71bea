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
import { deletedAt, id, timestamps } from './common.js';

export const orgRole = pgEnum('org_role', ['owner', 'admin', 'brand_manager', 'creator', 'approver', 'viewer']);

export const organizations = pgTable(
  'organizations',
  {
    id: id(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    plan: text('plan').notNull().default('standard'),
    status: text('status').notNull().default('active'),
    /** Monthly Freepik credit allowance; null = unlimited. */
    monthlyCreditQuota: integer('monthly_credit_quota'),
    /** Monthly spend cap in USD for paid API calls; null = unlimited. */
    monthlyBudgetUsd: numeric('monthly_budget_usd', { precision: 12, scale: 4 }),
    /** Tenant API rate limit (requests per minute across all its users). */
    apiRateLimitPerMinute: integer('api_rate_limit_per_minute').notNull().default(600),
    settings: jsonb('settings').notNull().default({}),
    ...timestamps(),
    deletedAt: deletedAt(),
  },
  (t) => [
    uniqueIndex('organizations_slug_uq').on(t.slug),
    index('organizations_active_idx').on(t.createdAt).where(sql`deleted_at IS NULL`),
  ],
);

/** Every tenant-owned table carries this column; RLS policies key on it. */
export const orgId = () =>
  uuid('organization_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' });

/** The first two columns of a tenant-owned table: its own key and the organization that owns the row. */
export const tenantKeys = () => ({ id: id(), organizationId: orgId() });

export const users = pgTable(
  'users',
  {
    id: id(),
    email: text('email').notNull(),
    displayName: text('display_name').notNull(),
    /** Subject of the identity provider (Cognito `sub`, or the local issuer's). */
    externalSubject: text('external_subject'),
    status: text('status').notNull().default('active'),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('users_email_uq').on(sql`lower(${t.email})`),
    uniqueIndex('users_subject_uq').on(t.externalSubject),
  ],
);

/** A column pointing at a user (add `.notNull()` where the row cannot exist without one). */
export const userRef = (column: string) => uuid(column).references(() => users.id);

export const userOrganizations = pgTable(
  'user_organizations',
  {
    ...tenantKeys(),
    userId: userRef('user_id').notNull(),
    role: orgRole('role').notNull(),
    status: text('status').notNull().default('active'),
    invitedBy: userRef('invited_by'),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('user_organizations_org_user_uq').on(t.organizationId, t.userId),
    index('user_organizations_user_idx').on(t.userId).where(sql`status = 'active'`),
  ],
);
