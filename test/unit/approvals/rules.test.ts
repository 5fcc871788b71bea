import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { requiredApprovals, stepOutcome, describeQuorum } from '../../../functions/domain/approvals/quorum.js';
import {
  currentVoters,
  delegationRefusal,
  escalationTargets,
  stepApprovers,
  type Member,
} from '../../../functions/domain/approvals/eligibility.js';
import {
  nextStep,
  stepTimeoutSeconds,
  BUILTIN_WORKFLOW,
  mayAutoApprove,
} from '../../../functions/domain/approvals/workflow-plan.js';
import { reviewFormSchema, requestStatusFor } from '../../../functions/domain/approvals/decision.js';
import { workflowStepsSchema } from '../../../functions/domain/workflow-types.js';

// Readable names for uuids (workflow steps name users by uuid).
const ids = {
  owner1: '00000000-0000-4000-8000-000000000001',
  owner2: '00000000-0000-4000-8000-000000000002',
  appr1: '00000000-0000-4000-8000-000000000003',
  appr2: '00000000-0000-4000-8000-000000000004',
  creator: '00000000-0000-4000-8000-000000000005',
  gone: '00000000-0000-4000-8000-000000000006',
  view: '00000000-0000-4000-8000-000000000007',
} as const;
const name = (id: string) => Object.entries(ids).find(([, v]) => v === id)?.[0] ?? id;
const m = (n: keyof typeof ids, role: Member['role'], status = 'active'): Member => ({
  userId: ids[n],
  role,
  status,
  email: `${n}@x.test`,
  displayName: n,
});
const members = [
  m('owner1', 'owner'),
  m('owner2', 'owner'),
  m('appr1', 'approver'),
  m('appr2', 'approver'),
  m('creator', 'creator'),
  m('gone', 'approver', 'removed'),
  m('view', 'viewer'),
];

describe('quorum', () => {
  test('any needs one approval, all needs every voter, n_of_m needs n (capped at m)', () => {
    expect(requiredApprovals({ type: 'any' }, 5)).toBe(1);
    expect(requiredApprovals({ type: 'all' }, 3)).toBe(3);
    expect(requiredApprovals({ type: 'n_of_m', n: 2 }, 5)).toBe(2);
    expect(requiredApprovals({ type: 'n_of_m', n: 4 }, 2)).toBe(2);
  });

  test('one approval of two under "all" keeps waiting; the second approves', () => {
    expect(stepOutcome({ type: 'all' }, 2, [{ decision: 'approve' }])).toBeNull();
    expect(stepOutcome({ type: 'all' }, 2, [{ decision: 'approve' }, { decision: 'approve' }])).toBe('approved');
  });

  test('a rejection or change request decides at once, whatever the quorum', () => {
    expect(stepOutcome({ type: 'all' }, 3, [{ decision: 'approve' }, { decision: 'reject' }])).toBe('rejected');
    expect(stepOutcome({ type: 'n_of_m', n: 2 }, 3, [{ decision: 'request_changes' }])).toBe('changes_requested');
  });

  test('delegations never count as votes', () => {
    expect(stepOutcome({ type: 'any' }, 1, [{ decision: 'delegate' }])).toBeNull();
  });

  test('property: approvals below the requirement never approve, at or above always do (without vetoes)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 12 }),
        (n, voters, approvals) => {
          const q = { type: 'n_of_m' as const, n };
          const out = stepOutcome(
            q,
            voters,
            Array.from({ length: approvals }, () => ({ decision: 'approve' as const })),
          );
          expect(out === 'approved').toBe(approvals >= Math.min(n, voters));
        },
      ),
    );
  });

  test('wording', () => {
    expect(describeQuorum({ type: 'n_of_m', n: 2 }, 3)).toBe('2 of 3 approvers must approve');
  });
});

describe('eligibility', () => {
  const step = workflowStepsSchema.parse([{ name: 'S', approvers: { roles: ['approver'], userIds: [ids.owner1] } }])[0];
  const names = (list: Member[]) => list.map((x) => name(x.userId)).sort();

  test('approvers by role and by id, active members only, never the creator', () => {
    expect(names(stepApprovers(step, members, ids.creator))).toEqual(['appr1', 'appr2', 'owner1']);
    expect(names(stepApprovers(step, members, ids.appr1))).toEqual(['appr2', 'owner1']);
  });

  test('escalation goes to the named target, else to the owners, never the creator', () => {
    expect(names(escalationTargets({ escalateTo: { userId: ids.appr2 } }, members, ids.creator))).toEqual(['appr2']);
    expect(names(escalationTargets({}, members, ids.owner1))).toEqual(['owner2']);
  });

  test('delegation: only to another active member of the org who is not the creator and has no vote yet', () => {
    const base = { fromUserId: ids.appr1, creatorId: ids.creator, members, currentApprovers: [ids.appr1, ids.appr2] };
    expect(delegationRefusal({ ...base, toUserId: ids.view })).toBeNull();
    expect(delegationRefusal({ ...base, toUserId: ids.appr1 })).toBe('self');
    expect(delegationRefusal({ ...base, toUserId: ids.creator })).toBe('creator');
    expect(delegationRefusal({ ...base, toUserId: ids.gone })).toBe('not_member');
    expect(delegationRefusal({ ...base, toUserId: '00000000-0000-4000-8000-0000000000ff' })).toBe('not_member');
    expect(delegationRefusal({ ...base, toUserId: ids.appr2 })).toBe('already_approver');
  });

  test('voters after chained delegations', () => {
    expect(
      currentVoters(
        ['a', 'b'],
        [
          { from: 'a', to: 'c' },
          { from: 'c', to: 'd' },
        ],
      ),
    ).toEqual(['d', 'b']);
  });
});

describe('workflow plan', () => {
  const wf = {
    id: 'w',
    name: 'W',
    allowAutoApprove: false,
    steps: workflowStepsSchema.parse([
      { name: 'one', approvers: { roles: ['approver'] } },
      { name: 'two', approvers: { roles: ['owner'] }, deadlineHours: 0.001 },
    ]),
  };

  test('walks the steps in order, then is done', () => {
    expect(nextStep(wf, -1, null)).toMatchObject({
      done: false,
      stepIndex: 0,
      stepName: 'one',
      timeoutSeconds: 48 * 3600,
    });
    expect(nextStep(wf, 0, null)).toMatchObject({ done: false, stepIndex: 1, timeoutSeconds: 4 });
    expect(nextStep(wf, 1, null)).toEqual({ done: true, stepCount: 2, autoApproved: false });
  });

  test('a compliance pass skips approval only when the workflow allows it', () => {
    expect(nextStep(wf, -1, { decision: 'pass' })).toMatchObject({ done: false });
    expect(nextStep({ ...wf, allowAutoApprove: true }, -1, { decision: 'pass' })).toMatchObject({
      done: true,
      autoApproved: true,
    });
    expect(nextStep({ ...wf, allowAutoApprove: true }, -1, { decision: 'review' })).toMatchObject({ done: false });
    expect(mayAutoApprove(BUILTIN_WORKFLOW, 'pass')).toBe(false);
  });

  test('deadlines become whole seconds, at least one', () => {
    expect(stepTimeoutSeconds({ deadlineHours: 0.0001 })).toBe(1);
    expect(stepTimeoutSeconds({ deadlineHours: 2 })).toBe(7200);
  });
});

describe('review form', () => {
  const base = { approval: '6f1c2f1e-5f7a-4a55-9d47-9f1f0c3a8f11', form_token: 'x' };
  test('reject needs a reason, request changes a comment, delegate a member id', () => {
    expect(reviewFormSchema.safeParse({ ...base, decision: 'reject' }).success).toBe(false);
    expect(reviewFormSchema.safeParse({ ...base, decision: 'reject', comment: '  ' }).success).toBe(false);
    expect(reviewFormSchema.safeParse({ ...base, decision: 'reject', comment: 'off brand' }).success).toBe(true);
    expect(reviewFormSchema.safeParse({ ...base, decision: 'request_changes' }).success).toBe(false);
    expect(reviewFormSchema.safeParse({ ...base, decision: 'delegate', delegate_to: 'bob' }).success).toBe(false);
    expect(reviewFormSchema.safeParse({ ...base, decision: 'approve' }).success).toBe(true);
    expect(reviewFormSchema.safeParse({ ...base, decision: 'publish-now' }).success).toBe(false);
  });

  test('outcomes map to request statuses; an expired step rejects', () => {
    expect(requestStatusFor('expired')).toBe('rejected');
    expect(requestStatusFor('changes_requested')).toBe('changes_requested');
    expect(requestStatusFor('approved')).toBeNull();
  });
});
