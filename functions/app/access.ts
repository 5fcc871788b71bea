/**
 * The first layer of tenant isolation (RLS is the second): is the caller an active member of the
 * organization in the path, and does their role allow the route's permission? Plus the tenant's
 * API rate limit. Runs before any input is parsed, so a non-member learns nothing (404) and a
 * member without the permission learns only that (403).
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../adapters/db/client.js';
import { can, type Permission } from '../domain/permissions.js';
import type { OrgRole } from '../domain/roles.js';
import { AppError } from '../shared/errors.js';

/** The verified tenant context of a request. */
export interface TenantAccess {
  orgId: string;
  userId: string;
  role: OrgRole;
}

export async function authorizeTenant(
  db: Db,
  input: { orgId: string; userId: string; permission: Permission; rateLimit: boolean },
): Promise<TenantAccess> {
  // One round trip (migration 0010): membership under the tenant policies + the tenant's bucket.
  const rows = await db.execute<{
    role: OrgRole;
    rate_limit_per_minute: number;
    allowed: boolean;
    retry_after_seconds: number;
  }>(sql`select * from app.api_gate(${input.orgId}::uuid, ${input.userId}::uuid, ${input.rateLimit})`);
  const m = rows[0];
  if (!m) throw new AppError('not_found', 'Organization not found');
  if (!m.allowed) {
    throw new AppError(
      'rate_limited',
      `This organization's API limit of ${m.rate_limit_per_minute} requests per minute is exhausted`,
      {
        retryable: true,
        headers: { 'retry-after': String(m.retry_after_seconds) },
      },
    );
  }
  if (!can(m.role, input.permission)) {
    throw new AppError('forbidden', `The ${m.role} role cannot ${input.permission.replace(':', ' ')}`);
  }
  return { orgId: input.orgId, userId: input.userId, role: m.role };
}
