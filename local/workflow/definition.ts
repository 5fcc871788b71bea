/**
 * Gets the content workflow definition the way AWS gets it: synthesize the CDK app in-process
 * (bundling skipped), take the state machine's DefinitionString from the template and resolve
 * its intrinsic functions (Lambda ARNs, partition). The state name -> handler entry map comes
 * from the metadata the ContentWorkflow construct writes, so the local runner runs each Task
 * with the same handler file the Lambda function is built from. Local use only.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where relative handler entries (TASK_HANDLERS) are resolved from. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '123456789012';

// ASL types are owned by aws-local-stepfunctions; a structural view is enough here.
export type AslDefinition = {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  Comment?: string;
};
export type AslState = Record<string, unknown> & {
  Type: string;
  Resource?: string;
  Parameters?: unknown;
  TimeoutSeconds?: number;
};

export interface WorkflowDefinition {
  definition: AslDefinition;
  /** State name -> repo-relative handler entry (exports `handler`). */
  handlers: Record<string, string>;
  /**
   * State name -> the timeout (s) of the Lambda function it invokes, from the template: the local
   * runner gives each handler the same remaining time (and the same end) as Lambda would.
   */
  lambdaTimeouts?: Record<string, number>;
  /** Where the definition came from (for the startup log). */
  origin: string;
}

type Template = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
};

/** Resolves the few intrinsics a DefinitionString contains into local, valid strings. */
export function resolveIntrinsics(value: unknown, template: Template): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveIntrinsics(p, template)).join(sep);
  }
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [id, attr] = v['Fn::GetAtt'] as [string, string];
    const res = template.Resources[id];
    if (attr === 'Arn' && res?.Type === 'AWS::Lambda::Function')
      return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${id}`;
    return `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${id}/${attr}`;
  }
  if (typeof v.Ref === 'string') {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': LOCAL_REGION,
      'AWS::AccountId': LOCAL_ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': 'local',
    };
    return pseudo[v.Ref] ?? v.Ref;
  }
  if (v['Fn::ImportValue'] !== undefined)
    return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:imported-${resolveIntrinsics(v['Fn::ImportValue'], template)}`;
  throw new Error(`cannot resolve intrinsic in state machine definition: ${JSON.stringify(value).slice(0, 200)}`);
}

/** Finds the content workflow state machine in synthesized templates. */
export function extractWorkflow(
  templates: Array<{ name: string; template: Template }>,
  metadataKey: string,
): WorkflowDefinition {
  for (const { name, template } of templates) {
    for (const [id, res] of Object.entries(template.Resources ?? {})) {
      if (res.Type !== 'AWS::StepFunctions::StateMachine' || !res.Metadata?.[metadataKey]) continue;
      const raw = res.Properties?.DefinitionString;
      const definition = JSON.parse(resolveIntrinsics(raw, template)) as AslDefinition;
      return {
        definition,
        handlers: res.Metadata[metadataKey] as Record<string, string>,
        lambdaTimeouts: lambdaTimeoutsOf(definition, template),
        origin: `${name}/${id}`,
      };
    }
  }
  throw new Error('no content workflow state machine found in the synthesized app');
}

/** Every Task state (Map and Parallel bodies included) -> its Lambda function's Timeout property. */
function lambdaTimeoutsOf(
  def: AslDefinition,
  template: Template,
  out: Record<string, number> = {},
): Record<string, number> {
  for (const [name, state] of Object.entries(def.States)) {
    if (state.Type === 'Task') {
      const params = state.Parameters as { FunctionName?: unknown } | undefined;
      const arn = String(typeof params?.FunctionName === 'string' ? params.FunctionName : (state.Resource ?? ''));
      const id = /:function:([^:]+)/.exec(arn)?.[1];
      const timeout = id ? template.Resources[id]?.Properties?.Timeout : undefined;
      if (typeof timeout === 'number') out[name] = timeout;
    }
    const nested = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
    if (nested) lambdaTimeoutsOf(nested, template, out);
    for (const b of (state.Branches as AslDefinition[] | undefined) ?? []) lambdaTimeoutsOf(b, template, out);
  }
  return out;
}

/** Files whose content decides the synthesized definition (the CDK app, the pipeline's names, the CDK version). */
function synthInputsHash(): string {
  const h = createHash('sha256');
  const add = (file: string) => {
    if (!existsSync(file)) return;
    h.update(path.relative(REPO_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  };
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts')) add(full);
    }
  };
  walk(path.join(REPO_ROOT, 'lib'));
  for (const f of [
    'functions/domain/pipeline.ts',
    'functions/shared/errors.ts',
    'local/workflow/definition.ts',
    'package-lock.json',
  ])
    add(path.join(REPO_ROOT, f));
  return h.digest('hex').slice(0, 32);
}

/**
 * Synthesizes the app and returns the workflow. Uses lib/app.ts `buildApp` (the real app) when
 * it exists; otherwise a stack holding only ContentWorkflow with placeholder functions.
 *
 * Synthesizing the whole app takes 10+ s on a small machine, so the result is cached under
 * node_modules/.cache/svp keyed by a hash of every file that can change it (lib/**, the pipeline's
 * task and error names, package-lock.json). `cache: false` (or SVP_SYNTH_CACHE=0) always synthesizes.
 */
export async function loadWorkflowDefinition(
  opts: { log?: (m: string) => void; cache?: boolean } = {},
): Promise<WorkflowDefinition> {
  const useCache = (opts.cache ?? true) && process.env.SVP_SYNTH_CACHE !== '0';
  const cacheFile = useCache
    ? path.join(REPO_ROOT, 'node_modules/.cache/svp', `workflow-definition-${synthInputsHash()}.json`)
    : undefined;
  if (cacheFile && existsSync(cacheFile)) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as WorkflowDefinition;
      opts.log?.(`workflow definition from ${cached.origin} (cached synth)`);
      return cached;
    } catch {
      /* a torn cache file: synthesize again */
    }
  }
  const wf = await synthesizeWorkflow(opts);
  if (cacheFile) {
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(wf));
    renameSync(tmp, cacheFile);
  }
  return wf;
}

async function synthesizeWorkflow(opts: { log?: (m: string) => void }): Promise<WorkflowDefinition> {
  // The built-in CloudFormation rule engine adds seconds to every synth and checks nothing the
  // local runner needs (cdk-nag and the infra tests run it for real).
  const prev = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const { LOCAL_HANDLERS_METADATA } = await import('../../lib/constructs/content-workflow.js');
    const appFile = path.join(REPO_ROOT, 'lib/app.ts');
    let assembly: { stacks: Array<{ stackName: string; template: unknown }> };
    let origin: string;
    if (existsSync(appFile)) {
      const mod = (await import(pathToFileURL(appFile).href)) as {
        buildApp?: (o: { stage: string; skipBundling: boolean }) => { app: { synth(): typeof assembly } };
      };
      if (typeof mod.buildApp !== 'function') throw new Error('lib/app.ts does not export buildApp');
      assembly = mod.buildApp({ stage: 'local', skipBundling: true }).app.synth();
      origin = 'lib/app.ts buildApp';
    } else {
      assembly = (await synthStandalone()).synth();
      origin = 'standalone ContentWorkflow stack';
    }
    const wf = extractWorkflow(
      assembly.stacks.map((s) => ({ name: s.stackName, template: s.template as Template })),
      LOCAL_HANDLERS_METADATA,
    );
    opts.log?.(`workflow definition from ${origin} (${wf.origin})`);
    return { ...wf, origin: `${origin}: ${wf.origin}` };
  } finally {
    if (prev === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = prev;
  }
}

/** A minimal app: only the workflow, with inline placeholder functions (never deployed). */
async function synthStandalone() {
  const { App, Stack } = await import('aws-cdk-lib');
  const lambda = await import('aws-cdk-lib/aws-lambda');
  const { ContentWorkflow, TASK_HANDLERS } = await import('../../lib/constructs/content-workflow.js');
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'LocalWorkflow');
  const tasks = Object.fromEntries(
    Object.keys(TASK_HANDLERS).map((name) => [
      name,
      new lambda.Function(stack, `Fn-${name}`, {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => { throw new Error("placeholder"); };'),
      }),
    ]),
  ) as unknown as ConstructorParameters<typeof ContentWorkflow>[2]['tasks'];
  new ContentWorkflow(stack, 'ContentWorkflow', { tasks });
  return app;
}
