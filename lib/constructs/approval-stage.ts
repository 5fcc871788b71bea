/**
 * The seam between the content workflow and its approval stage: what a stage builder receives and
 * returns. Its own module so that the workflow (which calls a builder) and the builders (the
 * approval loop of approval-steps.ts, a test's stand-in) both depend on it and not on each other.
 */
import type { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** What the approval stage builder gets from the workflow. */
export interface ApprovalStageContext {
  /** Where an approved request goes ("Publish"). */
  readonly publish: sfn.IChainable;
  /**
   * Records a rejection / change request and ends the execution. Reads `$.approval.decision`
   * ('rejected' | 'changes_requested') and `$.approval.reason` when present.
   */
  readonly reject: sfn.IChainable;
  /**
   * Creates a Lambda task with the workflow's defaults (timeout from the function's, Transient.*
   * retries, Catch -> Record failure) and registers `entry` for the local runner. With
   * `waitForTaskToken`, the payload gets `taskToken` ($$.Task.Token) and the state waits for
   * SendTaskSuccess/Failure.
   */
  task(
    stateName: string,
    fn: lambda.IFunction,
    entry: string,
    opts?: {
      waitForTaskToken?: boolean;
      /** Extra payload fields (JSONPath values allowed); the request ref is always included. */
      payload?: Record<string, unknown>;
      /** Where the result goes (default `$.result`; token waits `$.approval`). */
      resultPath?: string;
      /**
       * The state's timeout. Default: the function's timeout + STATE_TIMEOUT_MARGIN; for a token
       * wait (the human's deadline), `taskTimeout`. Must outlast the function's timeout.
       */
      timeout?: Duration;
      /** Dynamic timeout: a path in the state input (TimeoutSecondsPath); wins over `timeout`. */
      timeoutPath?: string;
      /** Catchers placed before the catch-all "Record failure" (e.g. States.Timeout -> escalate). */
      catches?: { errors: string[]; next: sfn.IChainable; resultPath?: string }[];
    },
  ): tasks.LambdaInvoke;
}

/**
 * Builds the approval stage entered when "Decide" routes to approval. It must end in
 * `ctx.publish` or `ctx.reject`. The default is the approval loop of approval-steps.ts on
 * `tasks.awaitApproval`, whose waits resume on SendTaskSuccess with `{decision, reason?}`.
 */
export type ApprovalStageBuilder = (scope: Construct, ctx: ApprovalStageContext) => sfn.IChainable;
