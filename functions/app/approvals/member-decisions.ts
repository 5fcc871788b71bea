/**
 * Approvals for signed-in members (the JWT API): what waits for me, and deciding without a link.
 * Same rules as the review links (applyDecision): creators cannot approve their own request,
 * only current voters decide, one decision per approver and step, one callback per step.
 */
import { withTenant, type Tx } from '../../adapters/db/client.js';
import * as store from '../../adapters/approvals/approval-store.js';
import type { ApiDecision } from '../../domain/approvals/decision.js';
import type { DelegationRefusal } from '../../domain/approvals/eligibility.js';
import { AppError } from '../../shared/errors.js';
import type { ActorContext } from '../audit.js';
import { iso } from '../dto-dates.js';
import { applyDecision, DecisionConflict, sendStepCallback, type DecisionRefusal } from './engine.js';
import type { ApprovalServices } from './deps.js';

export interface ApprovalItem {
  id: string;
  requestId: string;
  headline: string;
  run: number;
  stepIndex: number;
  stepName: string;
  status: string;
  phase: string;
  dueAt: string | null;
  decidedAt: string | null;
  outcomeReason: string | null;
  approverIds: string[];
  createdAt: string;
}

/** Approval steps of the tenant, newest first; `mine` = pending steps where the caller holds a vote. */
export async function listApprovalItems(
  tx: Tx,
  input: { userId: string; status?: string; mine?: boolean; limit?: number },
): Promise<ApprovalItem[]> {
  const rows = await store.listApprovalsWithHeadline(tx, {
    status: input.status,
    voterId: input.mine ? input.userId : undefined,
    limit: input.limit ?? 50,
  });
  return rows.map(({ a, headline }) => ({
    id: a.id,
    requestId: a.requestId,
    headline,
    run: a.run,
    stepIndex: a.stepIndex,
    stepName: a.stepName,
    status: a.status,
    phase: a.phase,
    dueAt: iso(a.dueAt),
    decidedAt: iso(a.decidedAt),
    outcomeReason: a.outcomeReason,
    approverIds: a.approverIds,
    createdAt: iso(a.createdAt)!,
  }));
}

/** A refused delegation: the message, and what is wrong with `delegateTo`. */
const delegationProblems: Record<DelegationRefusal, [message: string, problem: string]> = {
  self: ['You cannot delegate to yourself', 'is you'],
  not_member: ['Delegate to an active member of this organization', 'not an active member'],
  creator: ['The creator of the request cannot review it', 'is the creator'],
  already_approver: ['That member already reviews this step', 'already an approver'],
};

const refusalError = (r: DecisionRefusal): AppError => {
  switch (r) {
    case 'own_request':
      return new AppError('forbidden', 'You cannot approve your own request');
    case 'not_approver':
      return new AppError('forbidden', 'You are not an approver of this step');
    case 'already_decided':
      return new AppError('conflict', 'You already decided this step');
    case 'step_closed':
      return new AppError('invalid_state', 'This approval step is already decided');
    case 'request_closed':
      return new AppError('invalid_state', 'The request is no longer waiting for approval');
    default: {
      const [message, problem] = delegationProblems[r];
      return new AppError('validation_failed', message, { fields: [{ path: 'delegateTo', message: problem }] });
    }
  }
};

/** Records a signed-in member's decision; answers the waiting task after commit when the step closes. */
export async function decideAsMember(
  deps: ApprovalServices,
  actor: ActorContext & { userId: string },
  approvalId: string,
  body: ApiDecision,
): Promise<{ stepOutcome: string | null; status: string }> {
  const now = new Date(deps.clock.now());
  let closed = false;
  let outcome: string | null = null;
  try {
    await withTenant(deps.db, { orgId: actor.orgId, userId: actor.userId }, async (tx) => {
      const first = await store.getApproval(tx, approvalId);
      if (!first) throw new AppError('not_found', 'Approval step not found');
      const request = await store.getRequest(tx, first.requestId, { forUpdate: true });
      const approval = await store.lockApproval(tx, approvalId);
      if (!request || !approval) throw new AppError('not_found', 'Approval step not found');
      const r = await applyDecision(tx, deps, {
        approval,
        request,
        members: await store.listMembers(tx),
        approverId: actor.userId,
        decision: body.decision,
        comment: body.comment,
        delegateTo: body.delegateTo,
        actor,
        now,
      });
      if (!r.ok) throw refusalError(r.refusal);
      closed = r.closed;
      outcome = r.outcome;
    });
  } catch (e) {
    if (e instanceof DecisionConflict) throw refusalError('already_decided');
    throw e;
  }
  if (closed) await sendStepCallback(deps, actor.orgId, approvalId);
  return { stepOutcome: outcome, status: outcome ?? 'pending' };
}
