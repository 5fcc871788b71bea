/** Memberships of the current tenant (user_organizations; every function runs in withTenant's transaction). */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { userOrganizations, users } from '../../../../db/schema/index.js';
import type { OrgRole } from '../../../domain/roles.js';
import type { Tx } from '../client.js';

/** Those of `userIds` that are active members of the organization. */
export async function activeMemberIds(tx: Tx, orgId: string, userIds: string[]): Promise<Set<string>> {
  const found = await tx
    .select({ userId: userOrganizations.userId })
    .from(userOrganizations)
    .where(
      and(
        eq(userOrganizations.organizationId, orgId),
        eq(userOrganizations.status, 'active'),
        inArray(userOrganizations.userId, userIds),
      ),
    );
  return new Set(found.map((f) => f.userId));
}

/** A member as the API shows them (membership joined with the user). */
export interface MemberRow {
  userId: string;
  email: string;
  displayName: string;
  role: OrgRole;
  status: string;
  createdAt: Date;
}

const memberCols = {
  userId: userOrganizations.userId,
  email: users.email,
  displayName: users.displayName,
  role: userOrganizations.role,
  status: userOrganizations.status,
  createdAt: userOrganizations.createdAt,
};

/** Active members by email. */
export async function listActiveMembers(tx: Tx, orgId: string): Promise<MemberRow[]> {
  return tx
    .select(memberCols)
    .from(userOrganizations)
    .innerJoin(users, eq(users.id, userOrganizations.userId))
    .where(and(eq(userOrganizations.organizationId, orgId), eq(userOrganizations.status, 'active')))
    .orderBy(users.email);
}

/** The membership of `userId`, whatever its status. */
export async function findMember(tx: Tx, orgId: string, userId: string): Promise<MemberRow | undefined> {
  const [r] = await tx
    .select(memberCols)
    .from(userOrganizations)
    .innerJoin(users, eq(users.id, userOrganizations.userId))
    .where(and(eq(userOrganizations.organizationId, orgId), eq(userOrganizations.userId, userId)));
  return r;
}

/** The user with this email, created when there is none (app.ensure_user_by_email). */
export async function ensureUserByEmail(tx: Tx, email: string, name: string | null): Promise<string> {
  const res = await tx.execute<{ id: string }>(sql`select app.ensure_user_by_email(${email}, ${name}) as id`);
  return res[0].id;
}

/**
 * Adds the membership, or brings a removed one back to life with the new role. False when the
 * user is already an active member (nothing is changed then).
 */
export async function addOrRestoreMember(
  tx: Tx,
  row: { organizationId: string; userId: string; role: OrgRole; invitedBy: string | null },
): Promise<boolean> {
  const rows = await tx
    .insert(userOrganizations)
    .values(row)
    .onConflictDoUpdate({
      target: [userOrganizations.organizationId, userOrganizations.userId],
      set: { role: row.role, status: 'active', invitedBy: row.invitedBy, updatedAt: new Date() },
      setWhere: sql`${userOrganizations.status} <> 'active'`,
    })
    .returning({ id: userOrganizations.id });
  return rows.length > 0;
}

/**
 * Locks the org's active owner rows, then the target's active row (always in that order, so two
 * concurrent changes queue instead of both passing the last-owner check). The target's role
 * (undefined when not an active member) and how many active owners there are.
 */
export async function lockOwnersAndMember(
  tx: Tx,
  orgId: string,
  userId: string,
): Promise<{ role: OrgRole | undefined; owners: number }> {
  const owners = await tx.execute<{ user_id: string }>(sql`
    select user_id from user_organizations
    where organization_id = ${orgId} and role = 'owner' and status = 'active' for update`);
  const target = await tx.execute<{ role: OrgRole }>(sql`
    select role from user_organizations
    where organization_id = ${orgId} and user_id = ${userId} and status = 'active' for update`);
  return { role: target[0]?.role, owners: owners.length };
}

export async function updateMembership(
  tx: Tx,
  orgId: string,
  userId: string,
  patch: { role?: OrgRole; status?: 'removed' },
): Promise<void> {
  await tx
    .update(userOrganizations)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(userOrganizations.organizationId, orgId), eq(userOrganizations.userId, userId)));
}
