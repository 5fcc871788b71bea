/**
 * Quorum rules of one approval step.
 *
 * A step is approved when the number of approvals reaches the required count: `any` needs one,
 * `all` needs every eligible approver, `n_of_m` needs n (capped at the number of approvers, so a
 * workflow naming more than exist cannot deadlock). A rejection or a change request is decisive
 * immediately, whatever the quorum: one reviewer saying "this must not go out" stops the request
 * (a veto), which is what reviewers expect from a "Reject" button.
 */
import type { WorkflowStep } from '../workflow-types.js';

export type Quorum = WorkflowStep['quorum'];
export type DecisionKind = 'approve' | 'reject' | 'request_changes' | 'delegate';
export type StepOutcome = 'approved' | 'rejected' | 'changes_requested';

/** Approvals needed for `quorum` when `eligible` people may approve (never below 1). */
export function requiredApprovals(quorum: Quorum, eligible: number): number {
  const m = Math.max(1, eligible);
  switch (quorum.type) {
    case 'any':
      return 1;
    case 'all':
      return m;
    case 'n_of_m':
      return Math.max(1, Math.min(quorum.n, m));
  }
}

/**
 * The outcome once `decisions` are counted, or null while the step still waits. Delegations do
 * not count: the delegate answers in the delegator's place.
 */
export function stepOutcome(
  quorum: Quorum,
  eligible: number,
  decisions: readonly { decision: DecisionKind }[],
): StepOutcome | null {
  if (decisions.some((d) => d.decision === 'reject')) return 'rejected';
  if (decisions.some((d) => d.decision === 'request_changes')) return 'changes_requested';
  const approvals = decisions.filter((d) => d.decision === 'approve').length;
  return approvals >= requiredApprovals(quorum, eligible) ? 'approved' : null;
}

/** Human wording for the review page ("1 of 2 approvals"). */
export function describeQuorum(quorum: Quorum, eligible: number): string {
  const need = requiredApprovals(quorum, eligible);
  if (quorum.type === 'any') return 'one approval is enough';
  if (quorum.type === 'all') return `all ${need} approvers must approve`;
  return `${need} of ${Math.max(eligible, need)} approvers must approve`;
}
