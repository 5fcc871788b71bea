/**
 * What an approver may submit, and what it does to the step.
 */
import { z } from 'zod';
import { stepOutcome, type DecisionKind, type Quorum, type StepOutcome } from './quorum.js';

/** The review form, as posted (application/x-www-form-urlencoded, all strings). */
export const reviewFormSchema = z
  .strictObject({
    decision: z.enum(['approve', 'reject', 'request_changes', 'delegate']),
    /** The approval (step) the page was rendered for; must match the link's. */
    approval: z.string().uuid(),
    form_token: z.string().min(1).max(200),
    comment: z
      .string()
      .max(2000)
      .optional()
      .transform((s) => s?.trim() || undefined),
    delegate_to: z
      .string()
      .optional()
      .transform((s) => s?.trim() || undefined),
  })
  .superRefine((v, ctx) => {
    if (v.decision === 'reject' && !v.comment)
      ctx.addIssue({ code: 'custom', path: ['comment'], message: 'Say why you reject (a reason is required)' });
    if (v.decision === 'request_changes' && !v.comment)
      ctx.addIssue({ code: 'custom', path: ['comment'], message: 'Describe the changes you need' });
    if (v.decision === 'delegate') {
      if (!v.delegate_to)
        ctx.addIssue({ code: 'custom', path: ['delegate_to'], message: 'Pick who should review instead of you' });
      else if (!z.string().uuid().safeParse(v.delegate_to).success)
        ctx.addIssue({ code: 'custom', path: ['delegate_to'], message: 'Pick a member of your organization' });
    }
  });
export type ReviewForm = z.infer<typeof reviewFormSchema>;

/** A decision through the signed-in API (validated by the route's schema; same rules as the form). */
export interface ApiDecision {
  decision: DecisionKind;
  comment?: string;
  delegateTo?: string;
}

export interface RecordedDecision {
  approverId: string;
  decision: DecisionKind;
  delegatedTo?: string | null;
}

/**
 * The step outcome after adding `next` to `existing`. Escalated steps are answered by the
 * escalation target alone, so one answer decides them.
 */
export function outcomeAfter(input: {
  quorum: Quorum;
  escalated: boolean;
  voters: number;
  existing: readonly RecordedDecision[];
  next: RecordedDecision;
}): StepOutcome | null {
  const all = [...input.existing, input.next];
  const quorum: Quorum = input.escalated ? { type: 'any' } : input.quorum;
  return stepOutcome(quorum, input.voters, all);
}

/** Request status a step outcome leads to (approved steps continue: the workflow decides). */
export function requestStatusFor(outcome: StepOutcome | 'expired'): 'rejected' | 'changes_requested' | null {
  if (outcome === 'rejected' || outcome === 'expired') return 'rejected';
  if (outcome === 'changes_requested') return 'changes_requested';
  return null;
}

/** Why an expired step ends the request: 'rejected' with this reason (nobody approved in time). */
export const EXPIRED_REASON = 'approval expired';

/** Audit action per decision. */
export const auditActionFor: Record<DecisionKind, string> = {
  approve: 'approval.approved',
  reject: 'approval.rejected',
  request_changes: 'approval.changes_requested',
  delegate: 'approval.delegated',
};
