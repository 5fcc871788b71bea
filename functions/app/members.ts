/**
 * Use cases: organization members. Owner rules: only an owner grants, changes or removes the
 * owner role (canAssignRole), and the last active owner can be neither demoted nor removed (409).
 * Owner rows are locked FOR UPDATE first, so two concurrent demotions cannot both pass the check.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '../adapters/db/client.js';
import { userOrganizations, users } from '../../db/schema/index.js';
import { canAssignRole } from '../domain/permissions.js';
import type { OrgRole } from '../domain/roles.js';
import { AppError } from '../shared/errors.js';
import { audit, type ActorContext } from './audit.js';
import { isoReq } from './dto-dates.js';

export interface MemberDto {
  userId: string;
  email: string;
  displayName: string;
  role: OrgRole;
  status: string;
  createdAt: string;
}

const memberCols = {
  userId: userOrganizations.userId,
  email: users.email,
  displayName: users.displayName,
  role: userOrganizations.role,
  status: userOrganizations.status,
  createdAt: userOrganizations.createdAt,
};
const toDto = (r: {
  userId: string;
  email: string;
  displayName: string;
  role: OrgRole;
  status: string;
  createdAt: Date;
}): MemberDto => ({ ...r, createdAt: isoReq(r.createdAt) });

export async function listMembers(tx: Tx, orgId: string): Promise<{ items: MemberDto[] }> {
  const rows = await tx
    .select(memberCols)
    .from(userOrganizations)
    .innerJoin(users, eq(users.id, userOrganizations.userId))
    .where(and(eq(userOrganizations.organizationId, orgId), eq(userOrganizations.status, 'active')))
    .orderBy(users.email);
  return { items: rows.map(toDto) };
}

async function getMember(tx: Tx, orgId: string, userId: string): Promise<MemberDto> {
  const [r] = await tx
    .select(memberCols)
    .from(userOrganizations)
    .innerJoin(users, eq(users.id, userOrganizations.userId))
    .where(and(eq(userOrganizations.organizationId, orgId), eq(userOrganizations.userId, userId)));
  if (!r) throw new AppError('not_found', 'No such member');
  return toDto(r);
}

export async function addMember(
  tx: Tx,
  ctx: ActorContext,
  actorRole: OrgRole,
  input: { email: string; role: OrgRole; name?: string },
): Promise<MemberDto> {
  if (!canAssignRole(actorRole, undefined, input.role))
    throw new AppError('forbidden', 'Only an owner can add an owner');
  const res = await tx.execute<{ id: string }>(
    sql`select app.ensure_user_by_email(${input.email}, ${input.name ?? null}) as id`,
  );
  const userId = res[0].id;
  // A removed membership comes back to life with the new role; an active one is a conflict.
  const rows = await tx
    .insert(userOrganizations)
    .values({ organizationId: ctx.orgId, userId, role: input.role, invitedBy: ctx.userId })
    .onConflictDoUpdate({
      target: [userOrganizations.organizationId, userOrganizations.userId],
      set: { role: input.role, status: 'active', invitedBy: ctx.userId, updatedAt: new Date() },
      setWhere: sql`${userOrganizations.status} <> 'active'`,
    })
    .returning({ id: userOrganizations.id });
  if (!rows.length) throw new AppError('conflict', `${input.email} is already a member`);
  await audit(tx, ctx, {
    action: 'member.add',
    resourceType: 'member',
    resourceId: userId,
    details: { email: input.email, role: input.role },
  });
  return getMember(tx, ctx.orgId, userId);
}

/** Locks the org's active owner rows and the target row; returns the target and the owner count. */
async function lockForChange(tx: Tx, orgId: string, userId: string) {
  const owners = await tx.execute<{ user_id: string }>(sql`
    select user_id from user_organizations where organization_id = ${orgId} and role = 'owner' and status = 'active' for update`);
  const target = await tx.execute<{ role: OrgRole }>(sql`
    select role from user_organizations where organization_id = ${orgId} and user_id = ${userId} and status = 'active' for update`);
  if (!target[0]) throw new AppError('not_found', 'No such member');
  return { role: target[0].role, owners: owners.length };
}

export async function updateMemberRole(
  tx: Tx,
  ctx: ActorContext,
  actorRole: OrgRole,
  userId: string,
  role: OrgRole,
): Promise<MemberDto> {
  const cur = await lockForChange(tx, ctx.orgId, userId);
  if (!canAssignRole(actorRole, cur.role, role))
    throw new AppError('forbidden', 'Only an owner can grant or change the owner role');
  if (cur.role === 'owner' && role !== 'owner' && cur.owners <= 1) {
    throw new AppError('conflict', 'The last owner cannot be demoted; make someone else owner first');
  }
  if (cur.role !== role) {
    await tx
      .update(userOrganizations)
      .set({ role, updatedAt: new Date() })
      .where(and(eq(userOrganizations.organizationId, ctx.orgId), eq(userOrganizations.userId, userId)));
    await audit(tx, ctx, {
      action: 'member.role_change',
      resourceType: 'member',
      resourceId: userId,
      details: { from: cur.role, to: role },
    });
  }
  return getMember(tx, ctx.orgId, userId);
}

export async function removeMember(tx: Tx, ctx: ActorContext, actorRole: OrgRole, userId: string): Promise<void> {
  const cur = await lockForChange(tx, ctx.orgId, userId);
  if (!canAssignRole(actorRole, cur.role, undefined))
    throw new AppError('forbidden', 'Only an owner can remove an owner');
  if (cur.role === 'owner' && cur.owners <= 1) throw new AppError('conflict', 'The last owner cannot be removed');
  await tx
    .update(userOrganizations)
    .set({ status: 'removed', updatedAt: new Date() })
    .where(and(eq(userOrganizations.organizationId, ctx.orgId), eq(userOrganizations.userId, userId)));
  await audit(tx, ctx, {
    action: 'member.remove',
    resourceType: 'member',
    resourceId: userId,
    details: { role: cur.role },
  });
}
