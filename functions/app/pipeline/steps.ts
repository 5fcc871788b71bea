/**
 * The timeline and status bookkeeping every workflow task goes through. `runStep` opens the step
 * (one short transaction: lock the request, refuse an old run or a finished request, move the
 * status, upsert request_steps as started), runs the work outside any transaction (Freepik,
 * sharp and S3 take seconds), then closes the step with its duration, or records it as failed
 * with the error before rethrowing it to Step Functions.
 */
import { withTenant, type Db, type Tx } from '../../adapters/db/client.js';
import {
  closeStep,
  openStep,
  selectRequestForUpdate,
  updateRequest,
  type RequestPatch,
  type RequestRow,
} from '../../adapters/db/stores/request-step-store.js';
import { statusForStep, type RequestRef, type StepName } from '../../domain/pipeline.js';
import { canTransition, isTerminal, type RequestStatus } from '../../domain/request-status.js';
import { AppError, isAppError } from '../../shared/errors.js';

export type { RequestRow };

/** Loads and locks the request of this run, refusing old runs and finished requests. */
export async function lockRequest(
  tx: Tx,
  ref: RequestRef,
  opts: { allowTerminal?: boolean } = {},
): Promise<RequestRow> {
  const req = await selectRequestForUpdate(tx, ref);
  if (!req) throw new AppError('not_found', 'The content request no longer exists');
  if (req.run !== ref.run) {
    throw new AppError('invalid_state', `Run ${ref.run} was superseded by run ${req.run}`, {
      detail: { reason: 'superseded' },
    });
  }
  if (!opts.allowTerminal && isTerminal(req.status)) {
    throw new AppError('invalid_state', `The request is already ${req.status}`, {
      detail: { reason: 'terminal', status: req.status },
    });
  }
  return req;
}

/** Moves the request to `to` when allowed (same status is a no-op). */
export async function moveStatus(
  tx: Tx,
  req: RequestRow,
  to: RequestStatus,
  extra: RequestPatch = {},
): Promise<RequestRow> {
  if (req.status === to && Object.keys(extra).length === 0) return req;
  if (!canTransition(req.status, to)) {
    throw new AppError('invalid_state', `A request that is ${req.status} cannot become ${to}`, {
      detail: { from: req.status, to },
    });
  }
  return updateRequest(tx, req.id, to, extra);
}

export interface StepContext {
  /** The request as it was when the step opened (status already moved). */
  request: RequestRow;
}

export interface StepOptions<T> {
  /**
   * Called under the lock before anything changes: returning a value ends the task with it
   * (the work was already done, e.g. a re-delivered Publish after `published`).
   */
  alreadyDone?: (req: RequestRow) => T | undefined;
  /** Status to move to when the step opens (default: statusForStep). */
  status?: RequestStatus | null;
}

/**
 * Runs one timeline step of a task. `work` returns the task result and optional detail stored
 * on the step (sizes, decisions; never brief text or secrets).
 */
export async function runStep<T>(
  db: Db,
  ref: RequestRef,
  step: StepName,
  work: (ctx: StepContext) => Promise<{ result: T; detail?: Record<string, unknown> }>,
  opts: StepOptions<T> = {},
): Promise<T> {
  const opened = await withTenant(db, { orgId: ref.orgId }, async (tx) => {
    const locked = await lockRequest(tx, ref, { allowTerminal: !!opts.alreadyDone });
    const done = opts.alreadyDone?.(locked);
    if (done !== undefined) return { done };
    if (isTerminal(locked.status)) await lockRequest(tx, ref); // throws the terminal refusal
    const to = opts.status === undefined ? statusForStep(step) : opts.status;
    const req = to ? await moveStatus(tx, locked, to) : locked;
    await openStep(tx, ref, step);
    return { req };
  });
  if ('done' in opened) return opened.done as T;
  try {
    const { result, detail } = await work({ request: opened.req! });
    await withTenant(db, { orgId: ref.orgId }, (tx) => closeStep(tx, ref, step, 'succeeded', detail));
    return result;
  } catch (e) {
    const err = e as Error;
    await withTenant(db, { orgId: ref.orgId }, (tx) =>
      closeStep(tx, ref, step, 'failed', {
        error: err.name,
        code: isAppError(e) ? e.code : 'internal',
        message: String(err.message).slice(0, 500),
      }),
    ).catch(() => {
      /* the original error matters more */
    });
    throw e;
  }
}
