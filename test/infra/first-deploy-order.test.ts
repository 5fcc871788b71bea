/**
 * The first `cdk deploy` into an empty account finishes: every resource that waits for a database
 * login comes, in CloudFormation's order, after the step that creates that login. Locally the
 * database and its roles exist before anything runs, so only the templates can show this.
 *
 * Who waits for a login (AWS behaviour this test encodes):
 * - AWS::RDS::DBProxyTargetGroup: its create handler registers the targets and then polls
 *   DescribeDBProxyTargets until every instance target reports AVAILABLE (240 polls x 5 s, then
 *   "Timed out waiting for target group to become available"; see the public resource provider
 *   aws-cloudformation/aws-cloudformation-resource-providers-rds-proxy, CreateHandler.java and
 *   Utility.validateHealth). A target stays UNAVAILABLE (AUTH_FAILURE) while a secret registered
 *   on the proxy names a role that cannot log in.
 * - AWS::SecretsManager::RotationSchedule: rotation starts when the schedule is created
 *   (RotateImmediatelyOnUpdate defaults to true) and the single-user rotation logs in as the
 *   secret's own user to change its password.
 *
 * Who creates a login: the DB cluster (its master user, once an instance answers), and the custom
 * resources that run our SQL: Custom::DatabaseLogins (the users in its `Logins` property) and
 * Custom::DatabaseMigrations (which creates db/migrate.ts APP_ROLE).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from 'aws-cdk-lib';
import { APP_ROLE } from '../../db/migrate.js';
import { dependencies } from './aws-model.js';
import { removeOutdirs, synthesize, type CfnTemplate, type SynthesizedApp } from './support.js';

afterAll(removeOutdirs);

interface Node {
  stack: string;
  lid: string;
}
const key = (n: Node) => `${n.stack}/${n.lid}`;

class DeployOrder {
  private readonly stackDeps = new Map<string, Set<string>>();
  constructor(
    readonly templates: Record<string, CfnTemplate>,
    stacks: Stack[],
  ) {
    const direct = new Map(stacks.map((s) => [s.stackName, s.dependencies.map((d) => d.stackName)]));
    const close = (name: string, seen = new Set<string>()): Set<string> => {
      for (const d of direct.get(name) ?? [])
        if (!seen.has(d)) {
          seen.add(d);
          close(d, seen);
        }
      return seen;
    };
    for (const s of stacks) this.stackDeps.set(s.stackName, close(s.stackName));
  }

  /** True when CloudFormation creates `b` before it starts `a`. */
  after(a: Node, b: Node): boolean {
    if (a.stack !== b.stack) return this.stackDeps.get(a.stack)?.has(b.stack) ?? false;
    const t = this.templates[a.stack];
    const seen = new Set<string>();
    const stack = [a.lid];
    while (stack.length) {
      for (const d of dependencies(t, stack.pop()!)) {
        if (d === b.lid) return true;
        if (!seen.has(d)) {
          seen.add(d);
          stack.push(d);
        }
      }
    }
    return false;
  }
}

/** The lid a `{Ref}` (or a `{{resolve:secretsmanager:<Ref>...}}` join) points at. */
function refLid(v: unknown): string | undefined {
  const s = JSON.stringify(v);
  return /"Ref":"([^"]+)"/.exec(s)?.[1];
}

/** The database user of a secret (through a target attachment), from its generation template. */
function userOfSecret(t: CfnTemplate, lid: string): string | undefined {
  const r = t.Resources[lid];
  if (!r) return undefined;
  if (r.Type === 'AWS::SecretsManager::SecretTargetAttachment') return userOfSecret(t, refLid(r.Properties!.SecretId)!);
  if (r.Type !== 'AWS::SecretsManager::Secret') return undefined;
  // The template is JSON text, or a Fn::Join that builds it (CDK adds the master secret's ARN).
  return /username\\*"\s*:\s*\\*"([A-Za-z0-9_]+)/.exec(
    JSON.stringify(r.Properties?.GenerateSecretString?.SecretStringTemplate ?? ''),
  )?.[1];
}

interface Waiter {
  node: Node;
  what: string;
  user: string;
}
interface Creator {
  node: Node;
  what: string;
  users: string[];
  alsoAfter?: Node[];
}

function loginWaiters(templates: Record<string, CfnTemplate>): Waiter[] {
  const out: Waiter[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    for (const [lid, r] of Object.entries(t.Resources)) {
      if (r.Type === 'AWS::RDS::DBProxyTargetGroup') {
        const proxyLid = refLid(r.Properties!.DBProxyName)!;
        for (const auth of t.Resources[proxyLid].Properties!.Auth as Array<{ SecretArn: unknown }>) {
          out.push({
            node: { stack, lid },
            what: `proxy target group ${lid} (proxy ${proxyLid})`,
            user: userOfSecret(t, refLid(auth.SecretArn)!) ?? '?',
          });
        }
      }
      if (r.Type === 'AWS::SecretsManager::RotationSchedule') {
        out.push({
          node: { stack, lid },
          what: `rotation ${lid}`,
          user: userOfSecret(t, refLid(r.Properties!.SecretId)!) ?? '?',
        });
      }
    }
  }
  return out;
}

function loginCreators(templates: Record<string, CfnTemplate>): Creator[] {
  const out: Creator[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    for (const [lid, r] of Object.entries(t.Resources)) {
      if (r.Type === 'AWS::RDS::DBCluster') {
        const instances = Object.entries(t.Resources)
          .filter(([, i]) => i.Type === 'AWS::RDS::DBInstance' && refLid(i.Properties!.DBClusterIdentifier) === lid)
          .map(([l]) => ({ stack, lid: l }));
        const master = r.Properties!.MasterUsername;
        const user = typeof master === 'string' ? master : userOfSecret(t, refLid(master)!);
        if (user)
          out.push({ node: { stack, lid }, what: `cluster ${lid}`, users: [user], alsoAfter: instances.slice(0, 1) });
      }
      if (r.Type === 'Custom::DatabaseLogins')
        out.push({ node: { stack, lid }, what: `${r.Type} ${lid}`, users: r.Properties!.Logins as string[] });
      if (r.Type === 'Custom::DatabaseMigrations')
        out.push({ node: { stack, lid }, what: `${r.Type} ${lid}`, users: [APP_ROLE] });
    }
  }
  return out;
}

describe.each(['prod', 'dev'] as const)('first deploy order (%s)', (stage) => {
  let s: SynthesizedApp;
  beforeAll(() => {
    s = synthesize(stage);
  });

  it('finds the resources that wait for a database login, for both database users', () => {
    const waiters = loginWaiters(s.templates);
    expect(waiters.filter((w) => w.what.startsWith('proxy')).map((w) => w.user)).toEqual([APP_ROLE]);
    expect(
      waiters
        .filter((w) => w.what.startsWith('rotation'))
        .map((w) => w.user)
        .sort(),
    ).toEqual([APP_ROLE, s.config.database.ownerUsername].sort());
  });

  it('creates every login before anything that logs in with it', () => {
    const order = new DeployOrder(s.templates, [
      s.dataStack,
      s.appStack,
      ...(s.backupCopyStack ? [s.backupCopyStack] : []),
    ]);
    const creators = loginCreators(s.templates);
    const problems: string[] = [];
    for (const w of loginWaiters(s.templates)) {
      const candidates = creators.filter((c) => c.users.includes(w.user));
      const ok = candidates.some(
        (c) => order.after(w.node, c.node) && (c.alsoAfter ?? []).every((n) => order.after(w.node, n)),
      );
      if (!ok) {
        const where = candidates
          .map(
            (c) =>
              `${c.what} in ${c.node.stack}${order.after(w.node, c.node) ? ' (but before its first instance)' : ', which is not created before it'}`,
          )
          .join('; ');
        problems.push(
          `${key(w.node)}: ${w.what} waits for ${w.user} to log in; ${where || 'nothing creates that login'}`,
        );
      }
    }
    expect(problems).toEqual([]);
  });
});
