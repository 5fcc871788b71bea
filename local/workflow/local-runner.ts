/**
 * The local Step Functions: runs the synthesized content workflow definition with
 * aws-local-stepfunctions, each Task state calling the same handler module its Lambda is built
 * from (resolved through the construct's state -> entry metadata; no second copy of the flow).
 *
 * Differences from AWS it papers over:
 * - `.waitForTaskToken`: the handler is invoked with a fresh token in place of $$.Task.Token,
 *   then the state waits on the TaskTokenBroker (sendTaskSuccess/Failure, SFN error names).
 * - The engine's default 60 s task timeout: states without TimeoutSeconds get the SFN default
 *   (effectively none; capped to what a Node timer can hold).
 * - Lambda's clock: a handler's context says the time left before the earlier of its state's
 *   TimeoutSeconds and its function's Timeout (from the template), and an invocation running past
 *   its function's Timeout fails with `Sandbox.Timedout`, as Lambda's does.
 * - Execution names: a second start of a running name returns it, of a finished one is refused,
 *   like StartExecution.
 * - Durability: with a CheckpointStore, every top-level state an execution enters (with its input,
 *   and for a token wait its token) is written down, so a restarted process resumes each execution
 *   where it stood (`saved` + `resume`; recoverInterruptedRequests decides). A parked wait is
 *   re-registered with the same token and deadline, without calling its handler again; any other
 *   state runs again from its start (tasks are idempotent). A state inside a Map iteration resumes
 *   at the Map, which re-runs every iteration.
 * - Bursts: `maxInFlight` bounds the executions working at once (AdmissionQueue); the rest wait in
 *   order, and a parked wait does not count. Finished executions are pruned to their name and status.
 */
import './polyfills.js';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ExecutionAbortedError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { executionNameFor, type WorkflowStarter } from '../../functions/domain/ports.js';
import { AppError } from '../../functions/shared/errors.js';
import { AdmissionQueue, type AdmissionKind } from './admission-queue.js';
import type { CheckpointStore, ExecutionCheckpoint } from './checkpoint-store.js';
import {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  REPO_ROOT,
  loadWorkflowDefinition,
  type AslDefinition,
  type AslState,
  type WorkflowDefinition,
} from './definition.js';
import { TaskTokenBroker } from './task-token-broker.js';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface ExecutionInfo {
  executionName: string;
  executionArn: string;
  input: { orgId: string; requestId: string; run: number };
  status: ExecutionStatus;
  startedAt: Date;
  stoppedAt?: Date;
  output?: unknown;
  /** Error name and cause of a FAILED execution (the Fail state's error/cause). */
  error?: string;
  cause?: string;
}

/** Progress events (the console log of `npm start`, tests, the bench). */
export type WorkflowEvent =
  | {
      type: 'execution_started' | 'execution_succeeded' | 'execution_aborted';
      executionName: string;
      requestId: string;
      run: number;
      at: number;
      startAt?: string;
    }
  /** The process is shutting down: the execution stops here and resumes at the next start (not an end). */
  | { type: 'execution_suspended'; executionName: string; requestId: string; run: number; at: number }
  /** An execution an earlier process left, continued in `state` (`waiting`: parked at its token again). */
  | {
      type: 'execution_resumed';
      executionName: string;
      requestId: string;
      run: number;
      at: number;
      state: string;
      waiting: boolean;
    }
  | {
      type: 'execution_failed';
      executionName: string;
      requestId: string;
      run: number;
      at: number;
      error: string;
      cause: string;
    }
  | {
      type: 'state_entered' | 'state_exited';
      executionName: string;
      requestId: string;
      run: number;
      at: number;
      state: string;
      stateType: string;
      mapIndex?: number;
      item?: string;
    }
  | {
      type: 'state_failed';
      executionName: string;
      requestId: string;
      run: number;
      at: number;
      state: string;
      error: string;
      cause: string;
      mapIndex?: number;
      item?: string;
    }
  | {
      type: 'state_retried';
      executionName: string;
      requestId: string;
      run: number;
      at: number;
      state: string;
      attempt: number;
      mapIndex?: number;
      item?: string;
    }
  | {
      type: 'waiting_for_token';
      executionName: string;
      requestId: string;
      run: number;
      at: number;
      state: string;
      resumed?: boolean;
    };

export interface LocalRunnerOptions {
  /** The definition and handler map; default: synthesized from the CDK app. */
  workflow?: WorkflowDefinition;
  /** Receives every progress event. */
  onEvent?: (e: WorkflowEvent) => void;
  /**
   * Replaces Retry pauses (ms) for every state: tests and benches that exercise retries
   * without waiting for real backoff. Default: the definition's own backoff + jitter.
   */
  retryDelayMs?: number;
  log?: (m: string) => void;
  /** Where executions are written down as they go, so a new process can resume them. Default: memory only. */
  checkpoints?: CheckpointStore;
  /** Executions working at once (parked waits excluded); the rest wait in order. Default: unbounded. */
  maxInFlight?: number;
  /** Finished executions kept whole for describe/list/waitForEnd; older ones keep only name and status. Default 500. */
  keepFinished?: number;
}

/** A saved execution, as a restart sees it (ExecutionCheckpoint without its data). */
export interface SavedExecution {
  executionName: string;
  input: { orgId: string; requestId: string; run: number };
  state: string;
  /** Parked at a task token (resuming calls no handler). */
  waiting: boolean;
  /** Earlier restarts that found it working in this state. */
  interruptions: number;
  /** False when the state is no longer in the definition (it changed between the two processes). */
  resumable: boolean;
}

/** A Lambda handler as the runner calls it. */
type Handler = (event: unknown, context: LambdaLikeContext) => Promise<unknown>;
interface LambdaLikeContext {
  functionName: string;
  awsRequestId: string;
  invokedFunctionArn: string;
  functionVersion: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

interface Running extends ExecutionInfo {
  abort(): void;
  done: Promise<void>;
  ended(): void;
  /** Holds a slot of the in-flight bound. */
  slot: boolean;
  /** Waiting for a slot: gives up that wait. */
  cancelAdmission?: () => void;
  /** Task-token waits it is parked at right now. */
  parked: number;
  /** Where it stands (what the checkpoint says). */
  at?: { state: string; input: unknown; wait?: ExecutionCheckpoint['wait'] };
  interruptions: number;
  /** Resumed at this state: its first StateEntered is the resume itself, not progress. */
  resumedEntry?: { state: string; waiting: boolean };
  /** Resumed parked at this state: the token to register again instead of calling the handler. */
  resumedWait?: { state: string; wait: NonNullable<ExecutionCheckpoint['wait']> };
  /** Shut down with the process: its checkpoint stays for the next one. */
  suspended: boolean;
  /** Ended or stopped: its checkpoint is gone and must not come back. */
  final: boolean;
}

/** Longest timer Node holds (setTimeout overflows past 2^31-1 ms and fires at once). */
const MAX_TIMEOUT_SECONDS = 2_000_000;
const TOKEN_PLACEHOLDER = 'local-task-token-placeholder';
/** Parameters field that carries a TimeoutSecondsPath value to the runner (stripped before the handler). */
const TIMEOUT_FIELD = '__localRunnerTimeoutSeconds';
/** Parameters field that carries a top-level token wait's own input to the runner (for its checkpoint; stripped too). */
const STATE_INPUT_FIELD = '__localRunnerStateInput';
const TOMBSTONES_MAX = 100_000;

interface TimeoutSpec {
  token: boolean;
  seconds?: number;
  path?: string;
  viaParameters: boolean;
}
export const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:ContentWorkflow`;

export class LocalWorkflowRunner implements WorkflowStarter {
  readonly broker = new TaskTokenBroker();
  private readonly executions = new Map<string, Running>();
  /** Pruned finished executions: name -> how they ended (a second start is still refused). */
  private readonly tombstones = new Map<string, ExecutionStatus>();
  private readonly finished: string[] = [];
  private readonly listeners = new Set<(e: WorkflowEvent) => void>();
  private readonly modules = new Map<string, Promise<Handler>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly definition: AslDefinition;
  /** One engine per state an execution may start at (the definition's StartAt, or a resumed state). */
  private readonly machines = new Map<string, StateMachine>();
  /** States whose timeout the runner enforces (token waits, TimeoutSecondsPath). */
  private readonly runnerTimeouts = new Map<string, TimeoutSpec>();
  private readonly taskStates: string[] = [];
  /** TimeoutSeconds of every Task state as written in the definition (before the runner's changes). */
  private readonly stateTimeouts = new Map<string, number>();
  /** Token waits of the top level whose input reaches the runner (STATE_INPUT_FIELD). */
  private readonly checkpointedWaits = new Set<string>();
  /** Tokens whose state handler returned: the execution is now waiting on them. */
  private readonly announced = new Set<string>();
  private readonly admission: AdmissionQueue;
  /** What `saved()` read, for `resume()`. */
  private savedCheckpoints: Map<string, ExecutionCheckpoint> | undefined;
  private closed = false;

  private constructor(
    readonly workflow: WorkflowDefinition,
    private readonly opts: LocalRunnerOptions,
  ) {
    if (opts.onEvent) this.listeners.add(opts.onEvent);
    const definition = structuredClone(workflow.definition);
    this.prepare(definition, true);
    for (const s of this.taskStates) {
      if (!workflow.handlers[s])
        throw new Error(`workflow state "${s}" has no local handler (construct metadata is missing it)`);
    }
    this.definition = definition;
    this.machines.set(
      definition.StartAt,
      new StateMachine(definition as unknown as StateMachineDefinition, {
        validationOptions: { checkArn: true, checkPaths: true },
      }),
    );
    this.admission = new AdmissionQueue(opts.maxInFlight ?? Infinity);
  }

  /** Synthesizes the app (unless `workflow` is given) and returns a runner for its state machine. */
  static async create(opts: LocalRunnerOptions = {}): Promise<LocalWorkflowRunner> {
    const workflow = opts.workflow ?? (await loadWorkflowDefinition({ log: opts.log }));
    return new LocalWorkflowRunner(workflow, opts);
  }

  /** Subscribes to progress events; returns the unsubscribe function. */
  onEvent(listener: (e: WorkflowEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Starts an execution (StartExecution). `from` starts it at another state of the same
   * definition with that state's input: restart recovery re-driving a request whose checkpoint is
   * missing from its interrupted step, with the same name and run.
   */
  async start(
    input: { orgId: string; requestId: string; run: number },
    from?: { state: string; input: unknown },
  ): Promise<{ executionName: string; executionArn: string }> {
    if (this.closed)
      throw new AppError('upstream_unavailable', 'The local workflow runner is shutting down', { retryable: true });
    const name = executionNameFor(input.requestId, input.run);
    const existing = this.executions.get(name);
    if (existing) {
      if (existing.status === 'RUNNING') return { executionName: name, executionArn: existing.executionArn };
      throw new AppError(
        'conflict',
        `Run ${input.run} of this request already ended (${existing.status}); start a new run`,
      );
    }
    const ended = this.tombstones.get(name);
    if (ended)
      throw new AppError('conflict', `Run ${input.run} of this request already ended (${ended}); start a new run`);
    const startAt = from?.state ?? this.definition.StartAt;
    this.topLevelState(startAt);
    // The execution input is what StartExecution would send: the request ref (as given).
    const ref = JSON.parse(JSON.stringify(input)) as typeof input;
    const stateInput = from ? (JSON.parse(JSON.stringify(from.input ?? null)) as unknown) : ref;
    const info = this.register(name, ref, new Date());
    this.checkpoint(info, { state: startAt, input: stateInput });
    this.emit({ type: 'execution_started', ...this.base(info), at: Date.now(), ...(from ? { startAt } : {}) });
    this.admit(info, 'new', () => this.launch(info, startAt, stateInput));
    return { executionName: name, executionArn: info.executionArn };
  }

  /** Executions an earlier process left unfinished, as its checkpoints recorded them. */
  async saved(): Promise<SavedExecution[]> {
    const all = (await this.opts.checkpoints?.load()) ?? [];
    this.savedCheckpoints = new Map(all.map((cp) => [cp.executionName, cp]));
    return all.map((cp) => ({
      executionName: cp.executionName,
      input: cp.input,
      state: cp.state,
      waiting: !!cp.wait && this.checkpointedWaits.has(cp.state),
      interruptions: cp.interruptions,
      resumable: !!this.definition.States[cp.state],
    }));
  }

  /**
   * Continues saved executions where they stood, under the same names and inputs. A parked wait
   * is registered with the broker again (same token, deadline from its original issue) without
   * calling its handler; any other state runs again from its start, after its turn in the
   * in-flight bound. One this runner already has is left alone. Per name: where it resumed, or
   * why it could not.
   */
  async resume(names: Iterable<string>): Promise<Map<string, { state: string; waiting: boolean } | Error>> {
    if (this.closed)
      throw new AppError('upstream_unavailable', 'The local workflow runner is shutting down', { retryable: true });
    if (!this.savedCheckpoints) await this.saved();
    const out = new Map<string, { state: string; waiting: boolean } | Error>();
    for (const name of names) {
      const cp = this.savedCheckpoints!.get(name);
      try {
        if (!cp) throw new Error(`no checkpoint for execution ${name}`);
        out.set(name, this.resumeFrom(cp));
        this.savedCheckpoints!.delete(name);
      } catch (e) {
        out.set(name, e as Error);
      }
    }
    return out;
  }

  /** Drops the checkpoint of a saved execution that will not be resumed. */
  forget(executionName: string): void {
    this.savedCheckpoints?.delete(executionName);
    if (!this.executions.has(executionName)) this.opts.checkpoints?.remove(executionName);
  }

  async stop(input: { executionName: string; executionArn?: string; reason: string }): Promise<void> {
    const e = this.executions.get(input.executionName);
    if (e?.status !== 'RUNNING') return;
    Object.assign(e, { status: 'ABORTED', stoppedAt: new Date(), cause: input.reason });
    this.halt(e, `execution stopped: ${input.reason}`);
    this.emit({ type: 'execution_aborted', ...this.base(e), at: Date.now() });
  }

  describe(executionName: string): ExecutionInfo | undefined {
    const e = this.executions.get(executionName);
    if (!e) return undefined;
    return {
      executionName: e.executionName,
      executionArn: e.executionArn,
      input: { ...e.input },
      status: e.status,
      startedAt: e.startedAt,
      stoppedAt: e.stoppedAt,
      output: e.output,
      error: e.error,
      cause: e.cause,
    };
  }

  list(filter: { status?: ExecutionStatus } = {}): ExecutionInfo[] {
    return [...this.executions.keys()]
      .map((n) => this.describe(n)!)
      .filter((e) => !filter.status || e.status === filter.status);
  }

  /** How the in-flight bound stands: executions working, waiting for a slot, parked at a token. */
  occupancy(): { inFlight: number; queued: number; parked: number; limit: number } {
    let parked = 0;
    for (const e of this.executions.values()) if (e.status === 'RUNNING' && e.parked > 0) parked++;
    return { inFlight: this.admission.inFlight, queued: this.admission.waiting, parked, limit: this.admission.limit };
  }

  /** Resolves when the execution has ended (or rejects after `timeoutMs`). */
  async waitForEnd(executionName: string, timeoutMs = 60_000): Promise<ExecutionInfo> {
    const e = this.executions.get(executionName);
    if (!e) throw new Error(`unknown execution ${executionName}`);
    await withTimeout(e.done, timeoutMs, `execution ${executionName} still running after ${timeoutMs} ms`);
    return this.describe(executionName)!;
  }

  /**
   * Resolves with the token once the execution waits in `stateName` — after the state's handler
   * returned, like a Lambda that stored its token — or rejects after `timeoutMs`.
   */
  async waitForToken(executionName: string, stateName?: string, timeoutMs = 60_000): Promise<string> {
    const found = () =>
      this.broker.pending({ executionName, stateName }).find((t) => this.announced.has(t.token))?.token;
    const now = found();
    if (now) return now;
    let off = () => {};
    const p = new Promise<string>((resolve, reject) => {
      off = this.onEvent((e) => {
        if (e.type === 'waiting_for_token' && e.executionName === executionName) {
          const t = found();
          if (t) resolve(t);
        }
      });
      this.executions.get(executionName)?.done.then(() => {
        const t = found();
        if (t) resolve(t);
        else
          reject(
            new Error(
              `execution ${executionName} ended (${this.describe(executionName)?.status}) without waiting${stateName ? ` in ${stateName}` : ''}`,
            ),
          );
      });
    });
    try {
      return await withTimeout(
        p,
        timeoutMs,
        `execution ${executionName} did not reach a task-token wait within ${timeoutMs} ms`,
      );
    } finally {
      off();
    }
  }

  /**
   * Shuts down: every running execution is suspended (its checkpoint stays, so the next process
   * resumes it), handler invocations still in flight get a bounded wait, checkpoints are flushed.
   */
  async close(timeoutMs = 15_000): Promise<{ suspended: number }> {
    this.closed = true;
    let suspended = 0;
    for (const e of this.executions.values()) {
      if (e.status !== 'RUNNING') continue;
      suspended++;
      Object.assign(e, { status: 'ABORTED', stoppedAt: new Date(), cause: 'local runner shutting down' });
      e.suspended = true;
      this.halt(e, 'local runner shutting down');
      this.emit({ type: 'execution_suspended', ...this.base(e), at: Date.now() });
    }
    const pending = Promise.allSettled([...this.inFlight]);
    await withTimeout(pending, timeoutMs, 'handlers still running at shutdown').catch((err) =>
      this.opts.log?.(String(err)),
    );
    await this.opts.checkpoints
      ?.flush()
      .catch((err) => this.opts.log?.(`checkpoints not written at shutdown: ${(err as Error).message}`));
    return { suspended };
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  private register(name: string, input: Running['input'], startedAt: Date): Running {
    let ended!: () => void;
    const done = new Promise<void>((resolve) => {
      ended = resolve;
    });
    const info: Running = {
      executionName: name,
      executionArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:ContentWorkflow:${name}`,
      input,
      status: 'RUNNING',
      startedAt,
      abort: () => {},
      done,
      ended,
      slot: false,
      parked: 0,
      interruptions: 0,
      suspended: false,
      final: false,
    };
    // Registered before the engine starts: it calls the first task handler synchronously.
    this.executions.set(name, info);
    return info;
  }

  private resumeFrom(cp: ExecutionCheckpoint): { state: string; waiting: boolean } {
    const known = this.executions.get(cp.executionName);
    if (known) return { state: known.at?.state ?? cp.state, waiting: known.parked > 0 };
    this.topLevelState(cp.state);
    const info = this.register(cp.executionName, cp.input, new Date(cp.startedAt));
    const wait = cp.wait && this.checkpointedWaits.has(cp.state) ? cp.wait : undefined;
    const waiting = wait !== undefined;
    info.resumedEntry = { state: cp.state, waiting };
    if (wait) info.resumedWait = { state: cp.state, wait };
    // Found working in this state: counted (restart recovery gives up on one that keeps crashing the process).
    info.interruptions = waiting ? cp.interruptions : cp.interruptions + 1;
    this.checkpoint(info, { state: cp.state, input: cp.stateInput, wait });
    this.emit({ type: 'execution_resumed', ...this.base(info), at: Date.now(), state: cp.state, waiting });
    // A parked wait does no work until its answer comes: it needs no slot to get back to its token.
    if (waiting) this.launch(info, cp.state, cp.stateInput);
    else this.admit(info, 'continuing', () => this.launch(info, cp.state, cp.stateInput));
    return { state: cp.state, waiting };
  }

  /** Runs `go` once the execution has a slot (at once when unbounded). */
  private admit(info: Running, kind: AdmissionKind, go: () => void): void {
    const ticket = this.admission.acquire(kind);
    info.cancelAdmission = ticket.cancel;
    void ticket.granted.then(() => {
      info.cancelAdmission = undefined;
      if (info.status !== 'RUNNING') {
        this.admission.release();
        return;
      }
      info.slot = true;
      go();
    });
  }

  /** Waits for a slot again (a parked wait was answered); resolves at once when one is held. */
  private async readmit(info: Running): Promise<void> {
    if (info.slot || info.status !== 'RUNNING') return;
    await new Promise<void>((resolve) => this.admit(info, 'continuing', resolve));
  }

  private releaseSlot(info: Running): void {
    if (!info.slot) return;
    info.slot = false;
    this.admission.release();
  }

  private launch(info: Running, startAt: string, stateInput: unknown): void {
    const name = info.executionName;
    const execution = this.machineFor(startAt).run(stateInput as never, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(
          this.taskStates.map((s) => [s, (i: unknown) => this.invokeState(name, s, i) as never]),
        ),
        retryIntervalOverrides:
          this.opts.retryDelayMs !== undefined
            ? Object.fromEntries(this.taskStates.concat(this.mapStates).map((s) => [s, this.opts.retryDelayMs!]))
            : undefined,
      },
      context: {
        Execution: { Id: info.executionArn, Name: name, RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local` },
        StateMachine: { Id: LOCAL_STATE_MACHINE_ARN, Name: 'ContentWorkflow' },
        // The engine has no task tokens: the placeholder is swapped for a real one per wait.
        Task: { Token: TOKEN_PLACEHOLDER },
      },
    });
    info.abort = execution.abort;
    const base = this.base(info);
    void this.forwardEvents(info, execution.eventLogs as unknown as AsyncGenerator<Record<string, unknown>>);
    execution.result
      .then(
        (output) => {
          if (info.status !== 'RUNNING') return;
          Object.assign(info, { status: 'SUCCEEDED', output, stoppedAt: new Date() });
          this.emit({ type: 'execution_succeeded', ...base, at: Date.now() });
        },
        (e: unknown) => {
          if (info.status !== 'RUNNING') return;
          if (e instanceof ExecutionAbortedError) {
            Object.assign(info, { status: 'ABORTED', stoppedAt: new Date() });
            this.emit({ type: 'execution_aborted', ...base, at: Date.now() });
            return;
          }
          const { error, cause } = describeFailure(e);
          Object.assign(info, {
            status: e instanceof ExecutionTimeoutError ? 'TIMED_OUT' : 'FAILED',
            error,
            cause,
            stoppedAt: new Date(),
          });
          this.emit({ type: 'execution_failed', ...base, at: Date.now(), error, cause });
        },
      )
      .finally(() => {
        this.broker.closeExecution(name, 'execution ended');
        this.finish(info);
      });
  }

  /** Stops the engine, the slot and the tokens of an execution (stop or shutdown). */
  private halt(e: Running, reason: string): void {
    e.cancelAdmission?.();
    e.cancelAdmission = undefined;
    e.abort();
    this.broker.closeExecution(e.executionName, reason);
    this.finish(e);
  }

  /** Once per execution: its slot back, its checkpoint gone (unless suspended), pruned later. */
  private finish(e: Running): void {
    this.releaseSlot(e);
    if (e.final) return;
    e.final = true;
    if (!e.suspended) this.opts.checkpoints?.remove(e.executionName);
    e.ended();
    this.finished.push(e.executionName);
    const keep = this.opts.keepFinished ?? 500;
    while (this.finished.length > keep) {
      const old = this.finished.shift()!;
      const gone = this.executions.get(old);
      if (!gone || gone.status === 'RUNNING') continue;
      this.executions.delete(old);
      this.tombstones.set(old, gone.status);
      if (this.tombstones.size > TOMBSTONES_MAX) this.tombstones.delete(this.tombstones.keys().next().value!);
    }
  }

  /** Records where an execution stands (ignored once it ended: a late event must not bring it back). */
  private checkpoint(e: Running, at: NonNullable<Running['at']>): void {
    if (e.final && !e.suspended) return;
    e.at = at;
    this.opts.checkpoints?.put({
      executionName: e.executionName,
      input: e.input,
      startedAt: e.startedAt,
      state: at.state,
      stateInput: at.input,
      wait: at.wait,
      interruptions: e.interruptions,
    });
  }

  private machineFor(startAt: string): StateMachine {
    let m = this.machines.get(startAt);
    if (!m) {
      // The same (validated) states, entered elsewhere.
      m = new StateMachine({ ...this.definition, StartAt: startAt } as unknown as StateMachineDefinition, {
        validationOptions: { noValidate: true },
      });
      this.machines.set(startAt, m);
    }
    return m;
  }

  private topLevelState(name: string): void {
    if (!this.definition.States[name]) throw new Error(`the workflow has no top-level state "${name}"`);
  }

  private base(e: Running) {
    return { executionName: e.executionName, requestId: e.input.requestId, run: e.input.run };
  }

  // ---------------------------------------------------------------------------------------------

  private readonly mapStates: string[] = [];

  /**
   * Walks the definition (Map/Parallel included): collects Task states and takes over the
   * timeouts the runner must enforce itself — every `.waitForTaskToken` state (so a timed-out
   * token is closed: a late answer gets TaskTimedOut) and every TimeoutSecondsPath (evaluated, as
   * in AWS, against the state's effective input, by smuggling it through Parameters). A token
   * wait of the top level also gets its own input smuggled in, for its checkpoint (without
   * InputPath, `$` in Parameters is exactly the state's input).
   */
  private prepare(def: AslDefinition, topLevel = false): void {
    for (const [name, state] of Object.entries(def.States)) {
      if (state.Type === 'Task') {
        this.taskStates.push(name);
        if (typeof state.TimeoutSeconds === 'number') this.stateTimeouts.set(name, state.TimeoutSeconds);
        const token = typeof state.Resource === 'string' && state.Resource.endsWith('.waitForTaskToken');
        const path = typeof state.TimeoutSecondsPath === 'string' ? state.TimeoutSecondsPath : undefined;
        if (token || path) {
          const spec: TimeoutSpec = {
            token,
            seconds: path ? undefined : state.TimeoutSeconds,
            path,
            viaParameters: false,
          };
          if (path && state.Parameters && typeof state.Parameters === 'object' && !Array.isArray(state.Parameters)) {
            state.Parameters = { ...(state.Parameters as object), [`${TIMEOUT_FIELD}.$`]: path };
            spec.viaParameters = true;
          }
          if (
            token &&
            topLevel &&
            state.InputPath === undefined &&
            state.Parameters &&
            typeof state.Parameters === 'object' &&
            !Array.isArray(state.Parameters)
          ) {
            state.Parameters = { ...(state.Parameters as object), [`${STATE_INPUT_FIELD}.$`]: '$' };
            this.checkpointedWaits.add(name);
          }
          delete state.TimeoutSecondsPath;
          this.runnerTimeouts.set(name, spec);
          // The engine's own timer must never fire first.
          state.TimeoutSeconds = MAX_TIMEOUT_SECONDS;
        } else {
          // Without TimeoutSeconds the engine would stop a task after 60 s; Step Functions has no such default.
          state.TimeoutSeconds = Math.min(state.TimeoutSeconds ?? MAX_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);
        }
      }
      if (state.Type === 'Map') {
        this.mapStates.push(name);
        const proc = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
        if (proc) this.prepare(proc);
      }
      if (state.Type === 'Parallel') {
        for (const b of state.Branches as AslDefinition[]) this.prepare(b);
      }
    }
    if (def.TimeoutSeconds !== undefined) def.TimeoutSeconds = Math.min(def.TimeoutSeconds, MAX_TIMEOUT_SECONDS);
  }

  private async invokeState(executionName: string, stateName: string, rawInput: unknown): Promise<unknown> {
    // The engine still enters the first state of a Map iteration it starts after an abort.
    if (this.executions.get(executionName)?.status !== 'RUNNING') throw new ExecutionAbortedError();
    const entry = this.workflow.handlers[stateName];
    const handler = await this.load(entry);
    const resource = this.stateResource(stateName);
    const isIntegration = resource.startsWith('arn:aws:states:::lambda:invoke');
    const spec = this.runnerTimeouts.get(stateName);
    let input = rawInput;
    let stateInput: unknown;
    if (this.checkpointedWaits.has(stateName)) {
      const { [STATE_INPUT_FIELD]: own, ...rest } = input as Record<string, unknown>;
      stateInput = own;
      input = rest;
    }
    let timeoutMs: number | undefined;
    if (spec) {
      let seconds = spec.seconds;
      if (spec.path) {
        const value = spec.viaParameters
          ? (input as Record<string, unknown>)[TIMEOUT_FIELD]
          : readPath(input, spec.path);
        if (!Number.isInteger(value) || (value as number) < 1) {
          throw Object.assign(new Error(`TimeoutSecondsPath ${spec.path} of ${stateName} is not a positive integer`), {
            name: 'States.Runtime',
          });
        }
        seconds = value as number;
        if (spec.viaParameters) {
          const { [TIMEOUT_FIELD]: _t, ...rest } = input as Record<string, unknown>;
          input = rest;
        }
      }
      timeoutMs = Math.min(seconds ?? MAX_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS) * 1000;
    }
    const payload = isIntegration ? (input as { Payload?: unknown }).Payload : input;

    if (spec?.token)
      return this.waitForAnswer(executionName, stateName, { handler, entry, payload, timeoutMs, stateInput });
    const stateMs = timeoutMs ?? (this.stateTimeouts.get(stateName) ?? MAX_TIMEOUT_SECONDS) * 1000;
    const lambdaS = this.workflow.lambdaTimeouts?.[stateName];
    const lambdaMs = lambdaS === undefined ? undefined : lambdaS * 1000;
    const invocation = this.call(handler, entry, payload, Math.min(stateMs, lambdaMs ?? Infinity));
    // The function's own limit ends an invocation first when it is the shorter one, like Lambda.
    const limited =
      lambdaMs !== undefined && lambdaMs < stateMs
        ? withTimeout(
            invocation,
            lambdaMs,
            `${stateName}: the function timed out after ${lambdaS} s`,
            'Sandbox.Timedout',
          )
        : invocation;
    const out =
      timeoutMs === undefined
        ? await limited
        : await withTimeout(limited, timeoutMs, `${stateName} timed out`, 'States.Timeout');
    return isIntegration ? { ExecutedVersion: '$LATEST', Payload: out, StatusCode: 200 } : out;
  }

  /**
   * A `.waitForTaskToken` state: a fresh token, the handler called with it, then parked until the
   * broker hears an answer. Resumed after a restart, the saved token is registered again instead
   * and the handler is not called (it stored that token already). While parked, the execution
   * gives its in-flight slot back, and takes one again before going on.
   */
  private async waitForAnswer(
    executionName: string,
    stateName: string,
    w: { handler: Handler; entry: string; payload: unknown; timeoutMs?: number; stateInput: unknown },
  ): Promise<unknown> {
    const exec = this.executions.get(executionName);
    if (!exec) throw new Error(`unknown execution ${executionName}`);
    const resumed = exec.resumedWait?.state === stateName ? exec.resumedWait.wait : undefined;
    exec.resumedWait = undefined;
    let token = '';
    // Once answered, the checkpoint says so before the answerer hears back: a process that dies
    // right after runs this state again (its task sees the recorded answer) rather than waiting
    // on a token nobody will answer any more.
    const afterAnswer = async () => {
      if (exec.status !== 'RUNNING' || exec.at?.wait?.token !== token) return;
      this.checkpoint(exec, { state: stateName, input: exec.at.input });
      await this.opts.checkpoints
        ?.flush()
        .catch((e) => this.opts.log?.(`checkpoint of ${executionName} not written: ${(e as Error).message}`));
    };
    let issued: ReturnType<TaskTokenBroker['issue']>;
    if (resumed) {
      issued = this.broker.issue({
        executionName,
        stateName,
        token: resumed.token,
        issuedAt: new Date(resumed.issuedAt),
        timeoutMs: resumed.timeoutMs,
        afterAnswer,
      });
      token = issued.token;
    } else {
      issued = this.broker.issue({ executionName, stateName, timeoutMs: w.timeoutMs, afterAnswer });
      token = issued.token;
      const withToken = replaceDeep(w.payload, TOKEN_PLACEHOLDER, issued.token);
      try {
        await this.call(w.handler, w.entry, withToken);
      } catch (e) {
        this.broker.closeToken(issued.token, 'the task failed before waiting');
        throw e;
      }
      if (w.stateInput !== undefined) {
        this.checkpoint(exec, {
          state: stateName,
          input: w.stateInput,
          wait: { token, issuedAt: issued.issuedAt, timeoutMs: w.timeoutMs },
        });
      }
    }
    exec.parked++;
    this.releaseSlot(exec);
    this.announced.add(token);
    issued.result.finally(() => this.announced.delete(token)).catch(() => {});
    this.emit({
      type: 'waiting_for_token',
      ...this.base(exec),
      at: Date.now(),
      state: stateName,
      ...(resumed ? { resumed: true } : {}),
    });
    try {
      return await issued.result;
    } finally {
      exec.parked--;
      await this.readmit(exec);
    }
  }

  /** One Lambda-like invocation: JSON in, JSON out, a context object, tracked for shutdown. */
  private async call(handler: Handler, entry: string, event: unknown, budgetMs = 300_000): Promise<unknown> {
    const started = Date.now();
    const ctx: LambdaLikeContext = {
      functionName: path.basename(entry, path.extname(entry)),
      awsRequestId: randomUUID(),
      invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${path.basename(entry, path.extname(entry))}`,
      functionVersion: '$LATEST',
      memoryLimitInMB: '1024',
      logGroupName: 'local',
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () =>
        Math.max(0, Math.min(budgetMs, MAX_TIMEOUT_SECONDS * 1000) - (Date.now() - started)),
    };
    const p = handler(JSON.parse(JSON.stringify(event ?? null)), ctx);
    this.inFlight.add(p);
    try {
      const out = await p;
      return out === undefined ? null : JSON.parse(JSON.stringify(out));
    } finally {
      this.inFlight.delete(p);
    }
  }

  private load(entry: string): Promise<Handler> {
    let m = this.modules.get(entry);
    if (!m) {
      m = import(pathToFileURL(path.resolve(REPO_ROOT, entry)).href).then((mod: { handler?: Handler }) => {
        if (typeof mod.handler !== 'function') throw new Error(`${entry} does not export a handler`);
        return mod.handler;
      });
      // A failed import (e.g. missing env at cold start) is retried on the next invocation.
      m.catch(() => this.modules.delete(entry));
      this.modules.set(entry, m);
    }
    return m;
  }

  private stateResource(stateName: string): string {
    const find = (def: AslDefinition): AslState | undefined => {
      for (const [n, s] of Object.entries(def.States)) {
        if (n === stateName) return s;
        const nested = (s.ItemProcessor ?? s.Iterator) as AslDefinition | undefined;
        const hit = nested ? find(nested) : (s.Branches as AslDefinition[] | undefined)?.map(find).find(Boolean);
        if (hit) return hit;
      }
      return undefined;
    };
    return String(find(this.workflow.definition)?.Resource ?? '');
  }

  private async forwardEvents(exec: Running, logs: AsyncGenerator<Record<string, unknown>>): Promise<void> {
    const base = this.base(exec);
    try {
      for await (const ev of logs) {
        const state = ev.state as { name: string; type: string; input?: { platform?: unknown } } | undefined;
        const index = typeof ev.index === 'number' ? ev.index : undefined;
        // Map iterations are told apart by their item (the platform for "Render variant").
        const platform = state?.input?.platform;
        const mapIndex = index;
        const item = index !== undefined && typeof platform === 'string' ? platform : undefined;
        const at = Number(ev.timestamp ?? Date.now());
        if (ev.type === 'StateEntered' && state) {
          if (index === undefined && this.definition.States[state.name] && !this.entered(exec, state.name, state.input))
            continue;
          this.emit({ type: 'state_entered', ...base, at, state: state.name, stateType: state.type, mapIndex, item });
        } else if (ev.type === 'StateExited' && state)
          this.emit({ type: 'state_exited', ...base, at, state: state.name, stateType: state.type, mapIndex, item });
        else if (ev.type === 'StateFailed' && state)
          this.emit({
            type: 'state_failed',
            ...base,
            at,
            state: state.name,
            error: String(ev.Error),
            cause: causeText(ev.Cause),
            mapIndex,
            item,
          });
        else if (ev.type === 'StateRetried' && state)
          this.emit({
            type: 'state_retried',
            ...base,
            at,
            state: state.name,
            attempt: Number((ev.retry as { attempt?: number })?.attempt ?? 0) + 1,
            mapIndex,
            item,
          });
      }
    } catch (e) {
      this.opts.log?.(`event log of ${base.executionName} ended: ${(e as Error).message}`);
    }
  }

  /**
   * A top-level state was entered: that is the checkpoint now. Returns false for the entry that
   * only re-enacts a resumed wait (no progress to report). Events trail the engine a little: one
   * seen while the execution is parked is older than the wait's own checkpoint and does not
   * replace it (nothing else can be entered before the token is answered).
   */
  private entered(exec: Running, state: string, input: unknown): boolean {
    const resumed = exec.resumedEntry;
    if (resumed?.state === state) {
      // The resumed state itself: the checkpoint already says so (with the interruption counted).
      exec.resumedEntry = undefined;
      return !resumed.waiting;
    }
    if (exec.parked > 0) return true;
    exec.interruptions = 0;
    this.checkpoint(exec, { state, input });
    return true;
  }

  private emit(e: WorkflowEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a listener's bug must not break the execution */
      }
    }
  }
}

function describeFailure(e: unknown): { error: string; cause: string } {
  // ExecutionError wraps the runtime error: for a Fail state, name = Error and message = Cause.
  const inner = ((e as { cause?: unknown })?.cause ?? e) as { name?: string; message?: string };
  return { error: inner?.name ?? 'Error', cause: String(inner?.message ?? e) };
}

const causeText = (c: unknown) =>
  typeof c === 'string' ? c : c instanceof Error ? c.message : JSON.stringify(c ?? '');

/** `$.a.b[0]`-style reference paths (what TimeoutSecondsPath allows). */
function readPath(v: unknown, path: string): unknown {
  if (path === '$') return v;
  const parts = path.replace(/^\$\.?/, '').match(/[^.[\]]+/g) ?? [];
  return parts.reduce<unknown>((cur, k) => (cur == null ? undefined : (cur as Record<string, unknown>)[k]), v);
}

function replaceDeep(v: unknown, from: string, to: string): unknown {
  if (v === from) return to;
  if (Array.isArray(v)) return v.map((x) => replaceDeep(x, from, to));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceDeep(x, from, to)]));
  return v;
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string, name = 'Error'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(message), { name })), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Convenience: a runner registered nowhere; the local stack does `provide('workflow', runner)`. */
export const createLocalRunner = (opts?: LocalRunnerOptions) => LocalWorkflowRunner.create(opts);
export { executionNameFor };
