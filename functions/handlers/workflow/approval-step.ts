/**
 * Workflow task "approvalStep": every state of the approval loop (lib/constructs/approval-steps.ts)
 * runs this one handler, told what to do by `action`:
 *   next     -> which step comes next ({done, stepIndex, timeoutSeconds, ...})
 *   wait     -> the `.waitForTaskToken` task: store the token, issue links, queue emails
 *   escalate -> the deadline passed: links revoked, escalation target becomes the approver
 *   expire   -> the escalated deadline passed too: the request ends rejected ("approval expired")
 *   check    -> the recorded answer of an already decided step (after Approval.AlreadyDecided)
 * The task token is never logged: failures log the request id and the error only.
 */
import { z } from 'zod';
import { approvalServices } from '../../handlers/composition/approvals.js';
import {
  beginStepWait,
  escalateStep,
  expireStep,
  nextApprovalStep,
  readStepDecision,
} from '../../app/approvals/step-tasks.js';
import { refSchema, workflowTask } from './task.js';

const stepIndex = z.number().int().min(0).max(20);
export const approvalStepInput = z.discriminatedUnion('action', [
  refSchema.extend({ action: z.literal('next'), afterStep: z.number().int().min(-1).max(20) }),
  refSchema.extend({
    action: z.literal('wait'),
    stepIndex,
    phase: z.enum(['initial', 'escalated']),
    taskToken: z.string().min(8).max(2048),
    timeoutSeconds: z.number().int().min(1).optional(),
  }),
  refSchema.extend({ action: z.literal('escalate'), stepIndex }),
  refSchema.extend({ action: z.literal('expire'), stepIndex }),
  refSchema.extend({ action: z.literal('check'), stepIndex }),
]);

export const handler = workflowTask('approvalStep', approvalStepInput, async (_deps, input) => {
  const deps = approvalServices();
  const ref = { orgId: input.orgId, requestId: input.requestId, run: input.run };
  switch (input.action) {
    case 'next':
      return nextApprovalStep(deps, { ...ref, afterStep: input.afterStep });
    case 'wait': {
      const r = await beginStepWait(deps, {
        ...ref,
        stepIndex: input.stepIndex,
        phase: input.phase,
        taskToken: input.taskToken,
      });
      return { approvalId: r.approvalId, notified: r.notified };
    }
    case 'escalate':
      return escalateStep(deps, { ...ref, stepIndex: input.stepIndex });
    case 'expire':
      return expireStep(deps, { ...ref, stepIndex: input.stepIndex });
    case 'check':
      return readStepDecision(deps, { ...ref, stepIndex: input.stepIndex });
  }
});
