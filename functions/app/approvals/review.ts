/**
 * Review links: GET shows the review page (never decides: mail scanners open links), POST decides.
 *
 * Order of checks on POST, cheapest and least revealing first: Origin -> token shape -> token
 * lookup -> form token (rendered for this very link) -> the form names this link's step -> link
 * state (used, expired, revoked, step decided, variants changed) -> eligibility (not the creator,
 * still an active member holding a vote) -> the form fields -> the decision, recorded under the
 * unique constraint -> callback after commit.
 */
import { withTenant, type Tx } from '../../adapters/db/client.js';
import * as store from '../../adapters/approvals/approval-store.js';
import { reviewFormSchema } from '../../domain/approvals/decision.js';
import { currentVoters } from '../../domain/approvals/eligibility.js';
import {
  hashLinkToken,
  isWellFormedLinkToken,
  issueFormToken,
  linkRefusal,
  originAllowed,
  verifyFormToken,
  type LinkRefusal,
} from '../../domain/approvals/link-token.js';
import { checksumsOf } from '../../domain/approvals/manifest.js';
import { describeQuorum, type DecisionKind } from '../../domain/approvals/quorum.js';
import type { FieldProblem } from '../../shared/errors.js';
import { zodFields } from '../../shared/http/problem.js';
import { audit, type ActorContext } from '../audit.js';
import {
  applyDecision,
  DecisionConflict,
  effectiveQuorum,
  resolveWorkflow,
  sendStepCallback,
  type DecisionRefusal,
} from './engine.js';
import type { ApprovalServices } from './deps.js';

/** Presigned image URLs on the page live this long. */
export const REVIEW_URL_TTL_SECONDS = 900;

export type RefusalReason = LinkRefusal | DecisionRefusal | 'invalid' | 'cross_origin' | 'stale_form' | 'wrong_step';

export interface VariantView {
  platform: string;
  width: number;
  height: number;
  format: string;
  bytes: number;
  url: string;
  complianceScore: number | null;
  complianceDecision: string | null;
  findings: FindingView[];
  /** What the renderer changed on its own (band extended, opacity raised, colour switched, plate added). */
  adjustments: AdjustmentView[];
}
export interface AdjustmentView {
  kind: string;
  slot: string | null;
  reason: string;
}
export interface FindingView {
  check: string;
  severity: string;
  message: string;
  passed?: boolean;
}
export interface HistoryStep {
  stepIndex: number;
  stepName: string;
  status: string;
  phase: string;
  decidedAt: Date | null;
  outcomeReason: string | null;
  decisions: { who: string; decision: DecisionKind; comment: string | null; at: Date; delegateName: string | null }[];
}

export interface ReviewView {
  kind: 'review';
  approvalId: string;
  formToken: string;
  approverName: string;
  brandName: string;
  request: {
    id: string;
    headline: string;
    body?: string;
    callToAction?: string;
    hashtags: string[];
    platforms: string[];
    createdAt: Date;
    creatorName: string;
  };
  step: { index: number; name: string; count: number; quorumText: string; dueAt: Date | null; escalated: boolean };
  variants: VariantView[];
  compliance: { score: number | null; decision: string | null; findings: FindingView[] };
  history: HistoryStep[];
  delegates: { userId: string; name: string; role: string }[];
  errors?: FieldProblem[];
  values?: { decision?: string; comment?: string; delegate_to?: string };
}

export interface UsedView {
  kind: 'used';
  decision: DecisionKind | null;
  decidedAt: Date | null;
  headline: string;
  stepName: string;
}
export interface RefusedView {
  kind: 'refused';
  reason: RefusalReason;
  status: number;
}
export interface DoneView {
  kind: 'done';
  decision: DecisionKind;
  stepOutcome: string | null;
  headline: string;
  stepName: string;
  delegateName?: string;
  /** Still waiting for other approvers of this step. */
  waitingForOthers: boolean;
}

export type ReviewPage = ReviewView | UsedView | RefusedView | DoneView;

const REFUSAL_STATUS: Record<RefusalReason, number> = {
  invalid: 404,
  used: 410,
  expired: 410,
  revoked: 410,
  decided: 409,
  request_closed: 409,
  variants_changed: 409,
  cross_origin: 403,
  stale_form: 403,
  wrong_step: 403,
  own_request: 403,
  not_approver: 403,
  already_decided: 409,
  step_closed: 409,
  self: 400,
  not_member: 400,
  creator: 400,
  already_approver: 400,
};
const refused = (reason: RefusalReason): RefusedView => ({ kind: 'refused', reason, status: REFUSAL_STATUS[reason] });

export interface LinkRequestMeta {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

const linkActor = (orgId: string, approverId: string, meta: LinkRequestMeta): ActorContext => ({
  orgId,
  userId: approverId,
  actor: `link:${approverId}`,
  requestId: meta.requestId ?? null,
  ip: meta.ip ?? null,
  userAgent: meta.userAgent ?? null,
});

interface Resolved {
  orgId: string;
  linkId: string;
}
async function resolveToken(deps: Pick<ApprovalServices, 'db'>, token: string): Promise<Resolved | undefined> {
  if (!isWellFormedLinkToken(token)) return undefined;
  return store.findLinkByHash(deps.db, hashLinkToken(token));
}

interface Loaded {
  link: store.LinkRow;
  approval: store.ApprovalRow;
  request: store.RequestRow;
  members: Awaited<ReturnType<typeof store.listMembers>>;
  variants: Awaited<ReturnType<typeof store.listVariants>>;
}

async function load(tx: Tx, linkId: string, lock: boolean): Promise<Loaded | undefined> {
  const unlocked = await store.getLink(tx, linkId);
  if (!unlocked) return undefined;
  let link = unlocked;
  const first = await store.getApproval(tx, link.approvalId);
  if (!first) return undefined;
  // Lock order everywhere: request, step, links (the deadline tasks do the same: no deadlocks).
  const request = await store.getRequest(tx, first.requestId, { forUpdate: lock });
  if (!request) return undefined;
  const approval = lock ? await store.lockApproval(tx, link.approvalId) : first;
  if (!approval) return undefined;
  if (lock) link = (await store.getLink(tx, linkId, { forUpdate: true }))!;
  return {
    link,
    approval,
    request,
    members: await store.listMembers(tx),
    variants: await store.listVariants(tx, request.id, request.platforms),
  };
}

function stateRefusal(l: Loaded, now: Date): LinkRefusal | null {
  return linkRefusal(l.link, {
    now,
    stepStatus: l.approval.status,
    requestOpen: l.request.status === 'awaiting_approval' && l.request.run === l.approval.run,
    currentChecksums: checksumsOf(l.variants),
  });
}

async function usedView(tx: Tx, l: Loaded): Promise<UsedView> {
  const mine = (await store.listDecisions(tx, [l.approval.id])).find((d) => d.approverId === l.link.approverId);
  return {
    kind: 'used',
    decision: (mine?.decision as DecisionKind) ?? null,
    decidedAt: mine?.createdAt ?? l.link.usedAt,
    headline: l.request.brief.headline,
    stepName: l.approval.stepName,
  };
}

/** GET /review/{token}: the review page, or why the link cannot be used. Audited either way. */
export async function viewReview(
  deps: ApprovalServices,
  token: string,
  meta: LinkRequestMeta = {},
): Promise<ReviewPage> {
  const found = await resolveToken(deps, token);
  if (!found) return refused('invalid');
  const now = new Date(deps.clock.now());
  return withTenant(deps.db, { orgId: found.orgId }, async (tx) => {
    const l = await load(tx, found.linkId, false);
    if (!l) return refused('invalid');
    const actor = linkActor(found.orgId, l.link.approverId, meta);
    const auditView = (result: string) =>
      audit(tx, actor, {
        action: 'approval.viewed',
        resourceType: 'content_request',
        resourceId: l.request.id,
        details: { approvalId: l.approval.id, linkId: l.link.id, step: l.approval.stepName, result },
      });
    if (l.link.approverId === l.request.requestedBy) {
      await auditView('own_request');
      return refused('own_request');
    }
    const r = stateRefusal(l, now);
    if (r === 'used') {
      await auditView('used');
      return usedView(tx, l);
    }
    if (r) {
      await auditView(r);
      return refused(r);
    }
    await auditView('shown');
    return buildReviewView(tx, deps, l, token, now);
  });
}

async function buildReviewView(
  tx: Tx,
  deps: Pick<ApprovalServices, 'store'>,
  l: Loaded,
  token: string,
  now: Date,
  extra: Pick<ReviewView, 'errors' | 'values'> = {},
): Promise<ReviewView> {
  const { link, approval, request, members, variants } = l;
  const workflow = await resolveWorkflow(tx, request);
  const brand = await store.getBrand(tx, request.brandId);
  const steps = await store.listApprovals(tx, request.id, approval.run);
  const decisions = await store.listDecisions(
    tx,
    steps.map((s) => s.id),
  );
  const approver = members.find((m) => m.userId === link.approverId);
  const creator = members.find((m) => m.userId === request.requestedBy);
  const compliance = (request.compliance ?? {}) as { score?: number; decision?: string; findings?: unknown[] };
  const urls = await Promise.all(variants.map((v) => deps.store.presignGet(v.key, REVIEW_URL_TTL_SECONDS)));
  const voters = currentVoters(approval.approverIds, []);
  return {
    kind: 'review',
    approvalId: approval.id,
    formToken: issueFormToken(token, link.id, now),
    approverName: approver?.displayName ?? 'Reviewer',
    brandName: brand?.name ?? 'Brand',
    request: {
      id: request.id,
      headline: request.brief.headline,
      body: request.brief.body,
      callToAction: request.brief.callToAction,
      hashtags: request.brief.hashtags ?? [],
      platforms: request.platforms,
      createdAt: request.createdAt,
      creatorName: creator?.displayName ?? 'a former member',
    },
    step: {
      index: approval.stepIndex,
      name: approval.stepName,
      count: workflow.steps.length,
      quorumText: describeQuorum(effectiveQuorum(approval), voters.length),
      dueAt: approval.dueAt,
      escalated: approval.phase === 'escalated',
    },
    variants: variants.map((v, i) => ({
      platform: v.platform,
      width: v.width,
      height: v.height,
      format: v.format,
      bytes: v.bytes,
      url: urls[i],
      complianceScore: v.complianceScore,
      complianceDecision: v.complianceDecision,
      findings: findingsOf(v.findings),
      adjustments: adjustmentsOf(v.adjustments),
    })),
    compliance: {
      score: typeof compliance.score === 'number' ? compliance.score : null,
      decision: compliance.decision ?? null,
      findings: findingsOf(compliance.findings),
    },
    history: steps
      .filter((s) => s.stepIndex < approval.stepIndex || s.id === approval.id)
      .map((s) => ({
        stepIndex: s.stepIndex,
        stepName: s.stepName,
        status: s.status,
        phase: s.phase,
        decidedAt: s.decidedAt,
        outcomeReason: s.outcomeReason,
        decisions: decisions
          .filter((d) => d.approvalId === s.id)
          .map((d) => ({
            who: d.approverName,
            decision: d.decision as DecisionKind,
            comment: d.comment,
            at: d.createdAt,
            delegateName: d.delegateName,
          })),
      })),
    delegates: members
      .filter(
        (m) =>
          m.status === 'active' &&
          m.userId !== link.approverId &&
          m.userId !== request.requestedBy &&
          !approval.approverIds.includes(m.userId),
      )
      .map((m) => ({ userId: m.userId, name: m.displayName, role: m.role })),
    ...extra,
  };
}

/** Adjustments come from the renderer (asset_variants.adjustments); shown defensively whatever their shape. */
function adjustmentsOf(raw: unknown): AdjustmentView[] {
  if (!Array.isArray(raw)) return [];
  return raw.slice(0, 20).map((a) => {
    const o = (a ?? {}) as Record<string, unknown>;
    return {
      kind: String(o.kind ?? 'adjustment'),
      slot: typeof o.slot === 'string' ? o.slot : null,
      reason: String(o.reason ?? '').slice(0, 500),
    };
  });
}

/** Compliance findings come from the compliance engine; shown defensively whatever their shape. */
function findingsOf(raw: unknown): FindingView[] {
  if (!Array.isArray(raw)) return [];
  return raw.slice(0, 50).map((f) => {
    const o = (f ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
    return {
      check: str(o.check ?? o.id ?? o.rule ?? 'check'),
      severity: str(o.severity ?? o.level ?? (o.passed === false ? 'fail' : o.passed === true ? 'pass' : 'info')),
      message: str(o.message ?? o.detail ?? o.description ?? JSON.stringify(o)).slice(0, 500),
      passed: typeof o.passed === 'boolean' ? o.passed : undefined,
    };
  });
}

export interface DecideByLinkInput {
  token: string;
  form: Record<string, string | undefined>;
  origin?: string;
  secFetchSite?: string;
  meta?: LinkRequestMeta;
}

/** POST /review/{token}: records the decision, then answers the waiting task (after commit). */
export async function decideByLink(deps: ApprovalServices, input: DecideByLinkInput): Promise<ReviewPage> {
  if (!originAllowed({ origin: input.origin, secFetchSite: input.secFetchSite }, deps.publicBaseUrl))
    return refused('cross_origin');
  const found = await resolveToken(deps, input.token);
  if (!found) return refused('invalid');
  const now = new Date(deps.clock.now());
  const meta = input.meta ?? {};
  let result: { page: ReviewPage; callback?: string };
  try {
    result = await withTenant(deps.db, { orgId: found.orgId }, async (tx) => {
      const l = await load(tx, found.linkId, true);
      if (!l) return { page: refused('invalid') };
      const actor = linkActor(found.orgId, l.link.approverId, meta);
      const refuse = async (reason: RefusalReason) => {
        await audit(tx, actor, {
          action: 'approval.link_refused',
          resourceType: 'content_request',
          resourceId: l.request.id,
          details: { approvalId: l.approval.id, linkId: l.link.id, reason },
        });
        return { page: refused(reason) };
      };
      if (!verifyFormToken(input.form.form_token ?? '', input.token, l.link.id, now)) return refuse('stale_form');
      // The form names the step it was rendered for: a link cannot act on any other request's step.
      if (input.form.approval !== l.approval.id) return refuse('wrong_step');
      if (l.link.approverId === l.request.requestedBy) return refuse('own_request');
      const state = stateRefusal(l, now);
      if (state === 'used') return { page: await usedView(tx, l) };
      if (state) return refuse(state);

      const parsed = reviewFormSchema.safeParse(input.form);
      if (!parsed.success) {
        return {
          page: await buildReviewView(tx, deps, l, input.token, now, {
            errors: zodFields(parsed.error),
            values: pick(input.form),
          }),
        };
      }
      const f = parsed.data;
      const r = await applyDecision(tx, deps, {
        approval: l.approval,
        request: l.request,
        members: l.members,
        approverId: l.link.approverId,
        decision: f.decision,
        comment: f.comment,
        delegateTo: f.delegate_to,
        actor,
        now,
        consumeLinkId: l.link.id,
      });
      if (!r.ok) {
        if (['self', 'not_member', 'creator', 'already_approver'].includes(r.refusal)) {
          const message: Record<string, string> = {
            self: 'You cannot delegate to yourself',
            not_member: 'Pick an active member of your organization',
            creator: 'The person who created this request cannot review it',
            already_approver: 'That person already reviews this step',
          };
          return {
            page: await buildReviewView(tx, deps, l, input.token, now, {
              errors: [{ path: 'delegate_to', message: message[r.refusal] }],
              values: pick(input.form),
            }),
          };
        }
        return refuse(r.refusal);
      }
      const page: DoneView = {
        kind: 'done',
        decision: f.decision,
        stepOutcome: r.outcome,
        headline: l.request.brief.headline,
        stepName: l.approval.stepName,
        delegateName: r.delegateName,
        waitingForOthers: f.decision === 'approve' && !r.outcome,
      };
      return { page, callback: r.closed ? l.approval.id : undefined };
    });
  } catch (e) {
    if (e instanceof DecisionConflict) return refused('already_decided');
    throw e;
  }
  if (result.callback) await sendStepCallback(deps, found.orgId, result.callback);
  return result.page;
}

const pick = (form: Record<string, string | undefined>) => ({
  decision: form.decision,
  comment: form.comment?.slice(0, 2000),
  delegate_to: form.delegate_to,
});
