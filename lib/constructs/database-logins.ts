import { CustomResource, RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import { AppFunction, type FunctionBaseline } from './app-function.js';
import { APP_DB_USER, type Database } from './database.js';
import { functionProvider } from './custom-resource-provider.js';

export const LOGINS_HANDLER = 'functions/handlers/migrate/logins.ts';

export interface DatabaseLoginsProps {
  readonly database: Database;
  /** Network placement and runtime policy for the function (the data stack's own baseline). */
  readonly baseline: FunctionBaseline;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Creates the `svp_app` login (with the app secret's password) as soon as the writer exists, and
 * makes everything that logs in as `svp_app` wait for it: the RDS Proxy target group (whose
 * CloudFormation handler waits up to 20 minutes for the proxy's targets to report AVAILABLE, and
 * they never do while the proxy's only secret names a role that does not exist) and the app
 * secret's rotation (which logs in as that user to change its password).
 */
export class DatabaseLogins extends Construct {
  readonly resource: CustomResource;
  readonly fn: AppFunction;

  constructor(scope: Construct, id: string, props: DatabaseLoginsProps) {
    super(scope, id);
    const { database } = props;
    this.fn = new AppFunction(this, 'Fn', {
      baseline: props.baseline,
      entry: LOGINS_HANDLER,
      group: 'migrate',
      serviceName: 'svp-db-logins',
      description:
        'Creates the application database login before the RDS Proxy registers its targets (custom resource)',
      securityGroup: database.migrationSecurityGroup,
      reservedConcurrency: 1,
    }).bindDatabaseOwner(database);
    const provider = functionProvider(this, {
      fn: this.fn,
      logRetention: props.logRetention,
      purpose: 'database logins',
      fnLabel: 'the logins function',
    });
    this.resource = new CustomResource(this, 'Run', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::DatabaseLogins',
      // Read by the first-deploy order test: which logins this resource creates. A new app secret
      // value (rotation does not change the ARN) is applied on the next update of this resource.
      properties: { Logins: [APP_DB_USER], AppSecretArn: database.appSecret.secretArn },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The writer must answer before the role can be created.
    for (const c of database.cluster.node.findAll()) {
      if (c instanceof rds.CfnDBInstance) this.resource.node.addDependency(c);
    }

    // Everything that logs in as svp_app.
    const waiters: IConstruct[] = [
      ...database.proxy.node.findAll().filter((c) => c instanceof rds.CfnDBProxyTargetGroup),
      ...database.appSecret.node.findAll().filter((c) => c instanceof secretsmanager.CfnRotationSchedule),
    ];
    if (!waiters.length)
      throw new Error('DatabaseLogins: found neither the proxy target group nor the app secret rotation to order');
    for (const w of waiters) w.node.addDependency(this.resource);
  }
}
