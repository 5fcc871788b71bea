/**
 * The approval loop, as a chainable for the content workflow's approval stage (JSONPath only):
 *
 *   Start approvals -> Next approval step -> More approval steps? -- done --> Publish
 *     Await approval (task token; TimeoutSecondsPath = the step's deadline)
 *       -> Step decision: approved -> Next approval step | otherwise -> Record rejection
 *       -- States.Timeout --> Escalate approval step
 *            -> pending: Await escalated approval -- States.Timeout --> Expire approval step -> Step decision
 *            -> already decided: Step decision
 *       -- Approval.AlreadyDecided (a re-driven wait) --> Read step decision -> Step decision
 *
 * One Lambda (functions/handlers/workflow/approval-step.ts) serves every state, told what to do by
 * `action`. The wait states resume on SendTaskSuccess with {decision, reason?} from the function
 * that records decisions (the review links / the approvals API).
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { ApprovalStageBuilder } from './approval-stage.js';

export const APPROVAL_STEP_HANDLER = 'functions/handlers/workflow/approval-step.ts';
/** Raised by the wait task when the step was decided before it started (a re-driven wait). */
export const STEP_ALREADY_DECIDED = 'Approval.AlreadyDecided';

/** Where the loop keeps its cursor in the execution state. */
const STEP = '$.approvalStep';

export function approvalSteps(fn: lambda.IFunction, entry: string = APPROVAL_STEP_HANDLER): ApprovalStageBuilder {
  return (scope, ctx) => {
    const stepIndex = sfn.JsonPath.numberAt(`${STEP}.stepIndex`);
    const act = (action: string, extra: Record<string, unknown> = {}) => ({ action, stepIndex, ...extra });

    const start = new sfn.Pass(scope, 'Start approvals', {
      result: sfn.Result.fromObject({ stepIndex: -1 }),
      resultPath: STEP,
    });
    const next = ctx.task('Next approval step', fn, entry, {
      payload: { action: 'next', afterStep: stepIndex },
      resultPath: STEP,
    });
    const decision = new sfn.Choice(scope, 'Step decision');
    const check = ctx.task('Read step decision', fn, entry, { payload: act('check'), resultPath: '$.approval' });
    const expire = ctx.task('Expire approval step', fn, entry, { payload: act('expire'), resultPath: '$.approval' });
    const wait = (name: string, phase: 'initial' | 'escalated', onTimeout: sfn.IChainable) =>
      ctx.task(name, fn, entry, {
        waitForTaskToken: true,
        payload: act('wait', { phase, timeoutSeconds: sfn.JsonPath.numberAt(`${STEP}.timeoutSeconds`) }),
        resultPath: '$.approval',
        // The step's deadline, from the state input (`Next approval step` computed it from the workflow).
        timeoutPath: `${STEP}.timeoutSeconds`,
        catches: [
          { errors: [sfn.Errors.TIMEOUT], next: onTimeout, resultPath: '$.approvalTimeout' },
          { errors: [STEP_ALREADY_DECIDED], next: check, resultPath: '$.approvalTimeout' },
        ],
      });
    const awaitEscalated = wait('Await escalated approval', 'escalated', expire);
    const escalate = ctx.task('Escalate approval step', fn, entry, {
      payload: act('escalate'),
      resultPath: '$.approval',
    });
    const awaitDecision = wait('Await approval', 'initial', escalate);

    start.next(next);
    next.next(
      new sfn.Choice(scope, 'More approval steps?')
        .when(sfn.Condition.booleanEquals(`${STEP}.done`, true), ctx.publish)
        .otherwise(awaitDecision),
    );
    awaitDecision.next(decision);
    escalate.next(
      new sfn.Choice(scope, 'Escalated?')
        .when(sfn.Condition.stringEquals('$.approval.decision', 'pending'), awaitEscalated)
        .otherwise(decision),
    );
    awaitEscalated.next(decision);
    expire.next(decision);
    check.next(decision);
    decision.when(sfn.Condition.stringEquals('$.approval.decision', 'approved'), next).otherwise(ctx.reject);
    return start;
  };
}
