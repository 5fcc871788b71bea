import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  API_FUNCTIONS,
  APPROVAL_DECISION_FN,
  APPROVAL_JOBS,
  CONTENT_PUBLISHED_HANDLER,
  CONTENT_PUBLISHED_NEEDS,
  DEFAULT_API_NEEDS,
  DEFAULT_JOB_NEEDS,
  EXECUTION_ENDED_HANDLER,
  EXECUTION_ENDED_NEEDS,
  DEFAULT_WORKFLOW_NEEDS,
  JOB_FUNCTIONS,
  MIGRATE_HANDLER,
  WORKFLOW_FUNCTIONS,
  type FunctionNeeds,
  type Need,
} from '../config/functions.js';
import {
  apiEntry,
  apiRoutes,
  entryExists,
  jobSchedules,
  PROJECT_ROOT,
  workflowTasks,
  type ScheduleEntry,
} from '../config/handlers.js';
import { DASHBOARD_CALLBACK_PATH, type FunctionGroup, type StageConfig } from '../config/stages.js';
import { AnalyticsSchedules } from '../constructs/analytics-schedules.js';
import { AppFunction, FunctionBaseline, type BucketAccess } from '../constructs/app-function.js';
import { Approvals } from '../constructs/approvals.js';
import { Auth } from '../constructs/auth.js';
import { ContentWorkflow } from '../constructs/content-workflow.js';
import { DeployMigrations } from '../constructs/deploy-migrations.js';
import { HTTP_API_INTEGRATION_TIMEOUT, HttpApi, type ApiRoute } from '../constructs/http-api.js';
import { acknowledge, allowWildcards } from '../constructs/nag.js';
import { Observability } from '../constructs/observability.js';
import { EXECUTION_ENDED_STATUSES, type TaskName } from '../../functions/domain/pipeline.js';
import type { DataStack } from './data-stack.js';

export interface AppStackProps extends StackProps {
  readonly config: StageConfig;
  /** Stateful resources (same app, so plain references). */
  readonly data: DataStack;
  /** API route table; defaults to functions/handlers/api/routes.ts. */
  readonly routes?: readonly ApiRoute[];
  /** Job schedules; defaults to functions/handlers/scheduled/schedules.ts. */
  readonly schedules?: readonly ScheduleEntry[];
  /** Changes per deployment (commit SHA) to run migrations on every deploy; see DeployMigrations. */
  readonly deployId?: string;
}

/** The function for a handler module that is not in the tree yet (see placeholder-handler.ts). */
const PLACEHOLDER_ENTRY = 'lib/constructs/placeholder-handler.ts';

/**
 * Everything stateless: Cognito, the HTTP API from the route table, every Lambda function (API,
 * workflow tasks, jobs, migrations, event handlers), the content workflow, schedules, mail
 * identity, event bus, alarms and dashboard. Safe to destroy and recreate.
 */
export class AppStack extends Stack {
  readonly auth: Auth;
  readonly api: HttpApi;
  readonly workflow: ContentWorkflow;
  readonly approvals: Approvals;
  readonly schedules: AnalyticsSchedules;
  readonly migrations: DeployMigrations;
  readonly observability: Observability;
  readonly baseline: FunctionBaseline;
  /** API function per route-table `fn`. */
  readonly apiFunctions: Record<string, AppFunction> = {};
  /** Workflow task function per TaskName. */
  readonly taskFunctions: Record<string, AppFunction> = {};
  /** Job function per schedule `fn`. */
  readonly jobFunctions: Record<string, AppFunction> = {};
  readonly migrateFunction: AppFunction;
  readonly publishedFunction?: AppFunction;
  readonly executionEndedFunction: AppFunction;
  readonly executionEnded: ReturnType<ContentWorkflow['onExecutionEnded']>;
  /** Handler modules referenced by a definition but missing from the tree (placeholders deployed). */
  readonly missingHandlers: string[] = [];

  private readonly needsOf = new Map<AppFunction, FunctionNeeds>();

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    const routes = props.routes ?? apiRoutes;
    const schedules = props.schedules ?? jobSchedules;

    this.baseline = new FunctionBaseline(this, 'FunctionBaseline', {
      config,
      vpc: data.network.vpc,
      subnets: data.network.appSubnets,
      securityGroup: data.database.clientSecurityGroup,
      projectRoot: PROJECT_ROOT,
    });
    this.approvals = new Approvals(this, 'Approvals', { prefix: config.prefix, email: config.email });
    this.auth = new Auth(this, 'Auth', {
      config: config.auth,
      sesIdentities: new Map([[this.approvals.identityName.toLowerCase(), this.approvals.identity]]),
    });

    // ---- functions -------------------------------------------------------------------------------
    for (const fn of new Set(routes.map((r) => r.fn))) {
      const needs = API_FUNCTIONS[fn] ?? DEFAULT_API_NEEDS;
      // A function sized like a renderer still answers behind API Gateway: past its integration
      // timeout the caller has had a 503 and the work would go on for nobody.
      const groupTimeout = config.lambda.groups[needs.group ?? 'api'].timeout;
      const limit = HTTP_API_INTEGRATION_TIMEOUT.minus(Duration.seconds(2));
      this.apiFunctions[fn] = this.fn(`Api-${fn}`, apiEntry(fn), `api-${fn}`, 'api', needs, {
        timeout: groupTimeout.toSeconds() > limit.toSeconds() ? limit : undefined,
        reservedConcurrency: config.lambda.reservedConcurrency.api,
      });
    }
    for (const [task, entry] of Object.entries(workflowTasks)) {
      this.taskFunctions[task] = this.fn(
        `Task-${task}`,
        entry,
        `task-${task}`,
        'workflow',
        WORKFLOW_FUNCTIONS[task] ?? DEFAULT_WORKFLOW_NEEDS,
        // The workflow retries a throttled invoke of these tasks patiently (content-workflow.ts).
        { reservedConcurrency: config.lambda.reservedConcurrency.tasks[task as TaskName] },
      );
    }
    for (const fn of new Set(schedules.map((s) => s.fn))) {
      const s = schedules.find((x) => x.fn === fn)!;
      const needs = JOB_FUNCTIONS[fn] ?? APPROVAL_JOBS.find((j) => j.name === fn)?.needs ?? DEFAULT_JOB_NEEDS;
      this.jobFunctions[fn] = this.fn(`Job-${fn}`, s.entry, `job-${fn}`, 'jobs', needs, {
        memoryMb: s.memoryMb,
        timeout: s.timeoutSeconds ? Duration.seconds(s.timeoutSeconds) : undefined,
      });
    }
    if (entryExists(CONTENT_PUBLISHED_HANDLER)) {
      this.publishedFunction = this.fn(
        'ContentPublished',
        CONTENT_PUBLISHED_HANDLER,
        'content-published',
        'events',
        CONTENT_PUBLISHED_NEEDS,
      );
      this.approvals.deliverPublishedTo(this.publishedFunction);
    }

    this.migrateFunction = new AppFunction(this, 'Migrate', {
      baseline: this.baseline,
      entry: this.existingOrPlaceholder(MIGRATE_HANDLER),
      group: 'migrate',
      serviceName: 'svp-migrate',
      description: 'Applies db/migrations as the owner during deployments (custom resource)',
      securityGroup: data.database.migrationSecurityGroup,
      // db/migrate.ts reads the SQL files next to itself at runtime.
      copyDirs: [{ from: 'db/migrations', to: 'migrations' }],
      reservedConcurrency: 1,
    }).bindDatabaseOwner(data.database);
    this.markIfPlaceholder(this.migrateFunction, MIGRATE_HANDLER);

    // ---- workflow -------------------------------------------------------------------------------
    const workflowLogs = new logs.LogGroup(this, 'WorkflowLogs', {
      // The /aws/vendedlogs/ prefix keeps CloudWatch's resource policy small for Step Functions.
      logGroupName: `/aws/vendedlogs/states/${config.prefix}-content-workflow`,
      retention: config.logs.retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.workflow = new ContentWorkflow(this, 'ContentWorkflow', {
      tasks: this.taskFunctions as unknown as ConstructorParameters<typeof ContentWorkflow>[2]['tasks'],
      logGroup: workflowLogs,
      tracing: true,
      stateMachineName: `${config.prefix}-content-workflow`,
    });
    this.acknowledgeWorkflowFindings();
    // A request whose execution ended without Record failure writing it (database away too long,
    // time limit, aborted by hand) is marked failed from the execution's status event.
    this.executionEndedFunction = this.fn(
      'ExecutionEnded',
      EXECUTION_ENDED_HANDLER,
      'execution-ended',
      'events',
      EXECUTION_ENDED_NEEDS,
    );
    this.executionEnded = this.workflow.onExecutionEnded(this.executionEndedFunction, EXECUTION_ENDED_STATUSES);
    acknowledge(
      this.executionEnded.dlq,
      'AwsSolutions-SQS3',
      'This queue is the dead-letter queue of the execution-ended rule target; it is alarmed on depth > 0.',
    );

    // ---- API, needs -> bind*(), schedules, migrations --------------------------------------------------
    this.api = new HttpApi(this, 'HttpApi', {
      config: config.api,
      logRetention: config.logs.retention,
      routes,
      functionFor: (fn) => this.apiFunctions[fn],
      userPool: this.auth.userPool,
      userPoolClient: this.auth.client,
    });
    this.auth.addAppUrls(this.publicBaseUrl(config));
    for (const [fn, needs] of this.needsOf) this.applyNeeds(fn, needs, config, data);

    this.schedules = new AnalyticsSchedules(this, 'Schedules', {
      prefix: config.prefix,
      config: config.schedules,
      schedules,
      functionFor: (fn) => this.jobFunctions[fn],
    });
    acknowledge(
      this.schedules.dlq,
      'AwsSolutions-SQS3',
      'This queue is the dead-letter queue of every job schedule (EventBridge Scheduler DeadLetterConfig); it is alarmed on depth > 0.',
    );
    acknowledge(
      this.approvals.publishedDlq,
      'AwsSolutions-SQS3',
      'This queue is the dead-letter queue of the content.published rule targets; it is alarmed on depth > 0.',
    );

    this.migrations = new DeployMigrations(this, 'Migrations', {
      fn: this.migrateFunction,
      projectRoot: PROJECT_ROOT,
      logRetention: config.logs.retention,
      deployId: props.deployId,
    });
    // New code only after the schema it expects exists.
    this.migrations.before(...[...this.needsOf.keys()].filter((f) => this.needsOf.get(f)!.needs.includes('db')));

    this.observability = new Observability(this, 'Observability', {
      stage: config.stage,
      prefix: config.prefix,
      alarms: config.alarms,
      api: this.api.api,
      stateMachine: this.workflow.stateMachine,
      cluster: data.database.cluster,
      proxyName: data.database.proxy.dbProxyName,
      deadLetterQueues: {
        jobs: this.schedules.dlq,
        published: this.approvals.publishedDlq,
        executions: this.executionEnded.dlq,
      },
    });

    if (this.missingHandlers.length) {
      Annotations.of(this).addWarningV2(
        'svp:missing-handlers',
        `placeholder functions deployed for missing handler modules: ${this.missingHandlers.join(', ')}`,
      );
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.publicUrl });
    if (this.api.domain && !config.api.domain?.hostedZone) {
      new CfnOutput(this, 'ApiDomainTarget', {
        value: this.api.domain.regionalDomainName,
        description: `Point ${this.api.domain.name} here (CNAME, or an alias to this name in zone ${this.api.domain.regionalHostedZoneId})`,
      });
    }
    new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.auth.client.userPoolClientId });
    new CfnOutput(this, 'HostedSignInUrl', { value: this.auth.domain.baseUrl() });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'EventBusName', { value: this.approvals.bus.eventBusName });
    new CfnOutput(this, 'DashboardName', { value: this.observability.dashboard.dashboardName });
  }

  /** Every AppFunction of the stack with the needs it was bound with. */
  get functionNeeds(): ReadonlyMap<AppFunction, FunctionNeeds> {
    return this.needsOf;
  }

  private existingOrPlaceholder(entry: string): string {
    return entryExists(entry) ? entry : PLACEHOLDER_ENTRY;
  }

  private markIfPlaceholder(fn: AppFunction, entry: string): void {
    if (entryExists(entry)) return;
    this.missingHandlers.push(entry);
    fn.addEnvironment('SVP_MISSING_HANDLER', entry);
  }

  private fn(
    id: string,
    entry: string,
    service: string,
    defaultGroup: FunctionGroup,
    needs: FunctionNeeds,
    over: { memoryMb?: number; timeout?: Duration; reservedConcurrency?: number } = {},
  ): AppFunction {
    const f = new AppFunction(this, id, {
      baseline: this.baseline,
      entry: this.existingOrPlaceholder(entry),
      group: needs.group ?? defaultGroup,
      serviceName: `svp-${service}`,
      description: entry,
      sharp: !!needs.sharp,
      nodeModules: needs.nodeModules ? [...needs.nodeModules] : undefined,
      copyDirs: needs.copyDirs ? [...needs.copyDirs] : undefined,
      ...over,
    });
    f.sharpReason = needs.sharp;
    this.markIfPlaceholder(f, entry);
    this.needsOf.set(f, needs);
    return f;
  }

  private applyNeeds(fn: AppFunction, { needs }: FunctionNeeds, config: StageConfig, data: DataStack): void {
    const has = (n: Need) => needs.includes(n);
    if (has('workflow:decide') && this.apiFunctions[APPROVAL_DECISION_FN] !== fn) {
      throw new Error(
        `${fn.node.path}: workflow:decide (SendTask*) is reserved for the '${APPROVAL_DECISION_FN}' function`,
      );
    }
    if (has('db')) fn.bindDatabase(data.database);
    const bucketMode = needs.find((n) => n.startsWith('bucket:'))?.slice('bucket:'.length) as BucketAccess | undefined;
    if (bucketMode)
      fn.bindBucket(data.storage.bucket, bucketMode, { cdnDomain: data.storage.distribution.distributionDomainName });
    if (has('workflow:start')) fn.bindStateMachine(this.workflow.stateMachine);
    if (has('workflow:decide')) fn.bindTaskTokens(this.workflow.stateMachine);
    if (has('fieldKey')) fn.bindFieldKey(data.fieldKey);
    if (has('events')) fn.bindEventBus(this.approvals.bus);
    if (has('mail'))
      fn.bindMail(this.approvals.identity, this.approvals.senderAddress, this.approvals.recipientIdentities);
    if (has('freepik')) fn.bindFreepik(data.freepikApiKey, config.freepik);
    if (has('signin'))
      fn.bindConfig({ SIGN_IN_URL: this.auth.signInUrl(`${this.publicBaseUrl(config)}${DASHBOARD_CALLBACK_PATH}`) });
    if (has('links')) fn.bindConfig({ PUBLIC_BASE_URL: this.publicBaseUrl(config) });
  }

  /** Base of links in mail and pages: the API's custom domain, else its own endpoint. */
  private publicBaseUrl(_config: StageConfig): string {
    return this.api.publicUrl;
  }

  /** The workflow's role holds the wildcards Step Functions itself requires; each one named. */
  private acknowledgeWorkflowFindings(): void {
    allowWildcards(this.workflow, [
      {
        pattern: /^Resource::<.*\.Arn>:\*$/,
        reason:
          'Step Functions invokes each task function by ARN and qualified ARN (`<arn>:*`), as ' +
          "tasks.LambdaInvoke grants; only the workflow's own task functions are listed.",
      },
      {
        pattern: /^Resource::\*$/,
        reason:
          'X-Ray segments and CloudWatch Logs log-delivery actions used by Step Functions tracing/logging support no resource-level permissions.',
      },
    ]);
    const cfn = this.workflow.stateMachine.node.defaultChild as sfn.CfnStateMachine;
    const level = (this.resolve(cfn.loggingConfiguration) as { level?: string } | undefined)?.level;
    if (level !== 'ALL') {
      acknowledge(
        this.workflow.stateMachine,
        'AwsSolutions-SF1',
        `ContentWorkflow logs at level ${level ?? 'OFF'} without execution data (its owner keeps briefs out ` +
          `of logs); request status and a step timeline are recorded in PostgreSQL, and X-Ray traces every ` +
          `execution.`,
      );
    }
  }
}
