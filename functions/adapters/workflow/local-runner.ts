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
 * Executions live in memory: after a restart, recoverInterruptedRequests re-drives what was left.
 */
import '../../shared/polyfills.js';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ExecutionAbortedError, ExecutionTimeoutError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { executionNameFor, type WorkflowStarter } from '../../domain/ports.js';
import { AppError } from '../../shared/errors.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, REPO_ROOT, loadWorkflowDefinition, type AslDefinition, type AslState, type WorkflowDefinition } from './definition.js';
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
  | { type: 'execution_started' | 'execution_succeeded' | 'execution_aborted'; executionName: string; requestId: string; run: number; at: number }
  | { type: 'execution_failed'; executionName: string; requestId: string; run: number; at: number; error: string; cause: string }
  | { type: 'state_entered' | 'state_exited'; executionName: string; requestId: string; run: number; at: number; state: string; stateType: string; mapIndex?: number; item?: string }
  | { type: 'state_failed'; executionName: string; requestId: string; run: number; at: number; state: string; error: string; cause: string; mapIndex?: number; item?: string }
  | { type: 'state_retried'; executionName: string; requestId: string; run: number; at: number; state: string; attempt: number; mapIndex?: number; item?: string }
  | { type: 'waiting_for_token'; executionName: string; requestId: string; run: number; at: number; state: string };

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
}

/** A Lambda handler as the runner calls it. */
type Handler = (event: unknown, context: LambdaLikeContext) => Promise<unknown>;
interface LambdaLikeContext {
  functionName: string; awsRequestId: string; invokedFunctionArn: string; functionVersion: string;
  memoryLimitInMB: string; logGroupName: string; logStreamName: string; callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

interface Running extends ExecutionInfo { abort(): void; done: Promise<void> }

/** Longest timer Node holds (setTimeout overflows past 2^31-1 ms and fires at once). */
const MAX_TIMEOUT_SECONDS = 2_000_000;
const TOKEN_PLACEHOLDER = 'local-task-token-placeholder';
/** Parameters field that carries a TimeoutSecondsPath value to the runner (stripped before the handler). */
const TIMEOUT_FIELD = '__localRunnerTimeoutSeconds';

interface TimeoutSpec { token: boolean; seconds?: number; path?: string; viaParameters: boolean }
export const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:ContentWorkflow`;

export class LocalWorkflowRunner implements WorkflowStarter {
  readonly broker = new TaskTokenBroker();
  private readonly executions = new Map<string, Running>();
  private readonly listeners = new Set<(e: WorkflowEvent) => void>();
  private readonly modules = new Map<string, Promise<Handler>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly machine: StateMachine;
  /** States whose timeout the runner enforces (token waits, TimeoutSecondsPath). */
  private readonly runnerTimeouts = new Map<string, TimeoutSpec>();
  private readonly taskStates: string[] = [];
  /** TimeoutSeconds of every Task state as written in the definition (before the runner's changes). */
  private readonly stateTimeouts = new Map<string, number>();
  /** Tokens whose state handler returned: the execution is now waiting on them. */
  private readonly announced = new Set<string>();
  private closed = false;

  private constructor(readonly workflow: WorkflowDefinition, private readonly opts: LocalRunnerOptions) {
    if (opts.onEvent) this.listeners.add(opts.onEvent);
    const definition = structuredClone(workflow.definition);
    this.prepare(definition);
    for (const s of this.taskStates) {
      if (!workflow.handlers[s]) throw new Error(`workflow state "${s}" has no local handler (construct metadata is missing it)`);
    }
    this.machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: true, checkPaths: true } });
  }

  /** Synthesizes the app (unless `workflow` is given) and returns a runner for its state machine. */
  static async create(opts: LocalRunnerOptions = {}): Promise<LocalWorkflowRunner> {
    const workflow = opts.workflow ?? await loadWorkflowDefinition({ log: opts.log });
    return new LocalWorkflowRunner(workflow, opts);
  }

  /** Subscribes to progress events; returns the unsubscribe function. */
  onEvent(listener: (e: WorkflowEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(input: { orgId: string; requestId: string; run: number }): Promise<{ executionName: string; executionArn: string }> {
    if (this.closed) throw new AppError('upstream_unavailable', 'The local workflow runner is shutting down', { retryable: true });
    const name = executionNameFor(input.requestId, input.run);
    const existing = this.executions.get(name);
    if (existing) {
      if (existing.status === 'RUNNING') return { executionName: name, executionArn: existing.executionArn };
      throw new AppError('conflict', `Run ${input.run} of this request already ended (${existing.status}); start a new run`);
    }
    const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:ContentWorkflow:${name}`;
    // The execution input is what StartExecution would send: the request ref (as given).
    const ref = JSON.parse(JSON.stringify(input)) as typeof input;
    // Registered before the engine starts: it calls the first task handler synchronously.
    const info: Running = {
      executionName: name, executionArn, input: ref, status: 'RUNNING', startedAt: new Date(),
      abort: () => {}, done: Promise.resolve(),
    };
    this.executions.set(name, info);
    const execution = this.machine.run(ref, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(this.taskStates.map((s) => [s, (i: unknown) => this.invokeState(name, s, i) as never])),
        retryIntervalOverrides: this.opts.retryDelayMs !== undefined ? Object.fromEntries(this.taskStates.concat(this.mapStates).map((s) => [s, this.opts.retryDelayMs!])) : undefined,
      },
      context: {
        Execution: { Id: executionArn, Name: name, RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local` },
        StateMachine: { Id: LOCAL_STATE_MACHINE_ARN, Name: 'ContentWorkflow' },
        // The engine has no task tokens: the placeholder is swapped for a real one per wait.
        Task: { Token: TOKEN_PLACEHOLDER },
      },
    });

    info.abort = execution.abort;
    const base = { executionName: name, requestId: input.requestId, run: input.run };
    this.emit({ type: 'execution_started', ...base, at: Date.now() });
    void this.forwardEvents(base, execution.eventLogs as unknown as AsyncGenerator<Record<string, unknown>>);
    info.done = execution.result.then(
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
        Object.assign(info, { status: e instanceof ExecutionTimeoutError ? 'TIMED_OUT' : 'FAILED', error, cause, stoppedAt: new Date() });
        this.emit({ type: 'execution_failed', ...base, at: Date.now(), error, cause });
      },
    ).finally(() => this.broker.closeExecution(name, 'execution ended'));
    return { executionName: name, executionArn };
  }

  async stop(input: { executionName: string; executionArn?: string; reason: string }): Promise<void> {
    const e = this.executions.get(input.executionName);
    if (!e || e.status !== 'RUNNING') return;
    Object.assign(e, { status: 'ABORTED', stoppedAt: new Date(), cause: input.reason });
    e.abort();
    this.broker.closeExecution(input.executionName, `execution stopped: ${input.reason}`);
    this.emit({ type: 'execution_aborted', executionName: e.executionName, requestId: e.input.requestId, run: e.input.run, at: Date.now() });
  }

  describe(executionName: string): ExecutionInfo | undefined {
    const e = this.executions.get(executionName);
    if (!e) return undefined;
    const { abort: _a, done: _d, ...info } = e;
    return { ...info };
  }

  list(filter: { status?: ExecutionStatus } = {}): ExecutionInfo[] {
    return [...this.executions.keys()].map((n) => this.describe(n)!).filter((e) => !filter.status || e.status === filter.status);
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
    const found = () => this.broker.pending({ executionName, stateName }).find((t) => this.announced.has(t.token))?.token;
    const now = found();
    if (now) return now;
    let off = () => {};
    const p = new Promise<string>((resolve, reject) => {
      off = this.onEvent((e) => {
        if (e.type === 'waiting_for_token' && e.executionName === executionName) { const t = found(); if (t) resolve(t); }
      });
      this.executions.get(executionName)?.done.then(() => {
        const t = found();
        if (t) resolve(t); else reject(new Error(`execution ${executionName} ended (${this.describe(executionName)?.status}) without waiting${stateName ? ` in ${stateName}` : ''}`));
      });
    });
    try {
      return await withTimeout(p, timeoutMs, `execution ${executionName} did not reach a task-token wait within ${timeoutMs} ms`);
    } finally { off(); }
  }

  /** Stops every execution and waits (bounded) for handler invocations still in flight. */
  async close(timeoutMs = 15_000): Promise<void> {
    this.closed = true;
    for (const e of this.executions.values()) if (e.status === 'RUNNING') await this.stop({ executionName: e.executionName, reason: 'local runner shutting down' });
    const pending = Promise.allSettled([...this.inFlight]);
    await withTimeout(pending, timeoutMs, 'handlers still running at shutdown').catch((err) => this.opts.log?.(String(err)));
  }

  // ---------------------------------------------------------------------------------------------

  private readonly mapStates: string[] = [];

  /**
   * Walks the definition (Map/Parallel included): collects Task states and takes over the
   * timeouts the runner must enforce itself — every `.waitForTaskToken` state (so a timed-out
   * token is closed: a late answer gets TaskTimedOut) and every TimeoutSecondsPath (evaluated, as
   * in AWS, against the state's effective input, by smuggling it through Parameters).
   */
  private prepare(def: AslDefinition): void {
    for (const [name, state] of Object.entries(def.States)) {
      if (state.Type === 'Task') {
        this.taskStates.push(name);
        if (typeof state.TimeoutSeconds === 'number') this.stateTimeouts.set(name, state.TimeoutSeconds);
        const token = typeof state.Resource === 'string' && state.Resource.endsWith('.waitForTaskToken');
        const path = typeof state.TimeoutSecondsPath === 'string' ? state.TimeoutSecondsPath : undefined;
        if (token || path) {
          const spec: TimeoutSpec = { token, seconds: path ? undefined : state.TimeoutSeconds, path, viaParameters: false };
          if (path && state.Parameters && typeof state.Parameters === 'object' && !Array.isArray(state.Parameters)) {
            state.Parameters = { ...(state.Parameters as object), [`${TIMEOUT_FIELD}.$`]: path };
            spec.viaParameters = true;
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
        for (const b of (state.Branches as AslDefinition[])) this.prepare(b);
      }
    }
    if (def.TimeoutSeconds !== undefined) def.TimeoutSeconds = Math.min(def.TimeoutSeconds, MAX_TIMEOUT_SECONDS);
  }

  private async invokeState(executionName: string, stateName: string, rawInput: unknown): Promise<unknown> {
    const entry = this.workflow.handlers[stateName];
    const handler = await this.load(entry);
    const resource = this.stateResource(stateName);
    const isIntegration = resource.startsWith('arn:aws:states:::lambda:invoke');
    const spec = this.runnerTimeouts.get(stateName);
    let input = rawInput;
    let timeoutMs: number | undefined;
    if (spec) {
      let seconds = spec.seconds;
      if (spec.path) {
        const value = spec.viaParameters ? (input as Record<string, unknown>)[TIMEOUT_FIELD] : readPath(input, spec.path);
        if (!Number.isInteger(value) || (value as number) < 1) {
          throw Object.assign(new Error(`TimeoutSecondsPath ${spec.path} of ${stateName} is not a positive integer`), { name: 'States.Runtime' });
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

    if (spec?.token) {
      const issued = this.broker.issue({ executionName, stateName, timeoutMs });
      const withToken = replaceDeep(payload, TOKEN_PLACEHOLDER, issued.token);
      try {
        await this.call(handler, entry, withToken);
      } catch (e) {
        this.broker.closeToken(issued.token, 'the task failed before waiting');
        throw e;
      }
      this.announced.add(issued.token);
      issued.result.finally(() => this.announced.delete(issued.token)).catch(() => {});
      const exec = this.executions.get(executionName);
      this.emit({ type: 'waiting_for_token', executionName, requestId: exec?.input.requestId ?? '', run: exec?.input.run ?? 0, at: Date.now(), state: stateName });
      return issued.result;
    }
    const stateMs = timeoutMs ?? (this.stateTimeouts.get(stateName) ?? MAX_TIMEOUT_SECONDS) * 1000;
    const lambdaS = this.workflow.lambdaTimeouts?.[stateName];
    const lambdaMs = lambdaS === undefined ? undefined : lambdaS * 1000;
    const invocation = this.call(handler, entry, payload, Math.min(stateMs, lambdaMs ?? Infinity));
    // The function's own limit ends an invocation first when it is the shorter one, like Lambda.
    const limited = lambdaMs !== undefined && lambdaMs < stateMs
      ? withTimeout(invocation, lambdaMs, `${stateName}: the function timed out after ${lambdaS} s`, 'Sandbox.Timedout')
      : invocation;
    const out = timeoutMs === undefined ? await limited : await withTimeout(limited, timeoutMs, `${stateName} timed out`, 'States.Timeout');
    return isIntegration ? { ExecutedVersion: '$LATEST', Payload: out, StatusCode: 200 } : out;
  }

  /** One Lambda-like invocation: JSON in, JSON out, a context object, tracked for shutdown. */
  private async call(handler: Handler, entry: string, event: unknown, budgetMs = 300_000): Promise<unknown> {
    const started = Date.now();
    const ctx: LambdaLikeContext = {
      functionName: path.basename(entry, path.extname(entry)), awsRequestId: randomUUID(),
      invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${path.basename(entry, path.extname(entry))}`,
      functionVersion: '$LATEST', memoryLimitInMB: '1024', logGroupName: 'local', logStreamName: 'local', callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, Math.min(budgetMs, MAX_TIMEOUT_SECONDS * 1000) - (Date.now() - started)),
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

  private async forwardEvents(base: { executionName: string; requestId: string; run: number }, logs: AsyncGenerator<Record<string, unknown>>): Promise<void> {
    try {
      for await (const ev of logs) {
        const state = ev.state as { name: string; type: string; input?: { platform?: unknown } } | undefined;
        const index = typeof ev.index === 'number' ? ev.index : undefined;
        // Map iterations are told apart by their item (the platform for "Render variant").
        const platform = state?.input?.platform;
        const mapIndex = index;
        const item = index !== undefined && typeof platform === 'string' ? platform : undefined;
        const at = Number(ev.timestamp ?? Date.now());
        if (ev.type === 'StateEntered' && state) this.emit({ type: 'state_entered', ...base, at, state: state.name, stateType: state.type, mapIndex, item });
        else if (ev.type === 'StateExited' && state) this.emit({ type: 'state_exited', ...base, at, state: state.name, stateType: state.type, mapIndex, item });
        else if (ev.type === 'StateFailed' && state) this.emit({ type: 'state_failed', ...base, at, state: state.name, error: String(ev.Error), cause: causeText(ev.Cause), mapIndex, item });
        else if (ev.type === 'StateRetried' && state) this.emit({ type: 'state_retried', ...base, at, state: state.name, attempt: Number((ev.retry as { attempt?: number })?.attempt ?? 0) + 1, mapIndex, item });
      }
    } catch (e) {
      this.opts.log?.(`event log of ${base.executionName} ended: ${(e as Error).message}`);
    }
  }

  private emit(e: WorkflowEvent): void {
    for (const l of this.listeners) {
      try { l(e); } catch { /* a listener's bug must not break the execution */ }
    }
  }
}

function describeFailure(e: unknown): { error: string; cause: string } {
  // ExecutionError wraps the runtime error: for a Fail state, name = Error and message = Cause.
  const inner = ((e as { cause?: unknown })?.cause ?? e) as { name?: string; message?: string };
  return { error: inner?.name ?? 'Error', cause: String(inner?.message ?? e) };
}

const causeText = (c: unknown) => (typeof c === 'string' ? c : c instanceof Error ? c.message : JSON.stringify(c ?? ''));

/** `$.a.b[0]`-style reference paths (what TimeoutSecondsPath allows). */
function readPath(v: unknown, path: string): unknown {
  if (path === '$') return v;
  const parts = path.replace(/^\$\.?/, '').match(/[^.[\]]+/g) ?? [];
  return parts.reduce<unknown>((cur, k) => (cur == null ? undefined : (cur as Record<string, unknown>)[k]), v);
}

function replaceDeep(v: unknown, from: string, to: string): unknown {
  if (v === from) return to;
  if (Array.isArray(v)) return v.map((x) => replaceDeep(x, from, to));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceDeep(x, from, to)]));
  return v;
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string, name = 'Error'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(Object.assign(new Error(message), { name })), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

/** Convenience: a runner registered nowhere; the local stack does `provide('workflow', runner)`. */
export const createLocalRunner = (opts?: LocalRunnerOptions) => LocalWorkflowRunner.create(opts);
export { executionNameFor };
