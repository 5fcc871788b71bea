/**
 * Lambda defaults for every function of the product, and the only way functions get env + grants:
 * each `bind*()` sets the environment variables a handler's zod env schema expects *and* the IAM
 * grant (and network path) that makes them usable, in one call.
 */
import path from 'node:path';
import { type Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ses from 'aws-cdk-lib/aws-ses';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { metricsNamespace } from '../../functions/shared/metric-names.js';
import { FREEPIK_APIS, type FunctionGroup, type LambdaArch, type StageConfig } from '../config/stages.js';
import { APP_DB_USER, type Database } from './database.js';
import { acknowledge, allowWildcards, type WildcardAllowance } from './nag.js';
import { loadFreepikConfig } from '../../functions/adapters/freepik/config.js';
import { OBJECT_STORE_PERMISSIONS, type ObjectStore } from '../../functions/adapters/storage/object-store.js';

/**
 * esbuild options shared by CDK bundling and the bundle-size test (test/infra), so what is measured
 * is what is deployed.
 */
export const BUNDLE_OPTIONS = {
  format: 'esm' as const,
  target: 'node22',
  platform: 'node' as const,
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  // ESM output, but some dependencies still call require() (postgres.js optional deps, etc.).
  banner:
    "import { createRequire as __svpCreateRequire } from 'node:module';const require = __svpCreateRequire(import.meta.url);",
  /**
   * Provided by the Lambda Node.js runtime. Only the clients: utilities such as the presigner or
   * the RDS signer are bundled so their presence never depends on the runtime's SDK snapshot.
   */
  external: ['@aws-sdk/client-*'],
};

/** BUNDLE_OPTIONS in esbuild's own terms, for the tests and benches that bundle a function like synth does. */
export const ESBUILD_OPTIONS = {
  bundle: true,
  format: BUNDLE_OPTIONS.format,
  platform: BUNDLE_OPTIONS.platform,
  target: BUNDLE_OPTIONS.target,
  mainFields: BUNDLE_OPTIONS.mainFields,
  minify: BUNDLE_OPTIONS.minify,
  sourcemap: BUNDLE_OPTIONS.sourcemap,
  sourcesContent: BUNDLE_OPTIONS.sourcesContent,
  banner: { js: BUNDLE_OPTIONS.banner },
};

/** Amazon's CA certificates (RDS CAs included) in the Lambda Node.js runtime, not loaded by default since Node.js 20. */
export const LAMBDA_AMAZON_CA_FILE = '/var/runtime/ca-cert.pem';

/** Native modules installed (not bundled) into rendering functions, for the target platform. */
export const SHARP_NODE_MODULES = ['sharp'];

export type BucketAccess = 'read' | 'write' | 'readwrite' | 'manage';
/**
 * The object-store operations each access mode allows. The grant is the union of what those
 * operations declare (OBJECT_STORE_PERMISSIONS): `head` (re-drives and upload confirmation ask
 * whether an object exists) brings s3:ListBucket on the bucket itself.
 */
export const BUCKET_MODE_OPERATIONS: Record<BucketAccess, ReadonlyArray<keyof ObjectStore>> = {
  read: ['get', 'presignGet', 'publicUrl'],
  write: ['put', 'presignPut', 'publicUrl'],
  readwrite: ['get', 'presignGet', 'put', 'presignPut', 'head', 'copy', 'publicUrl'],
  manage: ['get', 'presignGet', 'put', 'presignPut', 'head', 'copy', 'delete', 'publicUrl'],
};
function bucketActions(mode: BucketAccess, on: 'object' | 'bucket'): string[] {
  const all = BUCKET_MODE_OPERATIONS[mode].flatMap(
    (op) => OBJECT_STORE_PERMISSIONS[op] as ReadonlyArray<{ action: string; on: string }>,
  );
  return [...new Set(all.filter((p) => p.on === on).map((p) => p.action))].sort();
}

/** The Step Functions callback actions; IAM does not support resource-level scoping for them. */
export const TASK_TOKEN_ACTIONS = ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'];

/** Why the task-token actions carry `Resource: *` (bindTaskTokens). */
const TASK_TOKENS_TAKE_NO_RESOURCE: WildcardAllowance = {
  pattern: /^Resource::\*$/,
  reason:
    'states:SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat accept no resource ARN (IAM service ' +
    'authorization reference); scoped by granting them to the approval-decision role alone.',
};

/** Why Stop/DescribeExecution name `execution:<machine>:*` (bindStateMachine). */
const PER_REQUEST_EXECUTIONS: WildcardAllowance = {
  pattern: /^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:.*:\*$/,
  reason:
    'StopExecution/DescribeExecution take an execution ARN; executions are named per request at runtime, ' +
    'and the ARN prefix pins them to this one state machine.',
};

export interface FunctionBaselineProps {
  readonly config: StageConfig;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** Default security group of functions (allowed into the RDS Proxy). */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Absolute project root (package.json + package-lock.json). */
  readonly projectRoot: string;
}

/**
 * What every function in a stack shares: network placement, the one managed policy with the
 * actions IAM cannot scope (X-Ray segments, VPC ENIs), and per-bucket access policies.
 */
export class FunctionBaseline extends Construct {
  readonly config: StageConfig;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly projectRoot: string;
  /** X-Ray + ENI management: the only `Resource: *` statements, in one place. */
  readonly runtimePolicy: iam.ManagedPolicy;
  private readonly bucketPolicies = new Map<string, iam.ManagedPolicy>();

  constructor(scope: Construct, id: string, props: FunctionBaselineProps) {
    super(scope, id);
    this.config = props.config;
    this.vpc = props.vpc;
    this.subnets = props.subnets;
    this.securityGroup = props.securityGroup;
    this.projectRoot = props.projectRoot;
    this.runtimePolicy = new iam.ManagedPolicy(this, 'RuntimePolicy', {
      description: 'Lambda runtime needs of every application function: X-Ray segments and VPC network interfaces',
      statements: [
        new iam.PolicyStatement({
          sid: 'XRay',
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'VpcNetworkInterfaces',
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      ],
    });
    acknowledge(
      this.runtimePolicy,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords and the EC2 network-interface actions Lambda uses for VPC ' +
        'attachment support no resource-level permissions (same statements as the AWS managed ' +
        'AWSXRayDaemonWriteAccess / AWSLambdaVPCAccessExecutionRole, kept in one customer-managed policy).',
    );
  }

  /** One managed policy per (bucket, access mode), shared by every function bound that way. */
  bucketPolicy(bucket: s3.IBucket, mode: BucketAccess): iam.ManagedPolicy {
    const key = `${bucket.node.addr}:${mode}`;
    let policy = this.bucketPolicies.get(key);
    if (!policy) {
      const objectActions = bucketActions(mode, 'object');
      const bucketLevel = bucketActions(mode, 'bucket');
      policy = new iam.ManagedPolicy(
        this,
        `Bucket${mode[0].toUpperCase()}${mode.slice(1)}${this.bucketPolicies.size}`,
        {
          description: `Objects of ${bucket.node.path}: ${[...objectActions, ...bucketLevel].join(', ')}`,
          statements: [
            new iam.PolicyStatement({ actions: objectActions, resources: [bucket.arnForObjects('*')] }),
            ...(bucketLevel.length
              ? [new iam.PolicyStatement({ actions: bucketLevel, resources: [bucket.bucketArn] })]
              : []),
          ],
        },
      );
      allowWildcards(policy, [
        {
          pattern: /^Resource::.*\/\*$/,
          reason:
            'Object keys are generated per tenant and request at runtime (orgs/<orgId>/...); access is limited to ' +
            'the listed object actions on this one bucket.',
        },
      ]);
      this.bucketPolicies.set(key, policy);
    }
    return policy;
  }
}

export interface AppFunctionProps {
  readonly baseline: FunctionBaseline;
  /** Handler module relative to the project root, e.g. `functions/handlers/api/me.ts` (exports `handler`). */
  readonly entry: string;
  readonly group: FunctionGroup;
  /** POWERTOOLS_SERVICE_NAME: the `service` key in every log line and metric. */
  readonly serviceName: string;
  readonly description?: string;
  /** Install sharp's native binaries for the function's architecture (rendering functions only). */
  readonly sharp?: boolean;
  /** Further packages installed next to the bundle instead of bundled (e.g. font packages read from disk). */
  readonly nodeModules?: string[];
  /** Directories copied next to the bundle: project-relative `from` -> bundle-relative `to`. */
  readonly copyDirs?: Array<{ from: string; to: string }>;
  /** Overrides the baseline security group (the migration function reaches the writer directly). */
  readonly securityGroup?: ec2.ISecurityGroup;
  readonly environment?: Record<string, string>;
  readonly reservedConcurrency?: number;
  /** Overrides the group's memory (e.g. a job's own suggestion). */
  readonly memoryMb?: number;
  /** Overrides the group's timeout. */
  readonly timeout?: Duration;
}

const RUNTIMES = { 'nodejs22.x': lambda.Runtime.NODEJS_22_X, 'nodejs24.x': lambda.Runtime.NODEJS_24_X } as const;
const ARCHS: Record<LambdaArch, { lambda: lambda.Architecture; npmCpu: string }> = {
  arm64: { lambda: lambda.Architecture.ARM_64, npmCpu: 'arm64' },
  x86_64: { lambda: lambda.Architecture.X86_64, npmCpu: 'x64' },
};
const LOG_LEVELS = {
  DEBUG: lambda.ApplicationLogLevel.DEBUG,
  INFO: lambda.ApplicationLogLevel.INFO,
  WARN: lambda.ApplicationLogLevel.WARN,
  ERROR: lambda.ApplicationLogLevel.ERROR,
} as const;

/**
 * A Node.js function with the product's defaults: ESM bundle (minified, source maps), arm64 or
 * x86_64 per stage, memory/timeout per function group, JSON logs into its own log group with the
 * stage's retention, X-Ray active, Powertools env, inside the VPC's app subnets, its own role.
 */
export class AppFunction extends nodejs.NodejsFunction {
  /** The handler module this function runs (project-relative), for the local runner and tests. */
  readonly entryPath: string;
  readonly group: FunctionGroup;
  readonly includesSharp: boolean;
  /** Why it carries sharp (from lib/config/functions.ts), when it does. */
  sharpReason?: string;
  /** The function's own log group (retention from the stage). */
  readonly functionLogGroup: logs.LogGroup;
  private readonly baseline: FunctionBaseline;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    const { baseline } = props;
    const { config } = baseline;
    const sizing = config.lambda.groups[props.group];
    const arch = ARCHS[config.lambda.architecture];
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: config.logs.retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.entry} (${config.stage})`,
      // In ManagedPolicyArns (not attached separately) so the function waits for it: Lambda checks
      // the ENI permissions when the function is created.
      managedPolicies: [baseline.runtimePolicy],
    });
    logGroup.grantWrite(role);

    const nodeModules = [...(props.sharp ? SHARP_NODE_MODULES : []), ...(props.nodeModules ?? [])];
    const copyDirs = props.copyDirs ?? [];
    super(scope, id, {
      entry: path.join(baseline.projectRoot, props.entry),
      handler: 'handler',
      projectRoot: baseline.projectRoot,
      depsLockFilePath: path.join(baseline.projectRoot, 'package-lock.json'),
      description: props.description ?? props.entry,
      runtime: RUNTIMES[config.lambda.runtime],
      architecture: arch.lambda,
      memorySize: props.memoryMb ?? sizing.memoryMb,
      timeout: props.timeout ?? sizing.timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: LOG_LEVELS[config.logs.level],
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      vpc: baseline.vpc,
      vpcSubnets: baseline.subnets,
      securityGroups: [props.securityGroup ?? baseline.securityGroup],
      reservedConcurrentExecutions: props.reservedConcurrency,
      awsSdkConnectionReuse: false,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        STAGE: config.stage,
        APP_MODE: 'aws',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(config.stage),
        POWERTOOLS_LOG_LEVEL: config.logs.level,
        LOG_LEVEL: config.logs.level,
        ...props.environment,
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: BUNDLE_OPTIONS.target,
        mainFields: BUNDLE_OPTIONS.mainFields,
        minify: BUNDLE_OPTIONS.minify,
        sourceMap: BUNDLE_OPTIONS.sourcemap,
        sourcesContent: BUNDLE_OPTIONS.sourcesContent,
        banner: BUNDLE_OPTIONS.banner,
        externalModules: BUNDLE_OPTIONS.external,
        nodeModules: nodeModules.length ? nodeModules : undefined,
        // npm installs native packages for the Lambda platform, not the build machine's; the
        // cache first, so a machine that bundled once can synth offline.
        environment: nodeModules.length
          ? {
              npm_config_os: 'linux',
              npm_config_cpu: arch.npmCpu,
              npm_config_libc: 'glibc',
              npm_config_prefer_offline: 'true',
              npm_config_audit: 'false',
              npm_config_fund: 'false',
            }
          : undefined,
        // Also passed to `npm ci --loglevel`, so it must be a level both tools know.
        logLevel: nodejs.LogLevel.ERROR,
        commandHooks: copyDirs.length
          ? {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (inputDir: string, outputDir: string) =>
                copyDirs.map(
                  (d) =>
                    `mkdir -p "${path.join(outputDir, d.to)}" && cp -R "${path.join(inputDir, d.from)}/." "${path.join(outputDir, d.to)}"`,
                ),
            }
          : undefined,
      },
    });
    this.entryPath = props.entry;
    this.group = props.group;
    this.includesSharp = !!props.sharp;
    this.functionLogGroup = logGroup;
    this.baseline = baseline;

    // Tracing set on the L1: the L2 `tracing` prop would add a `Resource: *` X-Ray statement to
    // every role; the shared runtime policy carries it once instead.
    (this.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    // Lets the local runner and tooling map a function in the template back to its handler.
    (this.node.defaultChild as lambda.CfnFunction).addMetadata('svp:handler', props.entry);

    if (config.lambda.runtime !== 'nodejs24.x') {
      acknowledge(
        this,
        'AwsSolutions-L1',
        `Runtime pinned to ${config.lambda.runtime} by stage config: the tested toolchain (sharp binaries, ` +
          `esbuild target) targets it; moving is a one-line config change (docs/deploy.md).`,
      );
    }
  }

  /** The role every grant lands on. */
  get executionRole(): iam.Role {
    return this.role as iam.Role;
  }

  /**
   * DATABASE_URL (read/write proxy endpoint) and DATABASE_READ_URL (read-only endpoint, or the same
   * URL when the stage has no reader), both `postgres://svp_app@<proxy>:5432/<db>?sslmode=verify-full`
   * without a password: DATABASE_IAM_AUTH=true tells the DB adapter to pass an RDS IAM auth token
   * as the password (`password: () => signer.getAuthToken()` with @aws-sdk/rds-signer; tokens
   * live 15 minutes and are only needed at connect time). Grants rds-db:connect as `svp_app` on
   * the proxy; the security group already admits functions to the proxy.
   */
  bindDatabase(db: Database): this {
    const rw = db.urlFor(db.proxy.endpoint);
    this.addEnvironment('DATABASE_URL', rw);
    this.addEnvironment('DATABASE_READ_URL', db.readerEndpoint ? db.urlFor(db.readerEndpoint.endpoint) : rw);
    this.addEnvironment('DATABASE_IAM_AUTH', 'true');
    db.proxy.grantConnect(this, APP_DB_USER);
    return this;
  }

  /**
   * Owner access for the migration function only: DB_OWNER_SECRET_ARN (master secret JSON: host,
   * port, username, password, dbname of the writer) and DB_APP_SECRET_ARN (the password the
   * migration sets on `svp_app`, which the proxy then uses). Grants read on exactly these two.
   */
  bindDatabaseOwner(db: Database): this {
    this.addEnvironment('DB_OWNER_SECRET_ARN', db.ownerSecret.secretArn);
    this.addEnvironment('DB_APP_SECRET_ARN', db.appSecret.secretArn);
    this.addEnvironment('DB_NAME', db.databaseName);
    // The writer presents a certificate from the RDS CA, which Node does not ship; the Lambda
    // Node.js runtime keeps the Amazon CAs (RDS included) in this file, loaded only when asked.
    this.addEnvironment('DB_SSLMODE', 'verify-full');
    this.addEnvironment('NODE_EXTRA_CA_CERTS', LAMBDA_AMAZON_CA_FILE);
    this.grantSecretValue(db.ownerSecret);
    this.grantSecretValue(db.appSecret);
    return this;
  }

  /**
   * ASSET_BUCKET (+ ASSET_CDN_DOMAIN when given) and exactly the actions the object-store
   * operations of `mode` declare (BUCKET_MODE_OPERATIONS): read = GetObject; readwrite adds
   * PutObject and, for HEAD, ListBucket on the bucket; manage adds DeleteObject. Presigned URLs
   * carry the signer's permissions, so a function that presigns uploads needs write.
   */
  bindBucket(bucket: s3.IBucket, mode: BucketAccess, opts: { cdnDomain?: string } = {}): this {
    this.addEnvironment('ASSET_BUCKET', bucket.bucketName);
    if (opts.cdnDomain) this.addEnvironment('ASSET_CDN_DOMAIN', opts.cdnDomain);
    this.executionRole.addManagedPolicy(this.baseline.bucketPolicy(bucket, mode));
    return this;
  }

  /** STATE_MACHINE_ARN; StartExecution on this state machine, Stop/DescribeExecution on its executions. */
  bindStateMachine(sm: sfn.IStateMachine): this {
    this.addEnvironment('STATE_MACHINE_ARN', sm.stateMachineArn);
    sm.grantStartExecution(this);
    // DescribeExecution: a repeated start asks whether the run's execution still runs (sfn-starter.ts).
    sm.grantExecution(this, 'states:StopExecution', 'states:DescribeExecution');
    allowWildcards(this.executionRole, [PER_REQUEST_EXECUTIONS]);
    return this;
  }

  /**
   * states:SendTaskSuccess/Failure/Heartbeat — for the function that records approval decisions,
   * and no other. IAM does not support resource-level permissions for these actions, so the
   * scoping is by role: only this function's role holds them, and task tokens never leave the
   * server (tests assert no other policy in the app contains them).
   */
  bindTaskTokens(sm: sfn.IStateMachine): this {
    // The approval services switch to Step Functions callbacks when STATE_MACHINE_ARN is set; no
    // start/stop permission comes with it.
    this.addEnvironment('STATE_MACHINE_ARN', sm.stateMachineArn);
    this.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'ApprovalTaskCallbacks', actions: TASK_TOKEN_ACTIONS, resources: ['*'] }),
    );
    allowWildcards(this.executionRole, [TASK_TOKENS_TAKE_NO_RESOURCE]);
    return this;
  }

  /** FIELD_KMS_KEY_ID (the key ARN); the KMS data-key actions the AES-256-GCM envelope needs, on this key only. */
  bindFieldKey(key: kms.IKey): this {
    this.addEnvironment('FIELD_KMS_KEY_ID', key.keyArn);
    key.grant(this, 'kms:GenerateDataKey', 'kms:Decrypt');
    return this;
  }

  /** EVENT_BUS_NAME; PutEvents on this bus only. */
  bindEventBus(bus: events.IEventBus): this {
    this.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
    bus.grantPutEventsTo(this);
    return this;
  }

  /**
   * MAIL_FROM; ses:SendEmail/SendRawEmail through this identity and, in the SES sandbox, to the
   * verified recipient identities (SES checks both there: SES_MAILER_PERMISSIONS).
   */
  bindMail(
    identity: ses.EmailIdentity,
    senderAddress: string,
    sandboxRecipients: readonly ses.EmailIdentity[] = [],
  ): this {
    this.addEnvironment('MAIL_FROM', senderAddress);
    identity.grantSendEmail(this);
    for (const r of sandboxRecipients) r.grantSendEmail(this);
    return this;
  }

  /**
   * FREEPIK_BASE_URL + FREEPIK_KEY_HEADER (the stage's API name, see FREEPIK_APIS), the download
   * allow-list when the stage replaces it, and FREEPIK_API_KEY_SECRET_ARN (the key itself never
   * sits in the function configuration); read on that one secret. Checked at synth with the
   * function's own parser, so a bad value fails here and not at the first cold start.
   */
  bindFreepik(secret: secretsmanager.ISecret, api: StageConfig['freepik']): this {
    for (const [k, v] of Object.entries(freepikEnvironment(api))) this.addEnvironment(k, v);
    this.addEnvironment('FREEPIK_API_KEY_SECRET_ARN', secret.secretArn);
    this.grantSecretValue(secret);
    return this;
  }

  /**
   * GetSecretValue on one secret and Decrypt on its CMK only via Secrets Manager. Written on the
   * role (not `secret.grantRead`) because that also edits the key policy in the data stack, which
   * would make the data stack depend on this stack's roles.
   */
  private grantSecretValue(secret: secretsmanager.ISecret): void {
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [secret.secretArn],
      }),
    );
    if (secret.encryptionKey) {
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [secret.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
  }

  /** Plain configuration values (no grant involved). */
  bindConfig(values: Record<string, string>): this {
    for (const [k, v] of Object.entries(values)) this.addEnvironment(k, v);
    return this;
  }
}

/**
 * The FREEPIK_* variables for a stage's Freepik settings. Throws a readable error when the
 * function would refuse them (functions/adapters/freepik/config.ts) or when a known API host is
 * paired with the other name's key header (docs/freepik.md: keep each pair together); either
 * would otherwise show only as the first request failing in AWS.
 */
export function freepikEnvironment(api: StageConfig['freepik']): Record<string, string> {
  const env: Record<string, string> = { FREEPIK_BASE_URL: api.baseUrl, FREEPIK_KEY_HEADER: api.keyHeader };
  if (api.downloadHosts) env.FREEPIK_DOWNLOAD_HOSTS = api.downloadHosts.join(',');
  const parsed = loadFreepikConfig(env);
  const host = new URL(parsed.baseUrl).hostname;
  for (const [name, known] of Object.entries(FREEPIK_APIS)) {
    if (new URL(known.baseUrl).hostname === host && parsed.keyHeader !== known.keyHeader) {
      throw new Error(
        `freepik: ${api.baseUrl} (${name}) takes its key in ${known.keyHeader}, not ${api.keyHeader}: use FREEPIK_APIS.${name}`,
      );
    }
  }
  if (api.downloadHosts && parsed.download.allowedHosts.length === 0)
    throw new Error('freepik: downloadHosts is empty; leave it unset to derive the list from baseUrl');
  return env;
}

/** Shorthand for the construct tests and the local runner use to find every AppFunction. */
export function isAppFunction(x: unknown): x is AppFunction {
  return x instanceof AppFunction;
}
