/**
 * The approval loop's workflow tasks (lib/constructs/approval-steps.ts wires them):
 *
 *   Next approval step -> Await step decision (task token, deadline = the step's TimeoutSecondsPath)
 *     -- States.Timeout --> Escalate approval step -> Await escalated decision
 *        -- States.Timeout --> Expire approval step (request ends 'rejected', reason "approval expired")
 *
 * Every task is idempotent per (request, run, step): a re-driven or retried task reuses the
 * content_approvals row, keeps the decisions already recorded, stores the new task token and
 * re-sends nothing (the outbox dedupe keys make sure of it).
 */
import { withTenant, type Tx } from '../../adapters/db/client.js';
import * as store from '../../adapters/approvals/approval-store.js';
import { escalationTargets } from '../../domain/approvals/eligibility.js';
import { EXPIRED_REASON } from '../../domain/approvals/decision.js';
import { checksumsOf } from '../../domain/approvals/manifest.js';
import { sameChecksums } from '../../domain/approvals/link-token.js';
import { stepOutcome, type DecisionKind } from '../../domain/approvals/quorum.js';
import { nextStep, stepTimeoutSeconds, type NextStep } from '../../domain/approvals/workflow-plan.js';
import { canTransition, type RequestStatus } from '../../domain/request-status.js';
import { requestStatuses } from '../../domain/request-status.js';
import { AppError } from '../../shared/errors.js';
import { audit } from '../audit.js';
import {
  answerFor,
  closeStep,
  effectiveQuorum,
  issueLink,
  resolveWorkflow,
  stepOf,
  systemActor,
  tokenContext,
  votersFor,
  type StepAnswer,
} from './engine.js';
import type { ApprovalServices } from './deps.js';

export interface StepRef {
  orgId: string;
  requestId: string;
  run: number;
}

const fromWhere = (to: RequestStatus) => requestStatuses.filter((s) => s !== to && canTransition(s, to));

async function loadRequest(
  tx: Parameters<typeof store.getRequest>[0],
  ref: StepRef,
  opts: { forUpdate?: boolean } = {},
) {
  const request = await store.getRequest(tx, ref.requestId, opts);
  if (!request) throw new AppError('not_found', `Content request ${ref.requestId} not found`);
  if (request.run !== ref.run)
    throw new AppError(
      'invalid_state',
      `Run ${ref.run} of request ${ref.requestId} is stale (current run ${request.run})`,
    );
  return request;
}

/**
 * Which approval step comes after `afterStep` (-1 to start); `done` when none is left.
 */
export async function nextApprovalStep(
  deps: Pick<ApprovalServices, 'db'>,
  input: StepRef & { afterStep: number },
): Promise<NextStep> {
  return withTenant(deps.db, { orgId: input.orgId }, async (tx) => {
    const request = await loadRequest(tx, input, { forUpdate: true });
    const workflow = await resolveWorkflow(tx, request);
    const compliance = (request.compliance ?? null) as { decision?: string } | null;
    const next = nextStep(workflow, input.afterStep, compliance);
    // When every step approved, the request stays `awaiting_approval`: Publish moves it on (and
    // closes the timeline step). Only an auto-approval skips the wait entirely.
    if (next.done && next.autoApproved) {
      await store.moveRequest(tx, request.id, request.run, fromWhere('approved'), 'approved');
      await audit(tx, systemActor(input.orgId, 'compliance'), {
        action: 'approval.auto_approved',
        resourceType: 'content_request',
        resourceId: request.id,
        details: { workflow: workflow.name, run: request.run },
      });
    }
    return next;
  });
}

export interface WaitInput extends StepRef {
  stepIndex: number;
  phase: 'initial' | 'escalated';
  /** $$.Task.Token: encrypted into content_approvals, never logged or sent anywhere. */
  taskToken: string;
}

/**
 * The `.waitForTaskToken` task of a step: stores the task token, works out who answers, issues
 * one link per approver and queues their emails. If the step was decided before (a re-driven
 * wait), it fails with `Approval.AlreadyDecided` and the state machine reads the answer.
 */
export async function beginStepWait(
  deps: ApprovalServices,
  input: WaitInput,
): Promise<{ approvalId: string; notified: number; alreadyDecided: boolean }> {
  if (typeof input.taskToken !== 'string' || input.taskToken.length < 8)
    throw new AppError('validation_failed', 'the wait task needs its task token');
  const now = new Date(deps.clock.now());
  const r = await withTenant(deps.db, { orgId: input.orgId }, async (tx) => {
    const request = await loadRequest(tx, input, { forUpdate: true });
    if (!['rendering', 'awaiting_approval'].includes(request.status)) {
      throw new AppError('invalid_state', `Request ${request.id} is ${request.status}; it cannot wait for approval`);
    }
    const workflow = await resolveWorkflow(tx, request);
    const step = stepOf(workflow, input.stepIndex);
    const variants = await store.listVariants(tx, request.id, request.platforms);
    if (!variants.length)
      throw new AppError('invalid_state', 'Nothing to review: the request has no rendered variants');
    const checksums = checksumsOf(variants);
    const deadline = new Date(now.getTime() + stepTimeoutSeconds(step) * 1000);
    const remindAt =
      step.reminderHours && step.reminderHours < step.deadlineHours
        ? new Date(now.getTime() + step.reminderHours * 3600_000)
        : null;

    await store.insertApprovalIfMissing(tx, {
      organizationId: input.orgId,
      requestId: request.id,
      run: input.run,
      stepIndex: input.stepIndex,
      stepName: step.name,
      quorum: step.quorum,
      variantChecksums: checksums,
      phase: 'initial',
      approverIds: [],
      dueAt: deadline,
      remindAt,
    });
    let approval = (await store.lockApprovalByStep(tx, request.id, input.run, input.stepIndex))!;
    const taskTokenEnc = await deps.secrets.encrypt(input.taskToken, tokenContext(input.orgId, approval.id));
    if (approval.status !== 'pending') {
      await store.updateApproval(tx, approval.id, { taskTokenEnc, callbackSentAt: null });
      return { approvalId: approval.id, notified: 0, alreadyDecided: true };
    }

    const members = await store.listMembers(tx);
    // The escalate task normally switches the phase; a re-driven escalated wait must not skip it.
    const escalate = input.phase === 'escalated' && approval.phase !== 'escalated';
    if (escalate) await store.revokeLinks(tx, approval.id, now);
    const set: Parameters<typeof store.updateApproval>[2] = {
      ...(escalate ? escalation(approval, step, members, request.requestedBy, now) : {}),
      taskTokenEnc,
      callbackSentAt: null,
    };
    let voters = (set.approverIds as string[] | undefined) ?? approval.approverIds;
    if (!voters.length) {
      voters = votersFor(step, 'initial', members, request.requestedBy).map((m) => m.userId);
      // Nobody but the creator can approve: go straight to the escalation target rather than stall.
      if (!voters.length) voters = escalationTargets(step, members, request.requestedBy).map((m) => m.userId);
      if (!voters.length)
        throw new AppError(
          'invalid_state',
          `Nobody can approve step "${step.name}": no active member other than the creator matches its approvers or escalation target`,
        );
      set.approverIds = voters;
    }
    if (!sameChecksums(approval.variantChecksums, checksums)) {
      // Variants were re-rendered within this run: earlier links are refused; new ones go out.
      set.variantChecksums = checksums;
      await store.revokeLinks(tx, approval.id, now);
    }
    await store.updateApproval(tx, approval.id, set);
    approval = { ...approval, ...set } as store.ApprovalRow;
    await store.moveRequest(tx, request.id, request.run, fromWhere('awaiting_approval'), 'awaiting_approval');
    await store.openApprovalTimeline(tx, input.orgId, request.id, request.run);

    const decided = new Set((await store.listDecisions(tx, [approval.id])).map((d) => d.approverId));
    const brand = await store.getBrand(tx, request.brandId);
    let notified = 0;
    for (const userId of voters) {
      const approver = members.find((m) => m.userId === userId);
      if (!approver || decided.has(userId)) continue;
      const sent = await issueLink(tx, deps, {
        approval,
        approver,
        request,
        brandName: brand?.name ?? 'your brand',
        stepCount: workflow.steps.length,
        reason: approval.phase === 'escalated' ? 'escalated' : 'initial',
        now,
      });
      if (sent) notified++;
    }
    return { approvalId: approval.id, notified, alreadyDecided: false };
  });
  // Workflow functions hold no states:SendTask* grant: the state machine catches this error and
  // reads the recorded answer instead ("Read step decision").
  if (r.alreadyDecided) throw new StepAlreadyDecided(r.approvalId);
  return r;
}

/** The step was decided before this wait started (a re-driven or retried wait task). */
export class StepAlreadyDecided extends Error {
  constructor(readonly approvalId: string) {
    super('this approval step was already decided');
    this.name = STEP_ALREADY_DECIDED;
  }
}
export const STEP_ALREADY_DECIDED = 'Approval.AlreadyDecided';

/** The recorded answer of a decided step ("Read step decision"). */
export async function readStepDecision(
  deps: Pick<ApprovalServices, 'db'>,
  input: StepRef & { stepIndex: number },
): Promise<StepAnswer> {
  return withTenant(deps.db, { orgId: input.orgId }, async (tx) => {
    await loadRequest(tx, input);
    const approval = await store.lockApprovalByStep(tx, input.requestId, input.run, input.stepIndex);
    const answer = approval && answerFor(approval);
    if (!answer) throw new AppError('invalid_state', `Approval step ${input.stepIndex + 1} is not decided`);
    return answer;
  });
}

/** Phase switch of an escalated step: the escalation target answers alone, by a fresh deadline. */
function escalation(
  _approval: store.ApprovalRow,
  step: ReturnType<typeof stepOf>,
  members: Awaited<ReturnType<typeof store.listMembers>>,
  creatorId: string,
  now: Date,
) {
  const targets = escalationTargets(step, members, creatorId).map((m) => m.userId);
  return {
    phase: 'escalated',
    escalatedAt: now,
    approverIds: targets,
    dueAt: new Date(now.getTime() + stepTimeoutSeconds(step) * 1000),
    remindAt: null,
    taskTokenEnc: null,
  } satisfies Partial<store.ApprovalRow>;
}

export type StepCheck = StepAnswer | { decision: 'pending'; stepIndex: number; approvalId: string };

/** What every audit entry about a deadline names: the step and the run it belongs to. */
const stepDetails = (approval: store.ApprovalRow) => ({
  approvalId: approval.id,
  step: approval.stepName,
  stepIndex: approval.stepIndex,
  run: approval.run,
});

/**
 * The step's time is up: it closes as expired (its links stop working), the audit log says so in
 * the same transaction, and the state machine gets the rejection.
 */
async function expireNow(
  tx: Tx,
  orgId: string,
  approval: store.ApprovalRow,
  request: store.RequestRow,
  now: Date,
  why: Record<string, unknown> = {},
): Promise<StepAnswer> {
  await closeStep(tx, approval, request, 'expired', EXPIRED_REASON, now);
  await audit(tx, systemActor(orgId, 'deadline'), {
    action: 'approval.expired',
    resourceType: 'content_request',
    resourceId: request.id,
    details: { ...stepDetails(approval), ...why },
  });
  return { decision: 'rejected', reason: EXPIRED_REASON, stepIndex: approval.stepIndex, approvalId: approval.id };
}

/**
 * Runs a deadline task with the request and its started approval step both locked (a step never
 * started is a state error). A step decided in the meantime answers with its decision instead:
 * the state machine routes on it, and `act` does not run.
 */
async function atDeadline<T>(
  deps: ApprovalServices,
  input: StepRef & { stepIndex: number },
  act: (tx: Tx, request: store.RequestRow, approval: store.ApprovalRow, now: Date) => Promise<T>,
): Promise<T | StepAnswer> {
  const now = new Date(deps.clock.now());
  return withTenant(deps.db, { orgId: input.orgId }, async (tx) => {
    const request = await loadRequest(tx, input, { forUpdate: true });
    const approval = await store.lockApprovalByStep(tx, request.id, input.run, input.stepIndex);
    if (!approval)
      throw new AppError(
        'invalid_state',
        `Approval step ${input.stepIndex + 1} of request ${request.id} was never started`,
      );
    return answerFor(approval) ?? act(tx, request, approval, now);
  });
}

/**
 * The step's deadline passed (States.Timeout): every earlier link stops working and the escalation
 * target becomes the only approver. If the step got decided in the meantime, that answer is
 * returned instead (the state machine routes on it).
 */
export async function escalateStep(deps: ApprovalServices, input: StepRef & { stepIndex: number }): Promise<StepCheck> {
  return atDeadline(deps, input, async (tx, request, approval, now): Promise<StepCheck> => {
    if (approval.phase === 'escalated')
      return { decision: 'pending', stepIndex: approval.stepIndex, approvalId: approval.id };
    const workflow = await resolveWorkflow(tx, request);
    const step = stepOf(workflow, input.stepIndex);
    const members = await store.listMembers(tx);
    const set = escalation(approval, step, members, request.requestedBy, now);
    if (!set.approverIds.length) {
      // Nobody to escalate to: the step expires now instead of waiting a second deadline for no one.
      return expireNow(tx, input.orgId, approval, request, now, { why: 'no escalation target' });
    }
    const revoked = await store.revokeLinks(tx, approval.id, now);
    await store.updateApproval(tx, approval.id, set);
    await audit(tx, systemActor(input.orgId, 'deadline'), {
      action: 'approval.escalated',
      resourceType: 'content_request',
      resourceId: request.id,
      details: { ...stepDetails(approval), to: set.approverIds, linksRevoked: revoked },
    });
    // An escalation target who had already approved in the first phase may complete the step now.
    const escalated = { ...approval, ...set } as store.ApprovalRow;
    const decisions = (await store.listDecisions(tx, [approval.id])).filter((d) =>
      set.approverIds.includes(d.approverId),
    );
    const outcome = stepOutcome(
      effectiveQuorum(escalated),
      set.approverIds.length,
      decisions.map((d) => ({ decision: d.decision as DecisionKind })),
    );
    if (
      outcome &&
      (await closeStep(
        tx,
        escalated,
        request,
        outcome,
        decisions.find((d) => d.decision !== 'approve')?.comment ?? null,
        now,
      ))
    ) {
      return answerFor({ ...escalated, status: outcome, outcomeReason: null })!;
    }
    return { decision: 'pending', stepIndex: approval.stepIndex, approvalId: approval.id };
  });
}

/**
 * The escalated deadline passed too: the step expires, its links stop working and the request
 * ends `rejected` with the reason "approval expired" (nobody approved it in time; it is not a
 * system failure, and a retry re-drives it as a new run).
 */
export async function expireStep(deps: ApprovalServices, input: StepRef & { stepIndex: number }): Promise<StepAnswer> {
  return atDeadline(deps, input, (tx, request, approval, now) => expireNow(tx, input.orgId, approval, request, now));
}
