/**
 * Organizations and the signed-in user's view of them. The `my*` reads run in withUser's
 * transaction (no tenant selected: the memberships policy shows the user's own rows); the rest
 * in withTenant's.
 */
import { and, eq, sql } from 'drizzle-orm';
import { organizations, userOrganizations, users } from '../../../../db/schema/index.js';
import type { OrgRole } from '../../../domain/roles.js';
import type { Tx } from '../client.js';
import { patchRow } from '../tenant-rows.js';

export type OrgRow = typeof organizations.$inferSelect;
/** Unique across organizations. */
export const ORG_SLUG_CONSTRAINT = 'organizations_slug_uq';

export async function findUser(tx: Tx, userId: string) {
  const [u] = await tx
    .select({ id: users.id, email: users.email, displayName: users.displayName })
    .from(users)
    .where(eq(users.id, userId));
  return u;
}

const myActiveMemberships = (userId: string) =>
  and(
    eq(userOrganizations.userId, userId),
    eq(userOrganizations.status, 'active'),
    sql`${organizations.deletedAt} is null`,
  );

/** The user's active memberships of live organizations, by organization name. */
export async function listMyMemberships(tx: Tx, userId: string) {
  return tx
    .select({
      orgId: organizations.id,
      orgName: organizations.name,
      orgSlug: organizations.slug,
      role: userOrganizations.role,
    })
    .from(userOrganizations)
    .innerJoin(organizations, eq(organizations.id, userOrganizations.organizationId))
    .where(myActiveMemberships(userId))
    .orderBy(organizations.name);
}

/** The live organizations the user is an active member of, with their role, by name. */
export async function listMyOrgRows(tx: Tx, userId: string): Promise<{ o: OrgRow; role: OrgRole }[]> {
  return tx
    .select({ o: organizations, role: userOrganizations.role })
    .from(userOrganizations)
    .innerJoin(organizations, eq(organizations.id, userOrganizations.organizationId))
    .where(myActiveMemberships(userId))
    .orderBy(organizations.name);
}

/** A new organization with `ownerId` as its owner (run as the new tenant). */
export async function insertOrgWithOwner(
  tx: Tx,
  org: { id: string; name: string; slug: string },
  ownerId: string,
): Promise<OrgRow> {
  const [o] = await tx.insert(organizations).values(org).returning();
  await tx.insert(userOrganizations).values({ organizationId: org.id, userId: ownerId, role: 'owner' });
  return o;
}

export async function findOrg(tx: Tx, orgId: string): Promise<OrgRow | undefined> {
  const [o] = await tx.select().from(organizations).where(eq(organizations.id, orgId));
  return o;
}

export async function updateOrgRow(tx: Tx, orgId: string, patch: { name?: string }): Promise<OrgRow | undefined> {
  return patchRow(tx, organizations, eq(organizations.id, orgId), patch);
}
