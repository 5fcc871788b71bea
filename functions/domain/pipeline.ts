/**
 * Pipeline rules shared by the state machine (lib/constructs/content-workflow.ts), the task
 * handlers and the API: task names, timeline step names and labels, the routing decision after
 * compliance, and how a Step Functions error becomes the request's failure record. Pure.
 */
import { errorCodes } from '../shared/errors.js';
import type { RequestStatus } from './request-status.js';

/** Every Lambda task of the content workflow (one handler file each, see TASK_HANDLERS). */
export const taskNames = [
  'validateBrief',
  'sourceImage',
  'composeMaster',
  'checkMaster',
  'renderVariant',
  'decide',
  'awaitApproval',
  'publish',
  'recordRejection',
  'recordFailure',
] as const;
export type TaskName = (typeof taskNames)[number];

/** What every task receives: state lives in PostgreSQL and S3, not in the execution. */
export interface RequestRef {
  orgId: string;
  requestId: string;
  /** The run this execution belongs to; a task of an older run is refused. */
  run: number;
}
export interface VariantRef extends RequestRef {
  platform: string;
}

/** Timeline step names (request_steps.step). Per-variant steps carry the platform. */
export type StepName =
  | 'validate'
  | 'source'
  | 'compose'
  | 'check'
  | `render:${string}`
  | 'decide'
  | 'await_approval'
  | 'publish'
  | 'reject';

/** Status a step moves the request into when it starts (null: leaves it). */
export function statusForStep(step: StepName): RequestStatus | null {
  if (step === 'validate') return 'validating';
  if (step === 'source') return 'sourcing';
  if (step === 'compose') return 'composing';
  if (step === 'check') return 'checking';
  if (step.startsWith('render:')) return 'rendering';
  if (step === 'await_approval') return 'awaiting_approval';
  if (step === 'publish') return 'publishing';
  return null;
}

/** The state-machine state name for a step, shown as the failed state on the request. */
export function stateLabel(step: string): string {
  const [head, platform] = step.split(':');
  const labels: Record<string, string> = {
    validate: 'Validate brief',
    source: 'Source image',
    compose: 'Compose master',
    check: 'Check compliance',
    render: 'Render variant',
    decide: 'Decide',
    await_approval: 'Await approval',
    publish: 'Publish',
    reject: 'Record rejection',
  };
  const label = labels[head] ?? step;
  return platform ? `${label} (${platform})` : label;
}

/** Compliance verdict of a summary (the brand thresholds already applied). */
export type ComplianceDecision = 'pass' | 'review' | 'reject';
/** Where the workflow goes after "Decide". */
export type RouteOutcome = 'auto_reject' | 'approval' | 'auto_approve';

/**
 * A reject verdict ends the request; a pass skips approval only when the request's approval
 * workflow allows auto-approval (and there is a workflow to ask at all: without one, a pass is
 * published and anything else waits for a reviewer).
 */
export function routeAfterCompliance(
  decision: ComplianceDecision,
  workflow: { allowAutoApprove: boolean } | null,
): RouteOutcome {
  if (decision === 'reject') return 'auto_reject';
  if (decision === 'pass' && (workflow?.allowAutoApprove ?? false)) return 'auto_approve';
  return 'approval';
}

/** Error names the state machine retries: every AppError code as `Transient.<code>`. */
export const TRANSIENT_ERROR_NAMES: readonly string[] = Object.keys(errorCodes).map((c) => `Transient.${c}`);

/** What is stored in content_requests.failure. */
export interface FailureRecord {
  /** State that failed, e.g. "Source image". */
  state: string;
  /** Stable code: the AppError code, or `timeout` / `task_failed` / `internal`. */
  code: string;
  message: string;
  /** The raw Step Functions error name. */
  error: string;
}

/**
 * Turns a Catch output ({Error, Cause}) into a failure record. In AWS a Lambda error's Cause is a
 * JSON string {errorType, errorMessage, trace}; locally it is the message itself.
 */
export function failureFrom(caught: { Error?: string; Cause?: unknown } | undefined, state: string): FailureRecord {
  const error = caught?.Error ?? 'States.TaskFailed';
  let message = '';
  const cause = caught?.Cause;
  if (typeof cause === 'string') {
    message = cause;
    try {
      const parsed = JSON.parse(cause) as { errorMessage?: unknown };
      if (parsed && typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
    } catch {
      /* plain text cause */
    }
  } else if (
    cause &&
    typeof cause === 'object' &&
    typeof (cause as { errorMessage?: unknown }).errorMessage === 'string'
  ) {
    message = (cause as { errorMessage: string }).errorMessage;
  }
  const m = /^(Transient|Permanent)\.(\w+)$/.exec(error);
  let code: string;
  if (m) code = m[2];
  else if (error === 'States.Timeout' || error === 'Sandbox.Timedout') code = 'timeout';
  else if (error.startsWith('Lambda.') || error.startsWith('States.')) code = 'task_failed';
  else code = 'internal';
  if (!message) message = code === 'timeout' ? `${state} did not finish in time` : `${state} failed (${error})`;
  return { state, code, message: message.slice(0, 1000), error };
}

/** Execution statuses that end a run without the workflow saying so itself (functions/handlers/events/execution-ended.ts). */
export const EXECUTION_ENDED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;
