/**
 * The first layer of tenant isolation (RLS is the second): is the caller an active member of the
 * organization in the path, and does their role allow the route's permission? Plus the tenant's
 * API rate limit. Runs before any input is parsed, so a non-member learns nothing (404) and a
 * member without the permission learns only that (403).
 */
import { sql } from 'drizzle-orm';
import { withTenant, type Db } from '../adapters/db/client.js';
import { can, type Permission } from '../domain/permissions.js';
import type { OrgRole } from '../domain/roles.js';
import { AppError } from '../shared/errors.js';
import { apiBucketFor, takeToken } from './rate-limit.js';

/** The verified tenant context of a request. */
export interface TenantAccess {
  orgId: string;
  userId: string;
  role: OrgRole;
}

export async function authorizeTenant(db: Db, input: { orgId: string; userId: string; permission: Permission; rateLimit: boolean }): Promise<TenantAccess> {
  const rows = await withTenant(db, { orgId: input.orgId, userId: input.userId }, (tx) => tx.execute<{ role: OrgRole; limit: number }>(sql`
    select m.role, o.api_rate_limit_per_minute as limit
    from user_organizations m join organizations o on o.id = m.organization_id
    where m.organization_id = ${input.orgId} and m.user_id = ${input.userId} and m.status = 'active'
      and o.deleted_at is null and o.status = 'active'`));
  const m = rows[0];
  if (!m) throw new AppError('not_found', 'Organization not found');
  if (input.rateLimit) {
    const r = await takeToken(db, apiBucketFor(input.orgId, Number(m.limit)));
    if (!r.allowed) {
      throw new AppError('rate_limited', `This organization's API limit of ${m.limit} requests per minute is exhausted`, {
        retryable: true,
        headers: { 'retry-after': String(r.retryAfterSeconds) },
      });
    }
  }
  if (!can(m.role, input.permission)) {
    throw new AppError('forbidden', `The ${m.role} role cannot ${input.permission.replace(':', ' ')}`);
  }
  return { orgId: input.orgId, userId: input.userId, role: m.role };
}
