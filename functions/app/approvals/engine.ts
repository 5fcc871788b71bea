/**
 * The approval engine's shared moves: resolve a request's workflow, issue a review link (with its
 * email, in the same transaction), apply a decision to a step, and answer the waiting task.
 *
 * Ordering rule: a decision is committed (unique per approver and step) before any callback is
 * made; the step is closed with a conditional update (`status = 'pending'`) under a row lock, so
 * exactly one decider gets the task token back and sends exactly one SendTaskSuccess.
 */
import { createHash } from 'node:crypto';
import { withTenant, type Tx } from '../../adapters/db/client.js';
import * as store from '../../adapters/approvals/approval-store.js';
import { enqueueEmail } from '../../adapters/notify/outbox.js';
import {
  currentVoters,
  delegationRefusal,
  escalationTargets,
  stepApprovers,
  type DelegationRefusal,
  type Member,
} from '../../domain/approvals/eligibility.js';
import { generateLinkToken, reviewUrl } from '../../domain/approvals/link-token.js';
import { auditActionFor, requestStatusFor } from '../../domain/approvals/decision.js';
import { stepOutcome, type DecisionKind, type Quorum, type StepOutcome } from '../../domain/approvals/quorum.js';
import { BUILTIN_WORKFLOW, type WorkflowLike } from '../../domain/approvals/workflow-plan.js';
import { workflowStepsSchema, type WorkflowStep } from '../../domain/workflow-types.js';
import { AppError } from '../../shared/errors.js';
import { audit, type ActorContext } from '../audit.js';
import { closeStep as closeTimelineStep } from '../../adapters/db/stores/request-step-store.js';
import { reviewEmail, type LinkReason } from './emails.js';
import type { ApprovalServices } from './deps.js';

export const TASK_TOKEN_FIELD = 'content_approvals.task_token_enc';
export const tokenContext = (orgId: string, approvalId: string) => ({
  orgId,
  field: TASK_TOKEN_FIELD,
  rowId: approvalId,
});

/** The request's workflow: its own, else the brand default, else the built-in one-step review. */
export async function resolveWorkflow(tx: Tx, request: store.RequestRow): Promise<WorkflowLike> {
  const brand = await store.getBrand(tx, request.brandId);
  const id = request.workflowId ?? brand?.defaultWorkflowId ?? null;
  if (!id) return BUILTIN_WORKFLOW;
  const w = await store.getWorkflow(tx, id);
  if (!w) return BUILTIN_WORKFLOW;
  const steps = workflowStepsSchema.safeParse(w.steps);
  if (!steps.success)
    throw new AppError(
      'invalid_state',
      `Approval workflow "${w.name}" has invalid steps; fix the workflow and retry the request`,
    );
  return { id: w.id, name: w.name, steps: steps.data, allowAutoApprove: w.allowAutoApprove };
}

export function stepOf(workflow: WorkflowLike, stepIndex: number): WorkflowStep {
  const step = workflow.steps[stepIndex];
  if (!step) throw new AppError('invalid_state', `Approval workflow "${workflow.name}" has no step ${stepIndex + 1}`);
  return step;
}

/** Fingerprint of the checksums under review: a new variant set means new links and new emails. */
export const checksumFingerprint = (c: Record<string, string>) =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(c).sort(([a], [b]) => a.localeCompare(b))))
    .digest('hex')
    .slice(0, 12);

/** The outbox key of the link email for (step, phase, approver, variants): re-drives reuse it. */
export const linkDedupeKey = (approval: store.ApprovalRow, approverId: string, reason: LinkReason, n = 0) =>
  [
    'approval-link',
    approval.id,
    approval.phase,
    reason === 'reminder' ? `reminder${n}` : 'link',
    approverId,
    checksumFingerprint(approval.variantChecksums),
  ].join(':');

export interface IssueLinkInput {
  approval: store.ApprovalRow;
  approver: Member;
  request: store.RequestRow;
  brandName: string;
  stepCount: number;
  reason: LinkReason;
  now: Date;
  fromName?: string;
  reminderNumber?: number;
}

/**
 * Issues a fresh single-use link for one approver and queues its email, unless the email for the
 * same (step, phase, approver, variants) was queued before (a re-driven task): then nothing
 * happens, because the raw token of the earlier link is not stored anywhere and cannot be re-sent.
 * Any older live link of the approver on this step is revoked: one live link per approver.
 */
export async function issueLink(
  tx: Tx,
  deps: Pick<ApprovalServices, 'publicBaseUrl'>,
  i: IssueLinkInput,
): Promise<boolean> {
  const dedupeKey = linkDedupeKey(i.approval, i.approver.userId, i.reason, i.reminderNumber);
  if (await store.outboxHasKey(tx, dedupeKey)) return false;
  await store.revokeLinks(tx, i.approval.id, i.now, i.approver.userId);
  const { token, hash } = generateLinkToken();
  const expiresAt = i.approval.dueAt ?? new Date(i.now.getTime() + 48 * 3600_000);
  await store.insertLink(tx, {
    organizationId: i.request.organizationId,
    approvalId: i.approval.id,
    approverId: i.approver.userId,
    tokenHash: hash,
    variantChecksums: i.approval.variantChecksums,
    expiresAt,
  });
  const url = reviewUrl(deps.publicBaseUrl, token);
  const mail = reviewEmail({
    reason: i.reason,
    approverName: i.approver.displayName,
    brandName: i.brandName,
    headline: i.request.brief.headline,
    stepName: i.approval.stepName,
    stepNumber: i.approval.stepIndex + 1,
    stepCount: i.stepCount,
    dueAt: expiresAt,
    url,
    fromName: i.fromName,
  });
  await enqueueEmail(tx, {
    organizationId: i.request.organizationId,
    to: i.approver.email,
    subject: mail.subject,
    text: mail.text,
    links: [url],
    dedupeKey,
  });
  return true;
}

export type DecisionRefusal =
  | 'own_request'
  | 'not_approver'
  | 'already_decided'
  | 'step_closed'
  | 'request_closed'
  | DelegationRefusal;

export interface ApplyDecisionInput {
  approval: store.ApprovalRow;
  request: store.RequestRow;
  members: Member[];
  approverId: string;
  decision: DecisionKind;
  comment?: string;
  delegateTo?: string;
  actor: ActorContext;
  now: Date;
  /** Marks the link used in the same transaction (link decisions). */
  consumeLinkId?: string;
}

export type ApplyDecisionResult =
  | { ok: false; refusal: DecisionRefusal }
  | { ok: true; outcome: StepOutcome | null; closed: boolean; delegateName?: string };

/** The quorum that applies to a step right now (an escalated step needs one answer). */
export const effectiveQuorum = (a: store.ApprovalRow): Quorum =>
  a.phase === 'escalated' ? { type: 'any' } : (a.quorum as Quorum);

/**
 * Records one decision on a locked, pending step and closes the step when the decision completes
 * the quorum. Caller holds the row lock (store.lockApproval) and commits; the callback is sent
 * after the commit (sendStepCallback).
 */
export async function applyDecision(
  tx: Tx,
  deps: Pick<ApprovalServices, 'publicBaseUrl'>,
  i: ApplyDecisionInput,
): Promise<ApplyDecisionResult> {
  const { approval, request } = i;
  if (i.approverId === request.requestedBy) return { ok: false, refusal: 'own_request' };
  if (approval.status !== 'pending') return { ok: false, refusal: 'step_closed' };
  if (request.status !== 'awaiting_approval' || request.run !== approval.run)
    return { ok: false, refusal: 'request_closed' };
  const me = i.members.find((m) => m.userId === i.approverId && m.status === 'active');
  if (!me || !approval.approverIds.includes(i.approverId)) return { ok: false, refusal: 'not_approver' };

  let delegate: Member | undefined;
  if (i.decision === 'delegate') {
    const refusal = delegationRefusal({
      fromUserId: i.approverId,
      toUserId: i.delegateTo ?? '',
      creatorId: request.requestedBy,
      members: i.members,
      currentApprovers: approval.approverIds,
    });
    if (refusal) return { ok: false, refusal };
    delegate = i.members.find((m) => m.userId === i.delegateTo)!;
  }

  if (i.consumeLinkId && !(await store.consumeLink(tx, i.consumeLinkId, i.now)))
    return { ok: false, refusal: 'already_decided' };
  const row = await store.insertDecision(tx, {
    organizationId: request.organizationId,
    approvalId: approval.id,
    approverId: i.approverId,
    decision: i.decision,
    comment: i.comment ?? null,
    delegatedTo: delegate?.userId ?? null,
  });
  if (!row) throw new DecisionConflict();
  // A signed-in decision also retires the approver's emailed link for this step.
  if (!i.consumeLinkId) await store.revokeLinks(tx, approval.id, i.now, i.approverId);

  const baseDetails = {
    approvalId: approval.id,
    step: approval.stepName,
    stepIndex: approval.stepIndex,
    run: approval.run,
    phase: approval.phase,
  };
  if (delegate) {
    const voters = currentVoters(approval.approverIds, [{ from: i.approverId, to: delegate.userId }]);
    await store.updateApproval(tx, approval.id, { approverIds: voters });
    const brand = await store.getBrand(tx, request.brandId);
    const workflow = await resolveWorkflow(tx, request);
    await issueLink(tx, deps, {
      approval: { ...approval, approverIds: voters },
      approver: delegate,
      request,
      brandName: brand?.name ?? 'your brand',
      stepCount: workflow.steps.length,
      reason: 'delegated',
      now: i.now,
      fromName: me.displayName,
    });
    await audit(tx, i.actor, {
      action: auditActionFor.delegate,
      resourceType: 'content_request',
      resourceId: request.id,
      details: { ...baseDetails, delegatedTo: delegate.userId, comment: i.comment ?? null },
    });
    return { ok: true, outcome: null, closed: false, delegateName: delegate.displayName };
  }

  const decisions = await store.listDecisions(tx, [approval.id]);
  const counted = decisions.filter((d) => approval.approverIds.includes(d.approverId));
  const outcome = stepOutcome(
    effectiveQuorum(approval),
    approval.approverIds.length,
    counted.map((d) => ({ decision: d.decision as DecisionKind })),
  );
  let closed = false;
  if (outcome)
    closed = await closeStep(
      tx,
      approval,
      request,
      outcome,
      outcome === 'approved' ? null : (i.comment ?? null),
      i.now,
    );
  await audit(tx, i.actor, {
    action: auditActionFor[i.decision],
    resourceType: 'content_request',
    resourceId: request.id,
    details: { ...baseDetails, comment: i.comment ?? null, stepOutcome: outcome },
  });
  return { ok: true, outcome, closed };
}

/** Thrown inside the transaction when the unique (approval, approver) constraint says "decided already". */
export class DecisionConflict extends Error {
  constructor() {
    super('this approver already decided this step');
  }
}

/**
 * Closes a pending step with `outcome` (conditional update), retires its links and, for a
 * rejection or change request, ends the request with the reason. False when it was closed already.
 */
export async function closeStep(
  tx: Tx,
  approval: store.ApprovalRow,
  request: store.RequestRow,
  outcome: StepOutcome | 'expired',
  reason: string | null,
  now: Date,
): Promise<boolean> {
  const closed = await store.closeApproval(tx, approval.id, outcome, reason, now);
  if (!closed) return false;
  await store.revokeLinks(tx, approval.id, now);
  const status = requestStatusFor(outcome);
  if (status) {
    const moved = await store.moveRequest(tx, request.id, approval.run, ['awaiting_approval'], status, {
      rejectionReason: reason ?? status,
    });
    if (moved)
      await closeTimelineStep(
        tx,
        { orgId: request.organizationId, requestId: request.id, run: approval.run },
        'await_approval',
        'succeeded',
        { decision: status, step: approval.stepName },
      );
  }
  return true;
}

/** What the waiting task receives (SendTaskSuccess output; the workflow's Choice reads `decision`). */
export interface StepAnswer {
  decision: 'approved' | 'rejected' | 'changes_requested';
  reason?: string;
  stepIndex: number;
  approvalId: string;
}

export function answerFor(
  a: Pick<store.ApprovalRow, 'status' | 'outcomeReason' | 'stepIndex' | 'id'>,
): StepAnswer | null {
  if (a.status === 'approved') return { decision: 'approved', stepIndex: a.stepIndex, approvalId: a.id };
  if (a.status === 'rejected' || a.status === 'expired')
    return { decision: 'rejected', reason: a.outcomeReason ?? undefined, stepIndex: a.stepIndex, approvalId: a.id };
  if (a.status === 'changes_requested')
    return {
      decision: 'changes_requested',
      reason: a.outcomeReason ?? undefined,
      stepIndex: a.stepIndex,
      approvalId: a.id,
    };
  return null;
}

/** How `sendStepCallback` gets the token and how often it tries. */
export interface StepCallbackOptions {
  /** The token, when the caller holds it already; otherwise the step's stored token is decrypted. */
  taskToken?: string;
  /** Tries before the step is left to its deadline task, which returns the decision (default 3). */
  attempts?: number;
}

/**
 * Answers the waiting task of a decided step, once: SendTaskSuccess with the step's answer. The
 * token is decrypted here and goes nowhere but the callback. "Already decided" (the task timed
 * out into escalation, or a concurrent call won) counts as done. Other errors are retried a few
 * times; if they persist, the step stays `callback_sent_at IS NULL` and the wait ends at the step's
 * deadline, where the deadline task finds the decision and returns it (step-tasks.ts `atDeadline`).
 */
export async function sendStepCallback(
  deps: Pick<ApprovalServices, 'db' | 'secrets' | 'callbacks' | 'clock' | 'log' | 'sleep'>,
  orgId: string,
  approvalId: string,
  opts: StepCallbackOptions = {},
): Promise<'sent' | 'already_decided' | 'pending' | 'failed'> {
  const row = await withTenant(deps.db, { orgId }, (tx) => store.getApproval(tx, approvalId));
  const answer = row && answerFor(row);
  if (!row || !answer) return 'pending';
  const token =
    opts.taskToken ??
    (row.taskTokenEnc ? await deps.secrets.decrypt(row.taskTokenEnc, tokenContext(orgId, approvalId)) : undefined);
  if (!token) return 'failed';
  const attempts = opts.attempts ?? 3;
  for (let n = 1; ; n++) {
    try {
      const r = await deps.callbacks.sendSuccess(token, answer);
      await withTenant(deps.db, { orgId }, (tx) => store.markCallbackSent(tx, approvalId, new Date(deps.clock.now())));
      return r;
    } catch (e) {
      if (n >= attempts) {
        deps.log.warn('approval callback failed; the step deadline will pick the decision up', {
          approvalId,
          error: (e as Error).name,
        });
        return 'failed';
      }
      await deps.sleep(200 * 4 ** (n - 1));
    }
  }
}

/** Voters of a step in a phase (never the creator). */
export function votersFor(
  step: WorkflowStep,
  phase: 'initial' | 'escalated',
  members: Member[],
  creatorId: string,
): Member[] {
  return phase === 'initial' ? stepApprovers(step, members, creatorId) : escalationTargets(step, members, creatorId);
}

/** Audit actor of the workflow itself (deadlines, the wait task). */
export const systemActor = (orgId: string, what: string): ActorContext => ({
  orgId,
  userId: null,
  actor: `system:${what}`,
});
