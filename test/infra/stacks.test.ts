/**
 * Assertions on the synthesized app with the real stage configs: the properties an operator or
 * an auditor would check first. The route table, the schedules and the stage config are read
 * from their single definitions, so these tests follow them.
 */
import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import type { CfnResource } from 'aws-cdk-lib';
import {
  API_FUNCTIONS,
  APPROVAL_DECISION_FN,
  JOB_FUNCTIONS,
  APPROVAL_JOBS,
  WORKFLOW_FUNCTIONS,
} from '../../lib/config/functions.js';
import { apiRoutes, jobSchedules, localOnlyRoutes, workflowTasks } from '../../lib/config/handlers.js';
import { FREEPIK_METRICS, metricsNamespace } from '../../functions/shared/metric-names.js';
import { stages } from '../../lib/config/stages.js';
import { TASK_TOKEN_ACTIONS } from '../../lib/constructs/app-function.js';
import { AURORA_ENGINE_VERSION } from '../../lib/constructs/database.js';
import { routes as routeTable } from '../../functions/handlers/api/routes.js';
import { actionsOf, allStatements, logicalId, realStagesForAll, type SynthesizedApp } from './support.js';

const { prod, dev } = realStagesForAll();

const resourcesOf = (s: SynthesizedApp, type: string) =>
  Object.entries(s.templates[s.appStack.stackName].Resources).filter(([, r]) => r.Type === type);

/** Flattens an Fn::Join'ed string, replacing references by a marker. */
function flatten(v: unknown): string {
  if (typeof v === 'string') return v;
  const o = v as Record<string, any>;
  if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(flatten).join(o['Fn::Join'][0]);
  return 'REF';
}

describe('database (prod config)', () => {
  it('is Aurora PostgreSQL Serverless v2 on the pinned 17.x engine, encrypted with the data CMK, IAM auth on', () => {
    expect(AURORA_ENGINE_VERSION.auroraPostgresMajorVersion).toBe('17');
    prod().data.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EngineVersion: AURORA_ENGINE_VERSION.auroraPostgresFullVersion,
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [logicalId(prod().dataStack.dataKey.node.defaultChild as CfnResource), 'Arn'] },
      EnableIAMDatabaseAuthentication: true,
      DeletionProtection: true,
      BackupRetentionPeriod: stages.prod.database.backupRetentionDays,
      ServerlessV2ScalingConfiguration: {
        MinCapacity: stages.prod.database.minAcu,
        MaxCapacity: stages.prod.database.maxAcu,
      },
    });
    prod().data.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('has a writer and a reader in prod, only a writer in dev', () => {
    prod().data.resourceCountIs('AWS::RDS::DBInstance', 2);
    dev().data.resourceCountIs('AWS::RDS::DBInstance', 1);
    dev().data.hasResourceProperties('AWS::RDS::DBCluster', { DeletionProtection: false });
  });

  it('preloads pg_stat_statements and forces TLS', () => {
    prod().data.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
      Parameters: Match.objectLike({ shared_preload_libraries: 'pg_stat_statements', 'rds.force_ssl': '1' }),
    });
  });

  it('puts an RDS Proxy in front that requires TLS and IAM, with a read-only endpoint in prod', () => {
    prod().data.hasResourceProperties('AWS::RDS::DBProxy', {
      RequireTLS: true,
      Auth: [Match.objectLike({ IAMAuth: 'REQUIRED', AuthScheme: 'SECRETS' })],
    });
    prod().data.hasResourceProperties('AWS::RDS::DBProxyEndpoint', { TargetRole: 'READ_ONLY' });
    dev().data.resourceCountIs('AWS::RDS::DBProxyEndpoint', 0);
  });

  it('rotates both database secrets and backs the cluster up daily, copied to a second region in prod', () => {
    prod().data.resourceCountIs('AWS::SecretsManager::RotationSchedule', 2);
    prod().data.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: [
          Match.objectLike({
            ScheduleExpression: Match.stringLikeRegexp('^cron\\(0 3 '),
            Lifecycle: { DeleteAfterDays: stages.prod.backup.retentionDays },
            CopyActions: [Match.objectLike({ DestinationBackupVaultArn: Match.anyValue() })],
          }),
        ],
      },
    });
    expect(JSON.stringify(prod().data.findResources('AWS::Backup::BackupPlan'))).toContain(
      `backup:${stages.prod.backup.copyToRegion}:`,
    );
    expect(prod().backupCopyStack?.region).toBe(stages.prod.backup.copyToRegion);
    expect(dev().backupCopyStack).toBeUndefined();
  });
});

describe('asset bucket and delivery', () => {
  it('blocks public access, encrypts, versions, expires old versions and aborts stale uploads', () => {
    prod().data.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: Match.anyValue() }),
      CorsConfiguration: {
        CorsRules: [
          Match.objectLike({
            AllowedMethods: Match.arrayWith(['PUT']),
            AllowedOrigins: stages.prod.storage.corsAllowedOrigins,
          }),
        ],
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            NoncurrentVersionExpiration: { NoncurrentDays: stages.prod.storage.noncurrentVersionExpirationDays },
          }),
          Match.objectLike({
            AbortIncompleteMultipartUpload: {
              DaysAfterInitiation: stages.prod.storage.abortIncompleteMultipartUploadDays,
            },
          }),
        ]),
      },
    });
  });

  it('denies every non-TLS request and lets CloudFront read only published/', () => {
    const bucketId = logicalId(prod().dataStack.storage.bucket.node.defaultChild as CfnResource);
    const policies = Object.values(prod().data.findResources('AWS::S3::BucketPolicy')).filter(
      (p) => p.Properties.Bucket.Ref === bucketId,
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0].Properties.PolicyDocument.Statement as any[];
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0].Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(allows[0].Action).toBe('s3:GetObject');
    expect(flatten(allows[0].Resource)).toBe('REF/published/*');
    expect(allows[0].Condition.StringEquals['AWS:SourceArn']).toBeDefined();
  });

  it('serves through CloudFront with origin access control, HTTPS only, from the published/ prefix', () => {
    prod().data.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Origins: [
          Match.objectLike({
            OriginPath: '/published',
            OriginAccessControlId: Match.anyValue(),
            S3OriginConfig: { OriginAccessIdentity: '' },
          }),
        ],
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: ['GET', 'HEAD'],
        }),
        Logging: Match.objectLike({ Prefix: 'cloudfront/' }),
      }),
    });
  });
});

describe('HTTP API from the route table', () => {
  it('deploys every route of the table except the local-only ones', () => {
    expect(localOnlyRoutes.every((r) => r.path.startsWith('/dev'))).toBe(true);
    expect(apiRoutes.length + localOnlyRoutes.length).toBe(routeTable.length);
    const deployed = resourcesOf(prod(), 'AWS::ApiGatewayV2::Route')
      .map(([, r]) => r.Properties!.RouteKey as string)
      .sort();
    expect(deployed).toEqual(apiRoutes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('puts the Cognito JWT authorizer on every jwt route and on no other', () => {
    const [[authorizerId, authorizer]] = resourcesOf(prod(), 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: logicalId(prod().appStack.auth.client.node.defaultChild as CfnResource) }],
      },
    });
    expect(flatten(authorizer.Properties!.JwtConfiguration.Issuer)).toMatch(
      /^https:\/\/cognito-idp\.REF\.amazonaws\.com\/REF$/,
    );
    const byKey = new Map(
      resourcesOf(prod(), 'AWS::ApiGatewayV2::Route').map(([, r]) => [r.Properties!.RouteKey as string, r.Properties!]),
    );
    for (const r of apiRoutes) {
      const route = byKey.get(`${r.method} ${r.path}`)!;
      if (r.auth === 'jwt') {
        expect(route, `${r.method} ${r.path}`).toMatchObject({
          AuthorizationType: 'JWT',
          AuthorizerId: { Ref: authorizerId },
        });
      } else {
        expect(route.AuthorizationType, `${r.method} ${r.path}`).toBe('NONE');
        expect(route.AuthorizerId).toBeUndefined();
      }
    }
    expect(apiRoutes.filter((r) => r.auth === 'jwt').length).toBeGreaterThan(40);
  });

  it('creates one Lambda per distinct fn, each route integrated with the function of its fn', () => {
    const fns = [...new Set(apiRoutes.map((r) => r.fn))];
    expect(Object.keys(prod().appStack.apiFunctions).sort()).toEqual(fns.sort());
    const integrations = Object.fromEntries(
      resourcesOf(prod(), 'AWS::ApiGatewayV2::Integration').map(([id, r]) => [id, r.Properties!]),
    );
    for (const [, route] of resourcesOf(prod(), 'AWS::ApiGatewayV2::Route')) {
      const key = route.Properties!.RouteKey as string;
      const r = apiRoutes.find((x) => `${x.method} ${x.path}` === key)!;
      const [prefix, ref] = route.Properties!.Target['Fn::Join'][1] as [string, { Ref: string }];
      expect(prefix).toBe('integrations/');
      expect(integrations[ref.Ref]?.IntegrationUri, key).toEqual({
        'Fn::GetAtt': [logicalId(prod().appStack.apiFunctions[r.fn].node.defaultChild as CfnResource), 'Arn'],
      });
    }
  });

  it('logs access as JSON with the request id and throttles per stage config', () => {
    prod().appT.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
      DefaultRouteSettings: {
        ThrottlingRateLimit: stages.prod.api.throttleRatePerSecond,
        ThrottlingBurstLimit: stages.prod.api.throttleBurst,
      },
    });
  });
});

describe('content workflow', () => {
  const definition = (s: SynthesizedApp) => {
    const [[, sm]] = resourcesOf(s, 'AWS::StepFunctions::StateMachine');
    return {
      props: sm.Properties!,
      asl: JSON.parse(flatten(sm.Properties!.DefinitionString)) as { States: Record<string, any> },
    };
  };
  const allStates = (states: Record<string, any>): any[] =>
    Object.values(states).flatMap((s) => [
      s,
      ...(s.ItemProcessor ? allStates(s.ItemProcessor.States) : []),
      ...(s.Iterator ? allStates(s.Iterator.States) : []),
    ]);

  it('contains a waitForTaskToken approval step and a Map over the variants', () => {
    const { asl } = definition(prod());
    const states = allStates(asl.States);
    expect(
      states.some((s) => s.Type === 'Task' && String(s.Resource).includes(':states:::lambda:invoke.waitForTaskToken')),
    ).toBe(true);
    expect(states.some((s) => s.Type === 'Map')).toBe(true);
  });

  it('is a STANDARD state machine with X-Ray tracing and CloudWatch logging', () => {
    const { props } = definition(prod());
    expect(props.StateMachineType).toBe('STANDARD');
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration.Destinations).toHaveLength(1);
  });

  it('sends executions that failed, timed out or were aborted to the execution-ended function, retried for a day, then a DLQ', () => {
    const [[ruleId, rule]] = resourcesOf(prod(), 'AWS::Events::Rule').filter(
      ([, r]) => r.Properties?.EventPattern?.source?.[0] === 'aws.states',
    );
    expect(ruleId).toBeTruthy();
    const pattern = rule.Properties!.EventPattern;
    expect(pattern['detail-type']).toEqual(['Step Functions Execution Status Change']);
    expect(pattern.detail.status.sort()).toEqual(['ABORTED', 'FAILED', 'TIMED_OUT']);
    expect(JSON.stringify(pattern.detail.stateMachineArn)).toContain(
      logicalId(prod().appStack.workflow.stateMachine.node.defaultChild as CfnResource),
    );
    const [target] = rule.Properties!.Targets;
    expect(JSON.stringify(target.Arn)).toContain(
      logicalId(prod().appStack.executionEndedFunction.node.defaultChild as CfnResource),
    );
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 });
    expect(JSON.stringify(target.DeadLetterConfig)).toContain(
      logicalId(prod().appStack.executionEnded.dlq.node.defaultChild as CfnResource),
    );
  });

  it('invokes exactly the task functions built from TASK_HANDLERS', () => {
    expect(Object.keys(prod().appStack.taskFunctions).sort()).toEqual(Object.keys(workflowTasks).sort());
    const { props } = definition(prod());
    const json = JSON.stringify(props.DefinitionString);
    for (const fn of Object.values(prod().appStack.taskFunctions)) {
      expect(json).toContain(logicalId(fn.node.defaultChild as CfnResource));
    }
  });
});

describe('schedules', () => {
  it('has one EventBridge Scheduler schedule per job, with retries and a DLQ, targeting the job function', () => {
    const schedules = resourcesOf(prod(), 'AWS::Scheduler::Schedule').map(([, r]) => r.Properties!);
    expect(schedules).toHaveLength(jobSchedules.length);
    const dlqId = logicalId(prod().appStack.schedules.dlq.node.defaultChild as CfnResource);
    for (const job of jobSchedules) {
      const s = schedules.find((x) => x.Name === `${stages.prod.prefix}-${job.name}`);
      expect(s, job.name).toBeDefined();
      expect(s!.ScheduleExpression).toBe(job.expression);
      expect(s!.ScheduleExpressionTimezone).toBe('Etc/UTC');
      expect(s!.Target.RetryPolicy).toEqual({
        MaximumRetryAttempts: stages.prod.schedules.maxRetries,
        MaximumEventAgeInSeconds: stages.prod.schedules.maxEventAge.toSeconds(),
      });
      expect(s!.Target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } });
      expect(JSON.parse(s!.Target.Input)).toMatchObject({
        job: job.name,
        scheduledTime: '<aws.scheduler.scheduled-time>',
      });
      const fn = prod().appStack.jobFunctions[job.fn];
      expect(s!.Target.Arn).toEqual({ 'Fn::GetAtt': [logicalId(fn.node.defaultChild as CfnResource), 'Arn'] });
      expect(fn.entryPath).toBe(job.entry);
    }
    expect(jobSchedules.map((j) => j.name)).toEqual(expect.arrayContaining(APPROVAL_JOBS.map((j) => j.name)));
  });

  it('lets the scheduler role invoke exactly the job functions (no alias wildcard)', () => {
    const roleId = logicalId(prod().appStack.schedules.role.node.defaultChild as CfnResource);
    const invoke = allStatements(prod().templates).filter(
      (s) => JSON.stringify(s.attachedTo).includes(roleId) && actionsOf(s.statement).includes('lambda:InvokeFunction'),
    );
    const resources = invoke.flatMap((s) =>
      Array.isArray(s.statement.Resource) ? s.statement.Resource : [s.statement.Resource],
    );
    expect(resources.map((r) => JSON.stringify(r)).sort()).toEqual(
      Object.values(prod().appStack.jobFunctions)
        .map((f) => JSON.stringify({ 'Fn::GetAtt': [logicalId(f.node.defaultChild as CfnResource), 'Arn'] }))
        .sort(),
    );
  });
});

describe('least privilege', () => {
  it('gives states:SendTask* to the approval-decision role alone', () => {
    const decisionRole = logicalId(
      prod().appStack.apiFunctions[APPROVAL_DECISION_FN].executionRole.node.defaultChild as CfnResource,
    );
    for (const s of [prod(), dev()]) {
      const holders = allStatements(s.templates).filter(
        (x) =>
          x.statement.Effect === 'Allow' &&
          actionsOf(x.statement).some(
            (a) => TASK_TOKEN_ACTIONS.includes(a) || a === 'states:*' || a === '*' || a === 'states:SendTask*',
          ),
      );
      expect(holders.length).toBeGreaterThan(0);
      for (const h of holders) {
        expect(h.kind, h.resource).toBe('AWS::IAM::Policy');
        expect(h.attachedTo).toEqual([{ Ref: decisionRole }]);
        expect(actionsOf(h.statement).sort()).toEqual([...TASK_TOKEN_ACTIONS].sort());
      }
    }
  });

  it('lets only the content-requests function start or stop executions', () => {
    const starters = allStatements(prod().templates).filter((x) =>
      actionsOf(x.statement).some((a) => a === 'states:StartExecution' || a === 'states:StopExecution'),
    );
    const roleOf = (fn: string) => ({
      Ref: logicalId(prod().appStack.apiFunctions[fn].executionRole.node.defaultChild as CfnResource),
    });
    // The migration provider's waiter is not used (no isComplete handler), so only the API starts executions.
    expect(starters.map((s) => s.attachedTo)).toEqual(starters.map(() => [roleOf('content-requests')]));
  });

  it('gives every application function its own role without AWS managed policies', () => {
    for (const [id, r] of resourcesOf(prod(), 'AWS::IAM::Role')) {
      for (const arn of r.Properties!.ManagedPolicyArns ?? []) {
        expect(JSON.stringify(arn), id).not.toContain(':iam::aws:policy');
      }
    }
  });

  it('has an explicit least-privilege entry for every API fn and workflow task', () => {
    expect([...new Set(apiRoutes.map((r) => r.fn))].filter((fn) => !API_FUNCTIONS[fn])).toEqual([]);
    expect(Object.keys(workflowTasks).filter((t) => !WORKFLOW_FUNCTIONS[t])).toEqual([]);
    // Rollup jobs may run on the default (database only); the collector needs its key.
    expect(JOB_FUNCTIONS['collect-metrics']?.needs).toContain('fieldKey');
  });

  it('deploys no placeholder: every handler module referenced by a definition exists', () => {
    expect(prod().appStack.missingHandlers).toEqual([]);
  });
});

describe('deploy-time migrations', () => {
  it('runs the migration function through a custom resource, never over HTTP', () => {
    prod().appT.resourceCountIs('Custom::DatabaseMigrations', 1);
    const migrateId = logicalId(prod().appStack.migrateFunction.node.defaultChild as CfnResource);
    const routesJson = JSON.stringify(resourcesOf(prod(), 'AWS::ApiGatewayV2::Integration'));
    expect(routesJson).not.toContain(migrateId);
    expect(prod().appStack.migrateFunction.entryPath).toBe('functions/handlers/migrate/handler.ts');
  });

  it('makes every API function (and every other database user) wait for the migrations', () => {
    const [[crId]] = resourcesOf(prod(), 'Custom::DatabaseMigrations');
    const fns = resourcesOf(prod(), 'AWS::Lambda::Function');
    const apiIds = Object.values(prod().appStack.apiFunctions).map((f) =>
      logicalId(f.node.defaultChild as CfnResource),
    );
    for (const id of apiIds) {
      const fn = fns.find(([x]) => x === id)![1];
      if (!fn.Properties!.Environment?.Variables?.DATABASE_URL) continue;
      expect(fn.DependsOn, id).toContain(crId);
    }
    const dbUsers = fns.filter(([, f]) => f.Properties!.Environment?.Variables?.DATABASE_URL);
    expect(dbUsers.length).toBeGreaterThan(20);
    for (const [id, f] of dbUsers) expect(f.DependsOn, id).toContain(crId);
  });
});

describe('function defaults', () => {
  it('runs Node.js 22 on arm64 with X-Ray, JSON logs and Powertools settings', () => {
    for (const fn of [
      ...Object.values(prod().appStack.apiFunctions),
      ...Object.values(prod().appStack.taskFunctions),
    ]) {
      const props = prod().appT.toJSON().Resources[logicalId(fn.node.defaultChild as CfnResource)].Properties;
      expect(props.Runtime).toBe(stages.prod.lambda.runtime);
      expect(props.Architectures).toEqual([stages.prod.lambda.architecture]);
      expect(props.TracingConfig).toEqual({ Mode: 'Active' });
      expect(props.LoggingConfig.LogFormat).toBe('JSON');
      expect(props.Environment.Variables.POWERTOOLS_SERVICE_NAME).toMatch(/^svp-/);
      expect(props.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE).toBe(metricsNamespace('prod'));
      expect(props.MemorySize).toBe(stages.prod.lambda.groups[fn.group].memoryMb);
    }
  });
});

describe('observability', () => {
  it('alarms on the KPIs into one SNS topic', () => {
    const alarms = Object.fromEntries(
      resourcesOf(prod(), 'AWS::CloudWatch::Alarm').map(([, a]) => [a.Properties!.AlarmName as string, a.Properties!]),
    );
    const p = stages.prod.prefix;
    for (const name of [
      'api-5xx',
      'api-p99-latency',
      'workflow-failed',
      'workflow-p99-duration',
      'db-cpu',
      'db-connections',
      'dlq-jobs',
      'dlq-published',
      'freepik-error-rate',
      'freepik-spend',
    ]) {
      expect(alarms[`${p}-${name}`], name).toBeDefined();
      expect(alarms[`${p}-${name}`].AlarmActions).toHaveLength(1);
    }
    expect(alarms[`${p}-db-cpu`].Threshold).toBe(70);
    expect(alarms[`${p}-dlq-jobs`]).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(alarms[`${p}-api-p99-latency`].ExtendedStatistic).toBe('p99');
    const freepik = JSON.stringify(alarms[`${p}-freepik-error-rate`].Metrics);
    expect(freepik).toContain(FREEPIK_METRICS.calls);
    expect(freepik).toContain(FREEPIK_METRICS.errors);
    expect(freepik).toContain(metricsNamespace('prod'));
    prod().appT.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: stages.prod.alarms.email,
    });
    prod().appT.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});
