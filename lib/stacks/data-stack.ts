import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
import { AssetStorage } from '../constructs/asset-storage.js';
import { Backup } from '../constructs/backup.js';
import { FunctionBaseline } from '../constructs/app-function.js';
import { Database } from '../constructs/database.js';
import { DatabaseLogins } from '../constructs/database-logins.js';
import { PROJECT_ROOT } from '../config/handlers.js';
import { acknowledge } from '../constructs/nag.js';
import { Network } from '../constructs/network.js';

export interface DataStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * Everything stateful: network, database, buckets, keys, the Freepik key secret. Retained in prod;
 * the stateless AppStack receives these as props (one app, no SSM indirection needed).
 */
export class DataStack extends Stack {
  readonly network: Network;
  readonly database: Database;
  readonly storage: AssetStorage;
  /** CMK for Aurora storage, DB secrets and backups. */
  readonly dataKey: kms.Key;
  /** CMK for envelope encryption of sensitive columns (webhook secrets, tenant API keys). */
  readonly fieldKey: kms.Key;
  /** Freepik API key; ops put the value in after the first deploy (docs/deploy.md). */
  readonly freepikApiKey: secretsmanager.Secret;
  readonly backup: Backup;
  /** Creates svp_app before the proxy and the app secret's rotation log in with it. */
  readonly logins: DatabaseLogins;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;
    // The data key encrypts the cluster's final snapshot and the backup recovery points: it goes
    // only with them (a stage whose database is destroyed outright), never before them.
    const keyRemoval =
      config.database.removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.dataKey = new kms.Key(this, 'DataKey', {
      alias: `alias/${config.prefix}/data`,
      description: 'Aurora storage, database secrets, backups',
      enableKeyRotation: true,
      removalPolicy: keyRemoval,
    });
    this.fieldKey = new kms.Key(this, 'FieldKey', {
      alias: `alias/${config.prefix}/fields`,
      description: 'Envelope encryption of sensitive columns (AES-256-GCM data keys)',
      enableKeyRotation: true,
      // Losing this key makes encrypted columns unreadable: always retained.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.storage = new AssetStorage(this, 'Storage', { storage: config.storage, cdn: config.cdn });
    this.network = new Network(this, 'Network', { config: config.network, flowLogBucket: this.storage.logBucket });
    this.database = new Database(this, 'Database', {
      config: config.database,
      logRetention: config.logs.retention,
      prefix: config.prefix,
      vpc: this.network.vpc,
      dataSubnets: this.network.dataSubnets,
      appSubnets: this.network.appSubnets,
      key: this.dataKey,
    });
    this.logins = new DatabaseLogins(this, 'DatabaseLogins', {
      database: this.database,
      baseline: new FunctionBaseline(this, 'FunctionBaseline', {
        config,
        vpc: this.network.vpc,
        subnets: this.network.appSubnets,
        securityGroup: this.database.migrationSecurityGroup,
        projectRoot: PROJECT_ROOT,
      }),
      logRetention: config.logs.retention,
    });
    this.backup = new Backup(this, 'Backup', {
      config: config.backup,
      prefix: config.prefix,
      cluster: this.database.cluster,
      key: this.dataKey,
      removalPolicy:
        config.database.removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    this.freepikApiKey = new secretsmanager.Secret(this, 'FreepikApiKey', {
      secretName: `${config.prefix}/freepik/api-key`,
      description: 'Freepik API key (x-freepik-api-key). Set the value by hand; see docs/deploy.md.',
      encryptionKey: this.dataKey,
      removalPolicy: config.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.freepikApiKey,
      'AwsSolutions-SMG4',
      'A third-party API key issued by Freepik: it cannot be rotated by a Lambda; ops rotate it in the ' +
        'Freepik dashboard and update the value (docs/deploy.md).',
    );

    new CfnOutput(this, 'AssetBucketName', { value: this.storage.bucket.bucketName });
    new CfnOutput(this, 'CdnDomainName', { value: this.storage.distribution.distributionDomainName });
    new CfnOutput(this, 'ProxyEndpoint', { value: this.database.proxy.endpoint });
    new CfnOutput(this, 'WriterEndpoint', { value: this.database.cluster.clusterEndpoint.hostname });
    new CfnOutput(this, 'OwnerSecretArn', { value: this.database.ownerSecret.secretArn });
    new CfnOutput(this, 'FreepikApiKeySecretArn', { value: this.freepikApiKey.secretArn });
  }
}
