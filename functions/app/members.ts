/**
 * Use cases: organization members. Owner rules: only an owner grants, changes or removes the
 * owner role (canAssignRole), and the last active owner can be neither demoted nor removed (409).
 * Owner rows are locked FOR UPDATE first, so two concurrent demotions cannot both pass the check.
 */
import type { Tx } from '../adapters/db/client.js';
import {
  addOrRestoreMember,
  ensureUserByEmail,
  findMember,
  listActiveMembers,
  lockOwnersAndMember,
  updateMembership,
  type MemberRow,
} from '../adapters/db/stores/member-store.js';
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

const toDto = (r: MemberRow): MemberDto => ({ ...r, createdAt: isoReq(r.createdAt) });

export async function listMembers(tx: Tx, orgId: string): Promise<{ items: MemberDto[] }> {
  return { items: (await listActiveMembers(tx, orgId)).map(toDto) };
}

async function getMember(tx: Tx, orgId: string, userId: string): Promise<MemberDto> {
  const r = await findMember(tx, orgId, userId);
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
  const userId = await ensureUserByEmail(tx, input.email, input.name ?? null);
  // A removed membership comes back to life with the new role; an active one is a conflict.
  const added = await addOrRestoreMember(tx, {
    organizationId: ctx.orgId,
    userId,
    role: input.role,
    invitedBy: ctx.userId,
  });
  if (!added) throw new AppError('conflict', `${input.email} is already a member`);
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
  const { role, owners } = await lockOwnersAndMember(tx, orgId, userId);
  if (!role) throw new AppError('not_found', 'No such member');
  return { role, owners };
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
    await updateMembership(tx, ctx.orgId, userId, { role });
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
  await updateMembership(tx, ctx.orgId, userId, { status: 'removed' });
  await audit(tx, ctx, {
    action: 'member.remove',
    resourceType: 'member',
    resourceId: userId,
    details: { role: cur.role },
  });
}
