/**
 * Builds the whole CDK app in-process: used by bin/app.ts (the CLI), the infra tests and the local
 * runner (which synthesizes it to take the state machine definition). No process.env reads here:
 * the caller passes the stage and any context.
 */
import { App, type Stack, Token, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { FEATURE_FLAGS } from './config/feature-flags.js';
import { checkReservedConcurrency, type Reservation, stageConfig, type StageConfig } from './config/stages.js';
import { AwsSolutionsWithAllowances } from './constructs/nag.js';
import { AppStack } from './stacks/app-stack.js';
import { BackupCopyVaultStack } from './stacks/backup-copy-vault-stack.js';
import { DataStack } from './stacks/data-stack.js';

export interface BuildAppOptions {
  /**
   * `dev` | `prod`; `local` = the dev config synthesized for the local runner (no nag plugin,
   * nothing deployed). Default: the `stage` context value, else `dev`.
   */
  stage?: string;
  /** Extra CDK context (e.g. `deployId`; `skipBundling: 'true'` works like the option). */
  context?: Record<string, unknown>;
  /** Skip esbuild bundling for every stack (tests, local runner). */
  skipBundling?: boolean;
  /** Register cdk-nag AwsSolutions as a validation plugin (synth fails on findings). Default: on, except `local`. */
  nag?: boolean;
  /**
   * CDK's built-in CloudFormation schema validation at synth (tens of seconds for this app).
   * Default: on, except `local`; tests that only read templates turn it off.
   */
  cfnValidation?: boolean;
  /** Where the cloud assembly goes (tests use a temp dir). */
  outdir?: string;
  /** Replaces the named stage's configuration (tests of configuration variants). */
  config?: StageConfig;
}

export interface BuiltApp {
  app: App;
  dataStack: DataStack;
  appStack: AppStack;
  config: StageConfig;
  backupCopyStack?: BackupCopyVaultStack;
}

export function buildApp(opts: BuildAppOptions = {}): BuiltApp {
  const context: Record<string, unknown> = {
    ...FEATURE_FLAGS,
    ...(opts.context ?? {}),
    ...(opts.skipBundling ? { 'aws:cdk:bundling-stacks': [] } : {}),
  };
  const requested = opts.stage ?? (opts.context?.stage as string | undefined);
  const app = new App({
    context,
    outdir: opts.outdir,
    builtinCloudFormationValidation: opts.cfnValidation ?? (requested === 'local' ? false : undefined),
  });
  // `-c skipBundling=true` from the CLI; set before any stack exists, as bundling reads it.
  if (!opts.skipBundling && String(app.node.tryGetContext('skipBundling')) === 'true')
    app.node.setContext('aws:cdk:bundling-stacks', []);
  const stage = requested ?? (app.node.tryGetContext('stage') as string | undefined) ?? 'dev';
  const local = stage === 'local';
  const staged = opts.config ?? stageConfig(local ? 'dev' : stage);
  // `-c firstDeploy=true`: a stage's first deploy cannot point Cognito at the SES identity the same
  // deploy creates (SES verifies it later, asynchronously), so its mail stays on Cognito's sender
  // until a second deploy without the flag (docs/deploy.md, "Cognito's own mail").
  const firstDeploy = String(app.node.tryGetContext('firstDeploy')) === 'true';
  const config: StageConfig =
    firstDeploy && staged.auth.email ? { ...staged, auth: { ...staged.auth, email: undefined } } : staged;
  const env = config.env;
  const deployId = app.node.tryGetContext('deployId') as string | undefined;

  const dataStack = new DataStack(app, `${config.prefix}-data`, {
    config,
    env,
    description: `Social visual pipeline (${config.stage}): network, database, storage, keys`,
    terminationProtection: config.stage === 'prod',
  });
  let backupCopyStack: BackupCopyVaultStack | undefined;
  if (config.backup.copyToRegion) {
    backupCopyStack = new BackupCopyVaultStack(app, `${config.prefix}-backup-copy`, {
      prefix: config.prefix,
      env: { account: env?.account, region: config.backup.copyToRegion },
      description: `Social visual pipeline (${config.stage}): cross-region backup copies`,
    });
    dataStack.addStackDependency(backupCopyStack, 'the copy vault must exist before the backup plan copies into it');
  }
  const appStack = new AppStack(app, `${config.prefix}-app`, {
    config,
    data: dataStack,
    env,
    deployId,
    description: `Social visual pipeline (${config.stage}): API, functions, workflow, schedules, alarms`,
  });
  // Every function of the stage's region, whichever construct made it (custom resources too).
  checkReservedConcurrency(config, reservationsIn([dataStack, appStack]));

  if (opts.nag ?? !local) Validations.of(app).addPlugins(new AwsSolutionsWithAllowances(app));
  return { app, dataStack, appStack, config, backupCopyStack };
}

/** The reserved concurrency of every Lambda function in the given stacks. */
function reservationsIn(stacks: readonly Stack[]): Reservation[] {
  return stacks.flatMap((stack) =>
    stack.node
      .findAll()
      .filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction)
      .flatMap((f) => {
        const reserved = f.reservedConcurrentExecutions;
        if (reserved === undefined) return [];
        if (Token.isUnresolved(reserved))
          throw new Error(`${f.node.path}: reserved concurrency must be a plain number`);
        return [{ name: f.node.scope?.node.path ?? f.node.path, reserved }];
      }),
  );
}
