import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
import { acknowledge } from './nag.js';

/**
 * How long API Gateway waits for an HTTP API integration (the default and the maximum): an API
 * function must answer within it, whatever its function group's timeout.
 */
export const HTTP_API_INTEGRATION_TIMEOUT = Duration.seconds(30);

/** The subset of a route table entry (functions/handlers/api/route-def.ts RouteEntry) the API needs. */
export interface ApiRoute {
  /** Unique id in the table: also this route's construct id. */
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly fn: string;
  readonly auth: 'public' | 'jwt' | 'link';
}

export interface HttpApiProps {
  readonly config: StageConfig['api'];
  readonly logRetention: logs.RetentionDays;
  readonly routes: readonly ApiRoute[];
  /** The Lambda function serving handler module `fn`. */
  readonly functionFor: (fn: string) => lambda.IFunction;
  readonly userPool: cognito.IUserPool;
  readonly userPoolClient: cognito.IUserPoolClient;
}

const WHY_NO_JWT: Record<'public' | 'link', string> = {
  public:
    'Public by design in the route table (auth: public), e.g. liveness and the OpenAPI document: no caller identity exists or is needed.',
  link:
    'Review-link route (auth: link): approvers have no account session; the handler verifies a 256-bit ' +
    'single-use link token (stored hashed, expiring, bound to the variant checksums) before anything is ' +
    'shown or decided.',
};

/**
 * The HTTP API, built from the shared route table: one route per entry, pointing at the Lambda of
 * its `fn`; every `jwt` route behind the Cognito JWT authorizer (ID tokens of the dashboard
 * client); access logs as JSON with the request id.
 */
export class HttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogs: logs.LogGroup;
  readonly authorizer: HttpUserPoolAuthorizer;
  /** Route construct per route id. */
  readonly routes: Record<string, apigw.HttpRoute> = {};
  /** The custom domain serving the API, when the stage configures one. */
  readonly domain?: apigw.DomainName;

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);
    const { config } = props;
    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'Social visual pipeline API',
      createDefaultStage: false,
      corsPreflight: config.corsAllowedOrigins.length
        ? {
            allowOrigins: config.corsAllowedOrigins,
            allowMethods: [
              apigw.CorsHttpMethod.GET,
              apigw.CorsHttpMethod.POST,
              apigw.CorsHttpMethod.PATCH,
              apigw.CorsHttpMethod.PUT,
              apigw.CorsHttpMethod.DELETE,
            ],
            allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
            exposeHeaders: ['retry-after', 'x-request-id'],
          }
        : undefined,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.throttleRatePerSecond, burstLimit: config.throttleBurst },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            userAgent: '$context.identity.userAgent',
          }),
        ),
      },
    });

    if (config.domain) this.domain = this.customDomain(config.domain);

    this.authorizer = new HttpUserPoolAuthorizer('CognitoJwt', props.userPool, {
      userPoolClients: [props.userPoolClient],
      identitySource: ['$request.header.Authorization'],
    });

    const integrations = new Map<string, HttpLambdaIntegration>();
    const seen = new Set<string>();
    for (const r of props.routes) {
      const key = `${r.method} ${r.path}`;
      if (seen.has(key)) throw new Error(`duplicate route ${key} in the route table`);
      seen.add(key);
      let integration = integrations.get(r.fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${r.fn}-integration`, props.functionFor(r.fn));
        integrations.set(r.fn, integration);
      }
      const route = new apigw.HttpRoute(this, `Route-${r.id}`, {
        httpApi: this.api,
        routeKey: apigw.HttpRouteKey.with(r.path, apigw.HttpMethod[r.method]),
        integration,
        authorizer: r.auth === 'jwt' ? this.authorizer : new apigw.HttpNoneAuthorizer(),
      });
      this.routes[r.id] = route;
      if (r.auth !== 'jwt') acknowledge(route, 'AwsSolutions-APIG4', `${key}: ${WHY_NO_JWT[r.auth]}`);
    }
  }

  /** https://<api-id>.execute-api.<region>.amazonaws.com */
  get url(): string {
    return this.api.apiEndpoint;
  }

  /** Where users reach the API: `https://<custom domain>`, else the execute-api URL. */
  get publicUrl(): string {
    return this.domain ? `https://${this.domain.name}` : this.url;
  }

  /** Regional custom domain + certificate + mapping of the default stage, and the alias records when the zone is ours. */
  private customDomain(d: NonNullable<StageConfig['api']['domain']>): apigw.DomainName {
    const zone = d.hostedZone
      ? route53.PublicHostedZone.fromPublicHostedZoneAttributes(this, 'Zone', {
          hostedZoneId: d.hostedZone.id,
          zoneName: d.hostedZone.name,
        })
      : undefined;
    const certificate = d.certificateArn
      ? acm.Certificate.fromCertificateArn(this, 'Certificate', d.certificateArn)
      : new acm.Certificate(this, 'Certificate', {
          domainName: d.name,
          validation: acm.CertificateValidation.fromDns(zone),
        });
    const domain = new apigw.DomainName(this, 'DomainName', {
      domainName: d.name,
      certificate,
      securityPolicy: apigw.SecurityPolicy.TLS_1_2,
    });
    new apigw.ApiMapping(this, 'Mapping', { api: this.api, domainName: domain, stage: this.stage });
    if (zone) {
      const target = route53.RecordTarget.fromAlias(
        new route53Targets.ApiGatewayv2DomainProperties(domain.regionalDomainName, domain.regionalHostedZoneId),
      );
      new route53.ARecord(this, 'AliasA', { zone, recordName: d.name, target });
      new route53.AaaaRecord(this, 'AliasAaaa', { zone, recordName: d.name, target });
    }
    return domain;
  }
}
