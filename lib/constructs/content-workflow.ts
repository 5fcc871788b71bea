/**
 * THE content workflow: the one Step Functions state machine definition, used by CDK in AWS and,
 * synthesized in-process, by the local runner (local/workflow/local-runner.ts).
 *
 *   Validate brief -> [brief rejected?] -> Source image -> Compose master -> Check compliance
 *   -> [master rejected?] -> Render variants (Map: Render variant = render + check) -> Decide
 *   -> auto_reject: Record rejection | auto_approve: Publish | approval: <approval stage> -> Publish
 *
 * JSONPath only (the local engine ignores JSONata). Payloads are {orgId, requestId, run}; the
 * request's state lives in PostgreSQL and S3. Tasks retry only on `Transient.*` errors (and
 * Lambda service exceptions) with full-jitter backoff, and a task whose function has reserved
 * concurrency retries a throttled invoke for longer (THROTTLE_RETRY); anything else is caught and
 * recorded on the request by "Record failure".
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.js';
import { TRANSIENT_ERROR_NAMES, type TaskName } from '../../functions/domain/pipeline.js';
import type { ApprovalStageBuilder, ApprovalStageContext } from './approval-stage.js';
import { APPROVAL_STEP_HANDLER, approvalSteps } from './approval-steps.js';

/**
 * Entry file (repo-relative) of each task's Lambda handler; each exports `handler`. The infra
 * creates one function per entry; the local runner imports the same files.
 */
export const TASK_HANDLERS: Record<TaskName, string> = {
  validateBrief: 'functions/handlers/workflow/validate-brief.ts',
  sourceImage: 'functions/handlers/workflow/source-image.ts',
  composeMaster: 'functions/handlers/workflow/compose-master.ts',
  checkMaster: 'functions/handlers/workflow/check-master.ts',
  renderVariant: 'functions/handlers/workflow/render-variant.ts',
  decide: 'functions/handlers/workflow/decide.ts',
  awaitApproval: APPROVAL_STEP_HANDLER,
  publish: 'functions/handlers/workflow/publish.ts',
  recordRejection: 'functions/handlers/workflow/record-rejection.ts',
  recordFailure: 'functions/handlers/workflow/record-failure.ts',
};

/** Metadata key on the state machine resource: state name -> handler entry (read by the local runner). */
export const LOCAL_HANDLERS_METADATA = 'svp:localHandlers';

/** A throttled invoke: the function's reserved concurrency (or the account's) is in use. */
export const LAMBDA_THROTTLED = 'Lambda.TooManyRequestsException';

/** Errors raised by the Lambda service itself (never by our code): always worth retrying. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  LAMBDA_THROTTLED,
];

/**
 * How a task whose function has reserved concurrency retries a throttled invoke, placed before the
 * transient retrier (Step Functions takes the first retrier that names the error). The reservation
 * is what queues a burst: behind Source image's, a 1,000-request burst waits as long as the Freepik
 * rate takes to pass it (~200 s), far longer than the transient retrier's ~2 minutes. 30 attempts
 * at 2 s x 1.5 capped at 60 s are ~23 minutes of delay ceilings (full jitter: about half of that
 * on average) before the request fails `task_failed`.
 */
export const THROTTLE_RETRY = {
  errors: [LAMBDA_THROTTLED],
  interval: Duration.seconds(2),
  backoffRate: 1.5,
  maxDelay: Duration.seconds(60),
  maxAttempts: 30,
  jitterStrategy: sfn.JitterType.FULL,
} as const satisfies sfn.RetryProps;

/**
 * How much longer a state waits than its Lambda may run. A synchronous invoke on a cold start
 * spends up to 10 s in the init phase before the handler's clock starts, plus the invoke's own
 * round trip; past that, the Lambda has ended (Sandbox.Timedout, with its own message) before the
 * state gives up, so a state never times out on work that is still running and would be repeated.
 */
export const STATE_TIMEOUT_MARGIN = Duration.seconds(15);

/** Lambda's timeout when a function sets none. */
const LAMBDA_DEFAULT_TIMEOUT = Duration.seconds(3);

/** A function's Lambda timeout; undefined when this app cannot see it (a function imported by ARN). */
export function lambdaTimeoutOf(fn: lambda.IFunction): Duration | undefined {
  return fn instanceof lambda.Function ? (fn.timeout ?? LAMBDA_DEFAULT_TIMEOUT) : undefined;
}

/** A function's reserved concurrency; undefined when it has none or this app cannot see it. */
export function reservedConcurrencyOf(fn: lambda.IFunction): number | undefined {
  if (!(fn instanceof lambda.Function)) return undefined;
  return (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions;
}

export interface ContentWorkflowProps {
  /** One Lambda function per task; create them from TASK_HANDLERS. */
  readonly tasks: Record<TaskName, lambda.IFunction>;
  /** Replaces the default approval stage (the approvals construct plugs in here). */
  readonly approvalStage?: ApprovalStageBuilder;
  /** Variants rendered in parallel per request (Map MaxConcurrency). @default 4 */
  readonly variantConcurrency?: number;
  /**
   * The state's TimeoutSeconds where the function's own timeout cannot set it: a function
   * imported by ARN, or a token wait without a TimeoutSecondsPath. Every other task waits its
   * function's timeout + STATE_TIMEOUT_MARGIN. @default 5 minutes
   */
  readonly taskTimeout?: Duration;
  /** Execution history to CloudWatch Logs (level ERROR, no execution data: briefs stay out of logs). */
  readonly logGroup?: logs.ILogGroup;
  /** X-Ray tracing of executions. @default true */
  readonly tracing?: boolean;
  readonly stateMachineName?: string;
}

export class ContentWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** State name -> handler entry for every Lambda task in the definition. */
  readonly localHandlers: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: ContentWorkflowProps) {
    super(scope, id);
    const taskTimeout = props.taskTimeout ?? Duration.minutes(5);
    const ref = {
      orgId: sfn.JsonPath.stringAt('$.orgId'),
      requestId: sfn.JsonPath.stringAt('$.requestId'),
      run: sfn.JsonPath.numberAt('$.run'),
    };

    /**
     * TimeoutSeconds of a state that invokes `fn` and returns (no token wait): the function's
     * timeout + STATE_TIMEOUT_MARGIN unless given; a given one must outlast the function.
     */
    const timeoutFor = (stateName: string, fn: lambda.IFunction, given?: Duration): Duration => {
      const lambdaTimeout = lambdaTimeoutOf(fn);
      if (given && lambdaTimeout && given.toSeconds() <= lambdaTimeout.toSeconds()) {
        throw new Error(
          `${stateName}: a ${given.toSeconds()} s state timeout ends before its function's own ` +
            `${lambdaTimeout.toSeconds()} s, failing the state while the function still runs`,
        );
      }
      return given ?? lambdaTimeout?.plus(STATE_TIMEOUT_MARGIN) ?? taskTimeout;
    };

    const recordFailure = this.invoke('Record failure', props.tasks.recordFailure, TASK_HANDLERS.recordFailure, {
      payload: sfn.TaskInput.fromObject({ ...ref, error: sfn.JsonPath.objectAt('$.error') }),
      timeout: timeoutFor('Record failure', props.tasks.recordFailure),
    });
    // Recording the failure must not itself be lost to a blip; any error is worth a retry here.
    // ~2 minutes of attempts: if this gives up, the request stays in its working status (a DB
    // failover outlasting 1+2+4 s did exactly that in test/integration/proof/faults.test.ts).
    recordFailure.addRetry({
      errors: [sfn.Errors.ALL],
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 8,
      maxDelay: Duration.seconds(30),
      jitterStrategy: sfn.JitterType.FULL,
    });
    recordFailure.next(new sfn.Fail(this, 'Failed', { errorPath: '$.error', causePath: '$.cause' }));

    /**
     * Transient errors and Lambda service errors; a throttled invoke of a function with reserved
     * concurrency gets its own, more patient retrier first (THROTTLE_RETRY), and the transient
     * one then leaves it out so the order cannot be undone by a reshuffle.
     */
    const retryTransient = (s: sfn.TaskStateBase, fn: lambda.IFunction) => {
      const reserved = reservedConcurrencyOf(fn) !== undefined;
      if (reserved) s.addRetry({ ...THROTTLE_RETRY, errors: [...THROTTLE_RETRY.errors] });
      s.addRetry({
        errors: [...TRANSIENT_ERROR_NAMES, ...LAMBDA_SERVICE_ERRORS.filter((e) => !reserved || e !== LAMBDA_THROTTLED)],
        // 8 attempts (~2 min of backoff): a burst of 1,000 requests queues ~200 s for the shared
        // Freepik rate (10/s); with 4, 40% of them failed rate_limited (bench/throughput.ts).
        interval: Duration.seconds(1),
        backoffRate: 2,
        maxAttempts: 8,
        maxDelay: Duration.seconds(30),
        jitterStrategy: sfn.JitterType.FULL,
      });
    };
    const catchAll = (s: sfn.TaskStateBase | sfn.Map) =>
      s.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    /** `payload: 'state'` passes the whole (small) state instead of the ref. */
    const task = (
      stateName: string,
      name: TaskName,
      opts: { payload?: sfn.TaskInput | 'state'; catch?: boolean } = {},
    ) => {
      const t = this.invoke(stateName, props.tasks[name], TASK_HANDLERS[name], {
        payload: opts.payload === 'state' ? undefined : (opts.payload ?? sfn.TaskInput.fromObject(ref)),
        timeout: timeoutFor(stateName, props.tasks[name]),
        // The ref stays in the state whatever a handler returns; choices read `$.result`.
        resultPath: '$.result',
      });
      retryTransient(t, props.tasks[name]);
      if (opts.catch !== false) catchAll(t);
      return t;
    };

    const validate = task('Validate brief', 'validateBrief');
    const source = task('Source image', 'sourceImage');
    const compose = task('Compose master', 'composeMaster');
    const checkMaster = task('Check compliance', 'checkMaster');
    const decide = task('Decide', 'decide');
    const publish = task('Publish', 'publish').next(new sfn.Succeed(this, 'Published'));
    // The whole (small) state: it carries `$.approval` when a reviewer decided.
    const reject = task('Record rejection', 'recordRejection', { payload: 'state' }).next(
      new sfn.Succeed(this, 'Rejected'),
    );

    const variantConcurrency = props.variantConcurrency ?? 4;
    const renderReserved = reservedConcurrencyOf(props.tasks.renderVariant);
    if (renderReserved !== undefined && renderReserved < variantConcurrency) {
      throw new Error(
        `Render variants: MaxConcurrency ${variantConcurrency} is above Render variant's reserved concurrency ` +
          `${renderReserved}, so every request would throttle its own variants`,
      );
    }
    const variantRef = { ...ref, platform: sfn.JsonPath.stringAt('$.platform') };
    const renderVariants = new sfn.Map(this, 'Render variants', {
      itemsPath: '$.result.platforms',
      itemSelector: {
        orgId: sfn.JsonPath.stringAt('$.orgId'),
        requestId: sfn.JsonPath.stringAt('$.requestId'),
        run: sfn.JsonPath.numberAt('$.run'),
        platform: sfn.JsonPath.stringAt('$$.Map.Item.Value'),
      },
      maxConcurrency: variantConcurrency,
      resultPath: sfn.JsonPath.DISCARD,
    });
    // Render and check in one task: the check judges the measured layout the renderer returns.
    renderVariants.itemProcessor(
      task('Render variant', 'renderVariant', { payload: sfn.TaskInput.fromObject(variantRef), catch: false }),
    );
    catchAll(renderVariants);

    const ctx: ApprovalStageContext = {
      publish,
      reject,
      task: (stateName, fn, entry, opts = {}) => {
        const wait = opts.waitForTaskToken ?? false;
        const t = this.invoke(stateName, fn, entry, {
          payload: sfn.TaskInput.fromObject({
            ...ref,
            ...(wait ? { taskToken: sfn.JsonPath.taskToken } : {}),
            ...(opts.payload ?? {}),
          }),
          // A token wait's timeout is the human's deadline, not the function's.
          timeout: wait ? (opts.timeout ?? taskTimeout) : timeoutFor(stateName, fn, opts.timeout),
          timeoutPath: opts.timeoutPath,
          waitForTaskToken: wait,
          resultPath: opts.resultPath ?? (wait ? '$.approval' : '$.result'),
        });
        retryTransient(t, fn);
        for (const c of opts.catches ?? []) t.addCatch(c.next, { errors: c.errors, resultPath: c.resultPath });
        catchAll(t);
        return t;
      },
    };
    // The approval loop (lib/constructs/approval-steps.ts) runs on the awaitApproval function.
    const approvalStage = (
      props.approvalStage ?? approvalSteps(props.tasks.awaitApproval, TASK_HANDLERS.awaitApproval)
    )(this, ctx);

    const route = new sfn.Choice(this, 'Route')
      .when(sfn.Condition.stringEquals('$.result.outcome', 'auto_reject'), reject)
      .when(sfn.Condition.stringEquals('$.result.outcome', 'auto_approve'), publish)
      .otherwise(approvalStage);

    const definition = validate.next(
      new sfn.Choice(this, 'Brief acceptable?')
        .when(sfn.Condition.stringEquals('$.result.decision', 'reject'), reject)
        .otherwise(
          source
            .next(compose)
            .next(checkMaster)
            .next(
              new sfn.Choice(this, 'Worth rendering?')
                // A master that already fails the brand is not rendered five more times.
                .when(sfn.Condition.stringEquals('$.result.decision', 'reject'), decide)
                .otherwise(renderVariants.next(decide)),
            ),
        ),
    );
    decide.next(route);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      comment: 'Content request: brief -> image -> compliance -> variants -> approval -> publish',
      tracingEnabled: props.tracing ?? true,
      logs: props.logGroup
        ? { destination: props.logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false }
        : undefined,
    });
    (this.stateMachine.node.defaultChild as sfn.CfnStateMachine).addMetadata(
      LOCAL_HANDLERS_METADATA,
      this.localHandlers,
    );
  }

  /** The state machine ARN, for the starter's env (STATE_MACHINE_ARN). */
  get stateMachineArn(): string {
    return this.stateMachine.stateMachineArn;
  }

  /**
   * Sends every execution that FAILED, TIMED_OUT or was ABORTED to `fn`
   * (functions/handlers/events/execution-ended.ts), which marks a request still in a working
   * status failed. Step Functions emits these on the default bus; delivery is retried for a day
   * (a database outage outlasting Record failure's retries), then parked in the returned queue.
   */
  onExecutionEnded(fn: lambda.IFunction, statuses: readonly string[]): { rule: events.Rule; dlq: sqs.Queue } {
    const dlq = deadLetterQueue(this, 'ExecutionEndedDlq');
    const rule = new events.Rule(this, 'ExecutionEndedRule', {
      description: 'A content workflow execution failed, timed out or was aborted: make sure its request shows it',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: [...statuses], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
    });
    rule.addTarget(
      new targets.LambdaFunction(fn, { deadLetterQueue: dlq, retryAttempts: 185, maxEventAge: Duration.hours(24) }),
    );
    return { rule, dlq };
  }

  private invoke(
    stateName: string,
    fn: lambda.IFunction,
    entry: string,
    opts: {
      payload: sfn.TaskInput | undefined;
      timeout: Duration;
      timeoutPath?: string;
      waitForTaskToken?: boolean;
      resultPath?: string;
    },
  ): tasks.LambdaInvoke {
    if (this.localHandlers[stateName]) throw new Error(`duplicate workflow state name: ${stateName}`);
    this.localHandlers[stateName] = entry;
    const common = {
      payload: opts.payload,
      taskTimeout: opts.timeoutPath ? sfn.Timeout.at(opts.timeoutPath) : sfn.Timeout.duration(opts.timeout),
      // Our own retriers below decide what is retried (the default retries nothing we throw).
      retryOnServiceExceptions: false,
      resultPath: opts.resultPath,
    };
    return opts.waitForTaskToken
      ? new tasks.LambdaInvoke(this, stateName, {
          ...common,
          lambdaFunction: fn,
          integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        })
      : // Resource = the function ARN, result = the handler's return value.
        new tasks.LambdaInvoke(this, stateName, { ...common, lambdaFunction: fn, payloadResponseOnly: true });
  }
}
