/**
 * The Provider framework in front of one of our functions, as every deploy-time custom resource of
 * the app uses it (database logins, migrations): a log group with the stage's retention, a role of
 * its own, and the one wildcard the framework's invoke grant carries, acknowledged on `scope`.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { allowWildcards } from './nag.js';

export interface FunctionProviderProps {
  /** The function answering the custom resource's events. */
  readonly fn: lambda.IFunction;
  readonly logRetention: logs.RetentionDays;
  /** What the resource does, for the role's description ("database migrations"). */
  readonly purpose: string;
  /** The function as the acknowledgement names it ("the migration function"). */
  readonly fnLabel: string;
}

/** Creates `ProviderLogs`, `ProviderRole` and `Provider` in `scope` (ids kept: they name deployed resources). */
export function functionProvider(scope: Construct, props: FunctionProviderProps): cr.Provider {
  const logGroup = new logs.LogGroup(scope, 'ProviderLogs', {
    retention: props.logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(scope, 'ProviderRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `CloudFormation custom resource framework for ${props.purpose}`,
  });
  logGroup.grantWrite(role);
  const provider = new cr.Provider(scope, 'Provider', {
    onEventHandler: props.fn,
    frameworkOnEventRole: role,
    logGroup,
    frameworkLambdaLoggingLevel: lambda.ApplicationLogLevel.INFO,
  });
  allowWildcards(scope, [
    {
      pattern: /^Resource::<.*\.Arn>:\*$/,
      reason: [
        `The framework invokes ${props.fnLabel} by its ARN and its versions (\`<arn>:*\`),`,
        'as the Provider framework grants; nothing else.',
      ].join(' '),
    },
  ]);
  return provider;
}
