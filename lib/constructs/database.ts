import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
import { acknowledge } from './nag.js';

/** The newest PostgreSQL 17 minor aws-cdk-lib knows (local dev runs embedded PostgreSQL). */
export const AURORA_ENGINE_VERSION = rds.AuroraPostgresEngineVersion.VER_17_9;
/** The role the application connects as (db/migrate.ts APP_ROLE): owns nothing, no BYPASSRLS. */
export const APP_DB_USER = 'svp_app';
/** RDS Proxy always listens on the engine's default port. */
export const PROXY_PORT = 5432;

export interface DatabaseProps {
  readonly config: StageConfig['database'];
  readonly logRetention: logs.RetentionDays;
  readonly prefix: string;
  readonly vpc: ec2.IVpc;
  /** Isolated subnets for cluster and proxy. */
  readonly dataSubnets: ec2.SubnetSelection;
  /** Subnets of the rotation functions (they call the Secrets Manager API). */
  readonly appSubnets: ec2.SubnetSelection;
  /** CMK for storage, secrets, Performance Insights. */
  readonly key: kms.IKey;
}

/**
 * Aurora PostgreSQL Serverless v2 (writer + optional reader), its secrets with rotation, and an
 * RDS Proxy that accepts only IAM-authenticated TLS connections as `svp_app`.
 *
 * Who connects how:
 * - Functions -> proxy (TLS, IAM token for `svp_app`; see AppFunction.bindDatabase). The proxy
 *   logs into Aurora with the app secret. No function ever reads a password.
 * - The migration function -> writer endpoint directly, as the owner (master secret): DDL and
 *   session settings stay off the proxy, and it sets `svp_app`'s password from the app secret.
 */
export class Database extends Construct {
  readonly cluster: rds.DatabaseCluster;
  readonly proxy: rds.DatabaseProxy;
  /** Read-only proxy endpoint (reader instance) when the stage has a reader. */
  readonly readerEndpoint?: rds.IDatabaseProxyEndpoint;
  readonly ownerSecret: secretsmanager.ISecret;
  readonly appSecret: secretsmanager.ISecret;
  readonly databaseName: string;
  /** Functions that reach the proxy. */
  readonly clientSecurityGroup: ec2.SecurityGroup;
  /** The migration function: reaches the writer directly. */
  readonly migrationSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { config, vpc } = props;
    this.databaseName = config.databaseName;
    const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: AURORA_ENGINE_VERSION });
    const clusterIdentifier = `${props.prefix}-db`;

    const clusterSg = new ec2.SecurityGroup(this, 'ClusterSg', {
      vpc,
      description: 'Aurora cluster: proxy, migrations and rotation only',
      allowAllOutbound: false,
    });
    const proxySg = new ec2.SecurityGroup(this, 'ProxySg', {
      vpc,
      description: 'RDS Proxy: application functions only',
      allowAllOutbound: false,
    });
    this.clientSecurityGroup = new ec2.SecurityGroup(this, 'ClientSg', {
      vpc,
      description: 'Application Lambda functions (egress to proxy, AWS APIs, Freepik)',
      allowAllOutbound: true,
    });
    this.migrationSecurityGroup = new ec2.SecurityGroup(this, 'MigrationSg', {
      vpc,
      description: 'Migration function (writer endpoint, Secrets Manager)',
      allowAllOutbound: true,
    });

    const parameterGroup = new rds.ParameterGroup(this, 'ClusterParameters', {
      engine,
      description: `${clusterIdentifier} cluster parameters`,
      parameters: {
        shared_preload_libraries: 'pg_stat_statements',
        'pg_stat_statements.track': 'all',
        'rds.force_ssl': '1',
        log_min_duration_statement: '1000',
        // Long-running idle transactions hold locks across RLS-scoped transactions.
        idle_in_transaction_session_timeout: '60000',
      },
    });

    // Created up front so its retention is ours (no LogRetention custom resource).
    const pgLogs = new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const pi = config.performanceInsights
      ? { enablePerformanceInsights: true, performanceInsightEncryptionKey: props.key }
      : {};
    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine,
      clusterIdentifier,
      // Generated names (not fixed ones): a torn-down dev stage's secrets sit in their recovery
      // window and would block a redeploy under the same name. Find them via the stack outputs.
      credentials: rds.Credentials.fromGeneratedSecret(config.ownerUsername, { encryptionKey: props.key }),
      defaultDatabaseName: config.databaseName,
      port: config.port,
      // The engine version is pinned (AURORA_ENGINE_VERSION): an instance upgrading itself would
      // leave the template's EngineVersion behind, and the next deploy would try to move it back.
      writer: rds.ClusterInstance.serverlessV2('Writer', { autoMinorVersionUpgrade: false, ...pi }),
      readers: config.reader
        ? [rds.ClusterInstance.serverlessV2('Reader', { scaleWithWriter: true, autoMinorVersionUpgrade: false, ...pi })]
        : [],
      serverlessV2MinCapacity: config.minAcu,
      serverlessV2MaxCapacity: config.maxAcu,
      vpc,
      vpcSubnets: props.dataSubnets,
      securityGroups: [clusterSg],
      storageEncrypted: true,
      storageEncryptionKey: props.key,
      iamAuthentication: true,
      parameterGroup,
      backup: { retention: Duration.days(config.backupRetentionDays), preferredWindow: '02:00-02:30' },
      preferredMaintenanceWindow: 'sun:04:00-sun:04:30',
      deletionProtection: config.deletionProtection,
      removalPolicy: config.removalPolicy,
      copyTagsToSnapshot: true,
      cloudwatchLogsExports: ['postgresql'],
      enablePerformanceInsights: config.performanceInsights,
      performanceInsightEncryptionKey: config.performanceInsights ? props.key : undefined,
    });
    this.cluster.node.addDependency(pgLogs);
    this.ownerSecret = this.cluster.secret!;
    this.cluster.addRotationSingleUser({
      automaticallyAfter: Duration.days(config.secretRotationDays),
      vpcSubnets: props.appSubnets,
    });
    // Rotation starts as soon as its schedule exists and logs in as the owner: only an instance
    // answers logins, and the cluster resource alone is ready before any instance is.
    const instances = this.cluster.node.findAll().filter((c) => c instanceof rds.CfnDBInstance);
    for (const schedule of this.ownerSecret.node
      .findAll()
      .filter((c) => c instanceof secretsmanager.CfnRotationSchedule)) {
      for (const i of instances) schedule.node.addDependency(i);
    }

    if (!config.deletionProtection) {
      acknowledge(
        this.cluster,
        'AwsSolutions-RDS10',
        'Disposable non-production stage: deletion protection is off so the stage can be torn down; prod sets it.',
      );
    }

    const appSecret = new rds.DatabaseSecret(this, 'AppSecret', {
      username: APP_DB_USER,
      encryptionKey: props.key,
      masterSecret: this.ownerSecret,
    });
    // Attaching adds host/port/dbname to the secret, which the proxy and rotation need.
    this.appSecret = appSecret.attach(this.cluster);
    new secretsmanager.SecretRotation(this, 'AppSecretRotation', {
      application: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
      secret: this.appSecret,
      target: this.cluster,
      vpc,
      vpcSubnets: props.appSubnets,
      automaticallyAfter: Duration.days(config.secretRotationDays),
    });

    this.proxy = new rds.DatabaseProxy(this, 'Proxy', {
      dbProxyName: `${props.prefix}-proxy`,
      proxyTarget: rds.ProxyTarget.fromCluster(this.cluster),
      secrets: [this.appSecret],
      vpc,
      vpcSubnets: props.dataSubnets,
      securityGroups: [proxySg],
      requireTLS: true,
      iamAuth: true,
      // Lambda containers come and go; reclaim their abandoned client connections quickly.
      idleClientTimeout: Duration.minutes(5),
      maxConnectionsPercent: 90,
      borrowTimeout: Duration.seconds(10),
    });
    if (config.reader) {
      this.readerEndpoint = this.proxy.addEndpoint('ReadOnly', {
        dbProxyEndpointName: `${props.prefix}-proxy-ro`,
        vpc,
        vpcSubnets: props.dataSubnets,
        securityGroups: [proxySg],
        targetRole: rds.ProxyEndpointTargetRole.READ_ONLY,
      });
    }

    proxySg.addIngressRule(this.clientSecurityGroup, ec2.Port.tcp(PROXY_PORT), 'functions to proxy');
    clusterSg.addIngressRule(proxySg, ec2.Port.tcp(config.port), 'proxy to cluster');
    proxySg.addEgressRule(clusterSg, ec2.Port.tcp(config.port), 'proxy to cluster');
    clusterSg.addIngressRule(this.migrationSecurityGroup, ec2.Port.tcp(config.port), 'migrations to writer');
  }

  /**
   * `postgres://svp_app@<proxy>:5432/<db>?sslmode=verify-full` (no password: IAM token at connect
   * time; the client verifies the proxy's certificate and host name before sending it).
   */
  urlFor(endpoint: string): string {
    return `postgres://${APP_DB_USER}@${endpoint}:${PROXY_PORT}/${this.databaseName}?sslmode=verify-full`;
  }
}
