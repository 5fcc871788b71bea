/**
 * The first layer of tenant isolation (RLS is the second): is the caller an active member of the
 * organization in the path, and does their role allow the route's permission? Plus the tenant's
 * API rate limit. Runs before any input is parsed, so a non-member learns nothing (404) and a
 * member without the permission learns only that (403).
 */
import { gatedTenantRead, type Db, type GateRow, type TenantRead } from '../adapters/db/client.js';
import { runApiGate } from '../adapters/db/stores/rate-limit-store.js';
import { can, type Permission } from '../domain/permissions.js';
import { orgRoles, type OrgRole } from '../domain/roles.js';
import { AppError } from '../shared/errors.js';

/** The verified tenant context of a request. */
export interface TenantAccess {
  orgId: string;
  userId: string;
  role: OrgRole;
}

export interface GateInput {
  orgId: string;
  userId: string;
  permission: Permission;
  rateLimit: boolean;
}

export async function authorizeTenant(db: Db, input: GateInput): Promise<TenantAccess> {
  // One round trip (migration 0010): membership under the tenant policies + the tenant's bucket.
  return admit(await runApiGate(db, input.orgId, input.userId, input.rateLimit), input);
}

/**
 * The gate and a read as the tenant in one round trip (adapters/db/client.ts: the tenant is set
 * only when PostgreSQL admitted the caller with a role allowed on the route). The verdict is judged
 * exactly as `authorizeTenant` judges it before anything read is used.
 */
export async function readAsTenant<T>(
  db: Db,
  input: GateInput,
  reads: TenantRead<T>,
): Promise<{ access: TenantAccess; result: T }> {
  const { gate, result } = await gatedTenantRead(
    db,
    { orgId: input.orgId, userId: input.userId, roles: rolesWith(input.permission), rateLimit: input.rateLimit },
    reads,
  );
  const access = admit(gate, input);
  // Admitted by the role matrix but not by the gate statement's role list: they are the same matrix.
  if (result === undefined) throw new Error('tenant gate admitted a caller the read was not run for');
  return { access, result };
}

const rolesByPermission = new Map<Permission, readonly OrgRole[]>();
function rolesWith(permission: Permission): readonly OrgRole[] {
  let roles = rolesByPermission.get(permission);
  if (!roles) {
    roles = orgRoles.filter((r) => can(r, permission));
    rolesByPermission.set(permission, roles);
  }
  return roles;
}

/** The gate's verdict, in order: not a member 404, bucket empty 429, role without the permission 403. */
function admit(m: GateRow | undefined, input: GateInput): TenantAccess {
  if (!m || m.role == null) throw new AppError('not_found', 'Organization not found');
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
  const role = m.role as OrgRole;
  if (!can(role, input.permission)) {
    throw new AppError('forbidden', `The ${role} role cannot ${input.permission.replace(':', ' ')}`);
  }
  return { orgId: input.orgId, userId: input.userId, role };
}
