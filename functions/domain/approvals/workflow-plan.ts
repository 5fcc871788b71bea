/**
 * Which workflow a request follows and which step comes next.
 *
 * The request's own workflow wins, then the brand's default; without either, one built-in step
 * ("Review": owners, admins and brand managers, any one of them) applies, so a fresh tenant still
 * gets a human look before anything is published.
 */
import { workflowStepsSchema, type WorkflowStep } from '../workflow-types.js';

export interface WorkflowLike {
  id: string | null;
  name: string;
  steps: WorkflowStep[];
  allowAutoApprove: boolean;
}

export const BUILTIN_WORKFLOW: WorkflowLike = {
  id: null,
  name: 'Built-in review',
  steps: workflowStepsSchema.parse([
    {
      name: 'Review',
      approvers: { roles: ['owner', 'admin', 'brand_manager'] },
      quorum: { type: 'any' },
      deadlineHours: 48,
    },
  ]),
  allowAutoApprove: false,
};

/** Seconds the Step Functions task waits for a decision (TimeoutSecondsPath needs an integer >= 1). */
export const stepTimeoutSeconds = (step: Pick<WorkflowStep, 'deadlineHours'>): number =>
  Math.max(1, Math.round(step.deadlineHours * 3600));

export type NextStep =
  | { done: false; stepIndex: number; stepName: string; timeoutSeconds: number; stepCount: number }
  | { done: true; stepCount: number; autoApproved: boolean };

/**
 * The step after `afterIndex` (-1 to start). A compliance auto-pass skips the whole workflow only
 * when the workflow allows auto-approval.
 */
export function nextStep(
  workflow: WorkflowLike,
  afterIndex: number,
  compliance: { decision?: string | null } | null,
): NextStep {
  const stepCount = workflow.steps.length;
  if (afterIndex < 0 && workflow.allowAutoApprove && compliance?.decision === 'pass')
    return { done: true, stepCount, autoApproved: true };
  const i = afterIndex + 1;
  if (i >= stepCount) return { done: true, stepCount, autoApproved: false };
  const step = workflow.steps[i];
  return { done: false, stepIndex: i, stepName: step.name, timeoutSeconds: stepTimeoutSeconds(step), stepCount };
}

/** May a compliance pass skip human approval under this workflow? */
export const mayAutoApprove = (
  workflow: Pick<WorkflowLike, 'allowAutoApprove'>,
  complianceDecision: string | null | undefined,
): boolean => workflow.allowAutoApprove && complianceDecision === 'pass';
