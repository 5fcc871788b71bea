/**
 * The synthesized templates read the way AWS will read them: CloudFormation expressions resolved
 * to concrete (placeholder) values, each function with its environment, timeout and role, and an
 * IAM evaluator that answers "may this role call this action on this resource?" from the policies
 * in the templates. Shared by the infra test families (environment contract, permission coverage,
 * first-deploy order, timeouts).
 *
 * Placeholders are stable and well-formed for their kind (a bucket Ref is a valid bucket name, a
 * key ARN is `arn:aws:kms:<region>:<account>:key/<id>`), so the values a function receives in
 * its environment and the resources its policies name resolve to the same strings.
 */
import type { CfnTemplate } from './support.js';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';

type Json = unknown;
export type Templates = Record<
  string,
  CfnTemplate & {
    Outputs?: Record<string, { Value: Json; Export?: { Name: Json } }>;
    Conditions?: Record<string, Json>;
  }
>;

const lower = (lid: string) =>
  lid
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '')
    .slice(0, 48);

export class AwsModel {
  private readonly exports = new Map<string, { stack: string; value: Json }>();

  constructor(readonly templates: Templates) {
    for (const [stack, t] of Object.entries(templates)) {
      for (const o of Object.values(t.Outputs ?? {})) {
        if (o.Export) this.exports.set(String(this.resolve(stack, o.Export.Name)), { stack, value: o.Value });
      }
    }
  }

  resource(stack: string, lid: string) {
    const r = this.templates[stack]?.Resources?.[lid];
    if (!r) throw new Error(`${stack}: no resource ${lid}`);
    return r;
  }

  /** Resolves an expression of `stack`'s template to plain JSON (strings for every intrinsic). */
  resolve(stack: string, v: Json): Json {
    if (Array.isArray(v)) return v.map((x) => this.resolve(stack, x));
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, Json>;
    const keys = Object.keys(o);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::')))
      return this.intrinsic(stack, keys[0], o[keys[0]]);
    return Object.fromEntries(keys.map((k) => [k, this.resolve(stack, o[k])]));
  }

  str(stack: string, v: Json): string {
    const r = this.resolve(stack, v);
    if (typeof r !== 'string' && typeof r !== 'number' && typeof r !== 'boolean')
      throw new Error(`not a string: ${JSON.stringify(v).slice(0, 200)}`);
    return String(r);
  }

  private intrinsic(stack: string, fn: string, arg: any): Json {
    switch (fn) {
      case 'Ref':
        return this.ref(stack, arg as string);
      case 'Fn::GetAtt': {
        const [lid, attr] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/s);
        return this.att(stack, lid, attr);
      }
      case 'Fn::Join':
        return (this.resolve(stack, arg[1]) as Json[]).map((x) => String(x)).join(arg[0]);
      case 'Fn::Select':
        return (this.resolve(stack, arg[1]) as Json[])[Number(this.resolve(stack, arg[0]))];
      case 'Fn::Split':
        return String(this.resolve(stack, arg[1])).split(arg[0]);
      case 'Fn::ImportValue': {
        const name = String(this.resolve(stack, arg));
        const e = this.exports.get(name);
        if (!e) throw new Error(`${stack}: import of unknown export ${name}`);
        return this.resolve(e.stack, e.value);
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
        return String(text).replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
          if (vars && name in vars) return String(this.resolve(stack, vars[name]));
          if (name.includes('.')) {
            const [lid, attr] = name.split(/\.(.*)/s);
            return String(this.att(stack, lid, attr));
          }
          return String(this.ref(stack, name));
        });
      }
      case 'Fn::If': {
        const [cond, a, b] = arg;
        return this.resolve(stack, this.condition(stack, cond) ? a : b);
      }
      case 'Fn::GetAZs':
        return [`${REGION}a`, `${REGION}b`, `${REGION}c`];
      case 'Fn::Base64':
        return Buffer.from(String(this.resolve(stack, arg))).toString('base64');
      case 'Fn::Equals': {
        const [a, b] = this.resolve(stack, arg) as Json[];
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Or':
        return (arg as Json[]).some((c) => this.cond(stack, c));
      case 'Fn::And':
        return (arg as Json[]).every((c) => this.cond(stack, c));
      case 'Fn::Not':
        return !this.cond(stack, (arg as Json[])[0]);
      case 'Fn::Contains': {
        const [list, x] = this.resolve(stack, arg) as [Json[], Json];
        return list.includes(x);
      }
      default:
        throw new Error(`unsupported intrinsic ${fn}`);
    }
  }

  private cond(stack: string, c: Json): boolean {
    if (c && typeof c === 'object' && 'Condition' in (c as object))
      return this.condition(stack, (c as { Condition: string }).Condition);
    return Boolean(this.resolve(stack, c));
  }

  private condition(stack: string, name: string): boolean {
    const c = this.templates[stack].Conditions?.[name];
    if (c === undefined) throw new Error(`${stack}: unknown condition ${name}`);
    return this.cond(stack, c);
  }

  ref(stack: string, name: string): Json {
    switch (name) {
      case 'AWS::Region':
        return REGION;
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stack;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${stack}/0`;
      case 'AWS::NoValue':
        return undefined;
    }
    const r = this.templates[stack].Resources?.[name];
    if (!r) {
      const p = (this.templates[stack] as { Parameters?: Record<string, { Default?: Json }> }).Parameters?.[name];
      if (p) return p.Default ?? `param-${name}`;
      throw new Error(`${stack}: Ref to unknown ${name}`);
    }
    const props = (r.Properties ?? {}) as Record<string, Json>;
    const named = (k: string) => (props[k] !== undefined ? this.str(stack, props[k]) : undefined);
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        return named('BucketName') ?? `${lower(name)}-bucket`;
      case 'AWS::KMS::Key':
        return `key-${lower(name)}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${named('Name') ?? lower(name)}-AbCdEf`;
      case 'AWS::SecretsManager::SecretTargetAttachment':
        return this.resolve(stack, props.SecretId);
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${named('StateMachineName') ?? lower(name)}`;
      case 'AWS::Events::EventBus':
        return named('Name') ?? lower(name);
      case 'AWS::SES::EmailIdentity':
        return named('EmailIdentity');
      case 'AWS::Lambda::Function':
        return named('FunctionName') ?? lower(name);
      case 'AWS::IAM::Role':
        return named('RoleName') ?? lower(name);
      case 'AWS::IAM::ManagedPolicy':
        return `arn:aws:iam::${ACCOUNT}:policy/${lower(name)}`;
      case 'AWS::RDS::DBProxy':
        return named('DBProxyName') ?? lower(name);
      case 'AWS::RDS::DBCluster':
        return named('DBClusterIdentifier') ?? lower(name);
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${lower(name)}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${lower(name)}`;
      case 'AWS::Cognito::UserPool':
        return `${REGION}_${lower(name).slice(0, 9)}`;
      case 'AWS::ApiGatewayV2::Api':
        return `api${lower(name).slice(0, 7)}`;
      case 'AWS::ApiGatewayV2::DomainName':
        return named('DomainName');
      case 'AWS::CertificateManager::Certificate':
        return `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/${lower(name)}`;
      case 'AWS::Logs::LogGroup':
        return named('LogGroupName') ?? `/aws/${lower(name)}`;
      default:
        return lower(name);
    }
  }

  att(stack: string, lid: string, attr: string): Json {
    const r = this.resource(stack, lid);
    const ref = () => String(this.ref(stack, lid));
    switch (`${r.Type}.${attr}`) {
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${ref()}`;
      case 'AWS::S3::Bucket.RegionalDomainName':
        return `${ref()}.s3.${REGION}.amazonaws.com`;
      case 'AWS::KMS::Key.Arn':
        return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${ref()}`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${ref()}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${ACCOUNT}:role/${ref()}`;
      case 'AWS::SQS::Queue.Arn':
        return `arn:aws:sqs:${REGION}:${ACCOUNT}:${lower(lid)}`;
      case 'AWS::SQS::Queue.QueueName':
        return lower(lid);
      case 'AWS::Events::EventBus.Arn':
        return `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${ref()}`;
      case 'AWS::Events::EventBus.Name':
        return ref();
      case 'AWS::StepFunctions::StateMachine.Arn':
        return ref();
      case 'AWS::StepFunctions::StateMachine.Name':
        return ref().split(':').pop();
      case 'AWS::RDS::DBProxy.DBProxyArn':
        return `arn:aws:rds:${REGION}:${ACCOUNT}:db-proxy:prx-${lower(lid).slice(0, 17)}`;
      case 'AWS::RDS::DBProxy.Endpoint':
        return `${ref()}.proxy-abcdefghijkl.${REGION}.rds.amazonaws.com`;
      case 'AWS::RDS::DBProxyEndpoint.Endpoint':
        return `${this.str(stack, r.Properties!.DBProxyEndpointName)}.endpoint.proxy-abcdefghijkl.${REGION}.rds.amazonaws.com`;
      case 'AWS::RDS::DBCluster.Endpoint.Address':
        return `${ref()}.cluster-abcdefghijkl.${REGION}.rds.amazonaws.com`;
      case 'AWS::RDS::DBCluster.Endpoint.Port':
        return String(r.Properties!.Port ?? 5432);
      case 'AWS::RDS::DBCluster.DBClusterArn':
        return `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${ref()}`;
      case 'AWS::RDS::DBCluster.DBClusterResourceId':
        return `cluster-${lower(lid).slice(0, 20)}`;
      case 'AWS::Cognito::UserPool.Arn':
        return `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${ref()}`;
      case 'AWS::Cognito::UserPool.ProviderURL':
        return `cognito-idp.${REGION}.amazonaws.com/${ref()}`;
      case 'AWS::ApiGatewayV2::Api.ApiEndpoint':
        return `https://${ref()}.execute-api.${REGION}.amazonaws.com`;
      case 'AWS::ApiGatewayV2::DomainName.RegionalDomainName':
        return `d-${lower(lid).slice(0, 10)}.execute-api.${REGION}.amazonaws.com`;
      case 'AWS::ApiGatewayV2::DomainName.RegionalHostedZoneId':
        return 'Z1UJRXOUMOOFQ8';
      case 'AWS::CloudFront::Distribution.DomainName':
        return `d${lower(lid).slice(0, 12)}.cloudfront.net`;
      case 'AWS::SNS::Topic.TopicArn':
        return ref();
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${ref()}:*`;
      case 'AWS::IAM::ManagedPolicy.PolicyArn':
        return ref();
      case 'AWS::SecretsManager::Secret.Id':
        return ref();
      default:
        return `${lower(lid)}.${attr}`;
    }
  }

  /** Every Lambda function of the templates, as Lambda will run it. */
  functions(): LambdaFn[] {
    const out: LambdaFn[] = [];
    for (const [stack, t] of Object.entries(this.templates)) {
      for (const [lid, r] of Object.entries(t.Resources ?? {})) {
        if (r.Type !== 'AWS::Lambda::Function') continue;
        const p = r.Properties ?? {};
        const env = Object.fromEntries(
          Object.entries((p.Environment?.Variables ?? {}) as Record<string, Json>).map(([k, v]) => [
            k,
            this.str(stack, v),
          ]),
        );
        const roleArn = p.Role as { 'Fn::GetAtt'?: [string, string] } | string;
        const roleLid = typeof roleArn === 'object' && roleArn['Fn::GetAtt'] ? roleArn['Fn::GetAtt'][0] : undefined;
        out.push({
          stack,
          lid,
          name: String(this.ref(stack, lid)),
          path: String(r.Metadata?.['aws:cdk:path'] ?? lid),
          entry: r.Metadata?.['svp:handler'] as string | undefined,
          env,
          timeoutSeconds: Number(p.Timeout ?? 3),
          memoryMb: Number(p.MemorySize ?? 128),
          roleLid,
          statements: roleLid ? this.roleStatements(stack, roleLid) : [],
        });
      }
    }
    return out;
  }

  /** Identity-based statements of a role: inline, attached policies and managed policies, resolved. */
  roleStatements(stack: string, roleLid: string): Statement[] {
    const t = this.templates[stack];
    const role = this.resource(stack, roleLid);
    const docs: Json[] = [];
    for (const p of (role.Properties?.Policies ?? []) as Array<{ PolicyDocument: Json }>) docs.push(p.PolicyDocument);
    const managed = new Set(((role.Properties?.ManagedPolicyArns ?? []) as Json[]).map((a) => JSON.stringify(a)));
    for (const [lid, r] of Object.entries(t.Resources ?? {})) {
      const attached = (r.Properties?.Roles ?? []) as Json[];
      const onRole = attached.some((x) => JSON.stringify(x) === JSON.stringify({ Ref: roleLid }));
      if (r.Type === 'AWS::IAM::Policy' && onRole) docs.push(r.Properties!.PolicyDocument);
      if (r.Type === 'AWS::IAM::ManagedPolicy' && (onRole || managed.has(JSON.stringify({ Ref: lid }))))
        docs.push(r.Properties!.PolicyDocument);
    }
    return docs.flatMap((d) =>
      ((this.resolve(stack, d) as { Statement: RawStatement[] }).Statement ?? []).map(normalize),
    );
  }
}

export interface LambdaFn {
  stack: string;
  lid: string;
  /** Function name (placeholder). */
  name: string;
  /** Construct path, for messages. */
  path: string;
  /** Handler module (svp:handler metadata), when it is one of ours. */
  entry?: string;
  /** Environment.Variables, resolved. */
  env: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  roleLid?: string;
  statements: Statement[];
}

interface RawStatement {
  Effect: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: Json;
  Condition?: Record<string, Record<string, Json>>;
}
export interface Statement {
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
  condition?: Record<string, Record<string, string[]>>;
}

const list = (v: Json): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String));
function normalize(s: RawStatement): Statement {
  if (s.NotAction) throw new Error('NotAction is not modelled');
  const condition = s.Condition
    ? Object.fromEntries(
        Object.entries(s.Condition).map(([op, kv]) => [
          op,
          Object.fromEntries(Object.entries(kv).map(([k, v]) => [k, list(v)])),
        ]),
      )
    : undefined;
  return {
    effect: s.Effect as 'Allow' | 'Deny',
    actions: list(s.Action),
    resources: list(s.Resource ?? '*'),
    condition,
  };
}

const glob = (pattern: string, value: string, caseInsensitive = false) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) =>
        p
          .split('?')
          .map((q) => q.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
          .join('.'),
      )
      .join('.*')}$`,
    caseInsensitive ? 'i' : '',
  ).test(value);

function conditionHolds(cond: Statement['condition'], ctx: Record<string, string>): boolean {
  if (!cond) return true;
  return Object.entries(cond).every(([op, kv]) =>
    Object.entries(kv).every(([key, values]) => {
      const actual = ctx[key];
      if (actual === undefined) return false; // a key the request does not carry never matches
      switch (op) {
        case 'StringEquals':
        case 'ArnEquals':
          return values.includes(actual);
        case 'StringLike':
        case 'ArnLike':
          return values.some((v) => glob(v, actual));
        case 'Bool':
          return values.includes(actual);
        default:
          return false;
      }
    }),
  );
}

/** One request as IAM sees it. */
export interface IamRequest {
  action: string;
  resource: string;
  context?: Record<string, string>;
}

/** Identity-policy evaluation: an explicit Deny wins, else some Allow must match. */
export function isAllowed(statements: Statement[], req: IamRequest): boolean {
  const matches = (s: Statement) =>
    s.actions.some((a) => glob(a, req.action, true)) &&
    s.resources.some((r) => glob(r, req.resource)) &&
    conditionHolds(s.condition, req.context ?? {});
  if (statements.some((s) => s.effect === 'Deny' && matches(s))) return false;
  return statements.some((s) => s.effect === 'Allow' && matches(s));
}

/** Dependency edges of a template: DependsOn plus every Ref / GetAtt / Sub reference. */
export function dependencies(t: CfnTemplate, lid: string): Set<string> {
  const r = t.Resources[lid];
  const out = new Set<string>(
    Array.isArray(r.DependsOn) ? r.DependsOn : r.DependsOn ? [r.DependsOn as unknown as string] : [],
  );
  const walk = (v: Json) => {
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, any>;
    if (typeof o.Ref === 'string' && t.Resources[o.Ref]) out.add(o.Ref);
    if (o['Fn::GetAtt']) {
      const lidOf = Array.isArray(o['Fn::GetAtt']) ? o['Fn::GetAtt'][0] : String(o['Fn::GetAtt']).split('.')[0];
      if (t.Resources[lidOf]) out.add(lidOf);
    }
    if (o['Fn::Sub']) {
      const text = Array.isArray(o['Fn::Sub']) ? o['Fn::Sub'][0] : o['Fn::Sub'];
      for (const m of String(text).matchAll(/\$\{([^}.]+)/g)) if (t.Resources[m[1]]) out.add(m[1]);
    }
    Object.values(o).forEach(walk);
  };
  walk(r.Properties);
  return out;
}
