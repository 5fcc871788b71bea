/**
 * Who may answer an approval step.
 *
 * - Approvers are named by user id and/or role; only active members of the request's organization
 *   count, and the person who created the request never counts (nobody approves their own work).
 * - Escalation goes to `escalateTo` (a user or a role); without one, to the organization's owners.
 * - Delegation hands one approver's vote to another active member of the same organization who is
 *   not the creator and not already answering the same step.
 */
import type { OrgRole } from '../roles.js';
import type { WorkflowStep } from '../workflow-types.js';

export interface Member {
  userId: string;
  role: OrgRole;
  /** Membership status (active | invited | suspended ...). */
  status: string;
  email: string;
  displayName: string;
}

const isActive = (m: Member) => m.status === 'active';

function pick(
  members: readonly Member[],
  userIds: readonly string[],
  roles: readonly string[],
  creatorId: string,
): Member[] {
  const out = new Map<string, Member>();
  for (const m of members) {
    if (!isActive(m) || m.userId === creatorId) continue;
    if (userIds.includes(m.userId) || roles.includes(m.role)) out.set(m.userId, m);
  }
  return [...out.values()].sort((a, b) => a.email.localeCompare(b.email));
}

/** The step's approvers: active members named by id or role, without the creator. */
export function stepApprovers(
  step: Pick<WorkflowStep, 'approvers'>,
  members: readonly Member[],
  creatorId: string,
): Member[] {
  return pick(members, step.approvers.userIds ?? [], step.approvers.roles ?? [], creatorId);
}

/** Who receives an escalated step: `escalateTo`, else the owners; never the creator. */
export function escalationTargets(
  step: Pick<WorkflowStep, 'escalateTo'>,
  members: readonly Member[],
  creatorId: string,
): Member[] {
  const to = step.escalateTo;
  const named = pick(members, to?.userId ? [to.userId] : [], to?.role ? [to.role] : [], creatorId);
  if (named.length) return named;
  return pick(members, [], ['owner'], creatorId);
}

export type DelegationRefusal = 'self' | 'not_member' | 'creator' | 'already_approver';

/**
 * Null when `from` may hand their vote to `toUserId`, else the reason. `currentApprovers` are the
 * people who currently hold a vote on the step (after earlier delegations).
 */
export function delegationRefusal(input: {
  fromUserId: string;
  toUserId: string;
  creatorId: string;
  members: readonly Member[];
  currentApprovers: readonly string[];
}): DelegationRefusal | null {
  if (input.toUserId === input.fromUserId) return 'self';
  const target = input.members.find((m) => m.userId === input.toUserId);
  if (!target || !isActive(target)) return 'not_member';
  if (target.userId === input.creatorId) return 'creator';
  if (input.currentApprovers.includes(input.toUserId)) return 'already_approver';
  return null;
}

/**
 * The people holding a vote after delegations: each delegator is replaced by their delegate
 * (chains are followed, since a delegate may delegate again).
 */
export function currentVoters(
  initial: readonly string[],
  delegations: readonly { from: string; to: string }[],
): string[] {
  const voters = [...initial];
  for (const d of delegations) {
    const i = voters.indexOf(d.from);
    if (i >= 0) voters[i] = d.to;
  }
  return [...new Set(voters)];
}
