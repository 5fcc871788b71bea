/**
 * Builds the real CDK app (real stage config, bundling skipped) and gives tests its templates.
 * One build per stage per test file: synthesis is the slow part.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnResource } from 'aws-cdk-lib';
import { afterAll, beforeAll } from 'vitest';
import { buildApp, type BuiltApp } from '../../lib/app.js';
import type { StageConfig } from '../../lib/config/stages.js';

export interface SynthesizedApp extends BuiltApp {
  data: Template;
  appT: Template;
  /** Raw templates by stack name. */
  templates: Record<string, CfnTemplate>;
}

export interface CfnTemplate {
  Resources: Record<
    string,
    { Type: string; Properties?: Record<string, any>; DependsOn?: string[]; Metadata?: Record<string, any> }
  >;
}

const outdirs: string[] = [];

/** A fresh cloud-assembly directory, removed by `removeOutdirs()`. */
export function tempOutdir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  outdirs.push(dir);
  return dir;
}

/** Call from afterAll: removes every directory handed out by tempOutdir. */
export function removeOutdirs(): void {
  for (const d of outdirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** `config` replaces the stage's own configuration (a variant of it). */
export function synthesize(
  stage: 'dev' | 'prod',
  opts: { nag?: boolean; config?: StageConfig; context?: Record<string, unknown> } = {},
): SynthesizedApp {
  const built = buildApp({
    stage,
    config: opts.config,
    context: opts.context,
    skipBundling: true,
    nag: opts.nag ?? false,
    cfnValidation: false,
    outdir: tempOutdir(`svp-cdk-${stage}-`),
  });
  const assembly = built.app.synth();
  const templates = Object.fromEntries(assembly.stacks.map((s) => [s.stackName, s.template as CfnTemplate]));
  return { ...built, data: Template.fromStack(built.dataStack), appT: Template.fromStack(built.appStack), templates };
}

/**
 * The real prod and dev stages, synthesized once before the tests of the file; after them every
 * synthesized output of the file (also the tests' own variants) is removed.
 */
export function realStagesForAll(): Record<'prod' | 'dev', () => SynthesizedApp> {
  const apps: Partial<Record<'prod' | 'dev', SynthesizedApp>> = {};
  beforeAll(() => {
    apps.prod = synthesize('prod');
    apps.dev = synthesize('dev');
  });
  afterAll(removeOutdirs);
  const synthesized = (stage: 'prod' | 'dev') => () => {
    const app = apps[stage];
    if (!app) throw new Error(`the ${stage} stage is only synthesized for the tests of the file`);
    return app;
  };
  return { prod: synthesized('prod'), dev: synthesized('dev') };
}

/** Logical id of a construct's CfnResource in its stack. */
export function logicalId(res: CfnResource): string {
  return res.stack.getLogicalId(res);
}

/** Every IAM statement of every policy in the given templates, with where it lives. */
export function allStatements(templates: Record<string, CfnTemplate>): Array<{
  stack: string;
  resource: string;
  kind: string;
  attachedTo: unknown;
  statement: { Effect: string; Action: string | string[]; Resource?: unknown };
}> {
  const out: ReturnType<typeof allStatements> = [];
  for (const [stack, t] of Object.entries(templates)) {
    for (const [id, r] of Object.entries(t.Resources ?? {})) {
      const push = (doc: any, attachedTo: unknown) => {
        for (const s of doc?.Statement ?? []) out.push({ stack, resource: id, kind: r.Type, attachedTo, statement: s });
      };
      if (r.Type === 'AWS::IAM::Policy') push(r.Properties?.PolicyDocument, r.Properties?.Roles);
      if (r.Type === 'AWS::IAM::ManagedPolicy')
        push(r.Properties?.PolicyDocument, r.Properties?.Roles ?? 'attached via role ManagedPolicyArns');
      if (r.Type === 'AWS::IAM::Role') {
        for (const p of r.Properties?.Policies ?? []) push(p.PolicyDocument, [{ Ref: id }]);
      }
    }
  }
  return out;
}

export const actionsOf = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
