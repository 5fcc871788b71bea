/** Organization roles, strongest first. The permission matrix lives in functions/domain/permissions.ts. */
export const orgRoles = ['owner', 'admin', 'brand_manager', 'creator', 'approver', 'viewer'] as const;
export type OrgRole = (typeof orgRoles)[number];
