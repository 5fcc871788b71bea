/**
 * The permission matrix: which organization role may do what. Defined once; the API checks it on
 * every tenant route (routes declare the permission they need), docs/permissions.md is the written
 * form of the same table (a unit test keeps both in step).
 *
 * Membership itself is checked before any permission: a caller who is not an active member of the
 * organization gets 404 (no existence leak); a member whose role lacks the permission gets 403.
 */
import { orgRoles, type OrgRole } from './roles.js';

export const permissions = [
  'org:read',
  'org:update',
  'members:read',
  'members:manage',
  'brands:read',
  'brands:write',
  'assets:read',
  'assets:write',
  'templates:read',
  'templates:write',
  'templates:preview',
  'workflows:read',
  'workflows:write',
  'requests:read',
  'requests:create',
  'requests:cancel',
  'requests:retry',
  'approvals:read',
  'approvals:decide',
  'analytics:read',
  'analytics:write',
  'usage:read',
  'activity:read',
  'webhooks:manage',
] as const;
export type Permission = (typeof permissions)[number];

const readAll: Permission[] = [
  'org:read',
  'members:read',
  'brands:read',
  'assets:read',
  'templates:read',
  'workflows:read',
  'requests:read',
  'approvals:read',
  'analytics:read',
];

/** Role -> permissions. Owner and admin differ only in owner-only rules enforced by the use cases (see canAssignRole). */
export const rolePermissions: Record<OrgRole, readonly Permission[]> = {
  owner: permissions,
  admin: permissions,
  brand_manager: [
    ...readAll,
    'brands:write',
    'assets:write',
    'templates:write',
    'templates:preview',
    'workflows:write',
    'requests:create',
    'requests:cancel',
    'requests:retry',
    'usage:read',
    'analytics:write',
  ],
  creator: [...readAll, 'assets:write', 'templates:preview', 'requests:create', 'requests:cancel', 'requests:retry'],
  approver: [...readAll, 'approvals:decide'],
  viewer: readAll,
};

const matrix = new Map<OrgRole, Set<Permission>>(orgRoles.map((r) => [r, new Set(rolePermissions[r])]));

export function can(role: OrgRole, permission: Permission): boolean {
  return matrix.get(role)?.has(permission) ?? false;
}

/**
 * Owner-only rule on top of `members:manage`: only an owner may grant the owner role or change /
 * remove an existing owner. (The last owner can never be removed or demoted: enforced by the use case.)
 */
export function canAssignRole(actor: OrgRole, from: OrgRole | undefined, to: OrgRole | undefined): boolean {
  if (!can(actor, 'members:manage')) return false;
  if (actor === 'owner') return true;
  return from !== 'owner' && to !== 'owner';
}
