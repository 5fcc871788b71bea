/**
 * cdk-nag acknowledgements, always on exactly one CloudFormation resource with its reason.
 *
 * Two kinds:
 * - `acknowledge(resource, ruleId, reason)`: a rule that does not fit one resource, said once.
 * - `allowWildcards(policyOwner, rules)`: an intent ("this policy may hold `<bucket>/*`
 *   because..."), turned into per-finding acknowledgements by `applyWildcardAcknowledgements`
 *   after the whole app is built, when the policy documents are final. Only IAM5 findings that
 *   match a declared pattern are acknowledged; any other wildcard stays a finding, so a grant that
 *   widens by accident still fails the nag test.
 */
import { CfnResource, Stack, Validations, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CfnManagedPolicy, CfnPolicy, CfnRole } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';

/** The single CfnResource a construct stands for (itself, or its default child). */
export function cfnResourceOf(scope: IConstruct): CfnResource {
  if (CfnResource.isCfnResource(scope)) return scope;
  const child = scope.node.defaultChild;
  if (child && CfnResource.isCfnResource(child)) return child;
  throw new Error(`acknowledgement target ${scope.node.path} is not a single CloudFormation resource`);
}

/** Acknowledges one nag rule (or one finding, `Rule[finding]`) on one resource. */
export function acknowledge(scope: IConstruct, ruleId: string, reason: string): void {
  if (!reason.trim()) throw new Error(`acknowledgement ${ruleId} on ${scope.node.path} needs a reason`);
  Validations.of(cfnResourceOf(scope)).acknowledge({ id: ruleId, reason });
}

/** A wildcard a policy may legitimately hold, and why. */
export interface WildcardAllowance {
  /** Matched against the IAM5 finding text, e.g. `Resource::<AssetBucket1234.Arn>/*`. */
  readonly pattern: RegExp;
  readonly reason: string;
}

const ALLOWANCES = Symbol.for('svp.nag.wildcardAllowances');
type WithAllowances = IConstruct & { [ALLOWANCES]?: WildcardAllowance[] };

/**
 * Declares wildcards the IAM policies inside `owner` may hold (e.g. an AppFunction: its role's
 * default policy). Never a Stack or App: that would be a blanket suppression.
 */
export function allowWildcards(owner: IConstruct, rules: WildcardAllowance[]): void {
  if (Stack.isStack(owner) || !owner.node.scope) throw new Error('allowWildcards needs a construct below a stack');
  const o = owner as WithAllowances;
  o[ALLOWANCES] = [...(o[ALLOWANCES] ?? []), ...rules];
}

function allowancesFor(node: IConstruct): WildcardAllowance[] {
  const out: WildcardAllowance[] = [];
  for (let c: IConstruct | undefined = node; c && !Stack.isStack(c); c = c.node.scope) {
    out.push(...((c as WithAllowances)[ALLOWANCES] ?? []));
  }
  return out;
}

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: unknown;
}
const arr = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The IAM5 findings cdk-nag will report for one policy resource (same algorithm). */
export function wildcardFindings(res: CfnResource): string[] {
  const stack = Stack.of(res);
  const docs: Array<{ Statement?: Statement[] }> = [];
  if (res instanceof CfnPolicy || res instanceof CfnManagedPolicy) {
    docs.push(stack.resolve(res.policyDocument));
  } else if (res instanceof CfnRole) {
    for (const p of arr(stack.resolve(res.policies)) as Array<{ policyDocument: unknown }>) {
      docs.push(stack.resolve(stack.resolve(p).policyDocument));
    }
  }
  const out = new Set<string>();
  for (const doc of docs) {
    for (const s of doc?.Statement ?? []) {
      if (s.Effect !== 'Allow') continue;
      for (const a of arr(s.Action)) if (a.includes('*')) out.add(`Action::${a}`);
      for (const r of arr(s.Resource)) {
        const flat = flattenCfnReference(r);
        if (flat.includes('*')) out.add(`Resource::${flat}`);
      }
    }
  }
  return [...out];
}

const DONE = Symbol.for('svp.nag.acknowledged');
type WithDone = IConstruct & { [DONE]?: Set<string> };

/**
 * Turns declared allowances into acknowledgements of the exact findings. Must run after the app
 * is prepared (cross-stack references resolved to imports), i.e. during validation:
 * `AwsSolutionsWithAllowances` calls it. Idempotent.
 */
export function applyWildcardAcknowledgements(root: IConstruct): void {
  for (const node of root.node.findAll()) {
    if (!(node instanceof CfnPolicy || node instanceof CfnManagedPolicy || node instanceof CfnRole)) continue;
    const allowances = allowancesFor(node);
    if (!allowances.length) continue;
    const done = ((node as WithDone)[DONE] ??= new Set<string>());
    for (const finding of wildcardFindings(node)) {
      const allowance = allowances.find((a) => a.pattern.test(finding));
      if (!allowance || done.has(finding)) continue;
      done.add(finding);
      Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: allowance.reason });
    }
  }
}

/** Escapes a literal for use inside a RegExp. */
export const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * cdk-nag's AwsSolutions pack, applying the declared wildcard allowances first (at validation
 * time, when policy documents and cross-stack references are final).
 */
export class AwsSolutionsWithAllowances extends AwsSolutionsChecks {
  override validateScope(scope: IConstruct): PolicyValidationPluginReport {
    applyWildcardAcknowledgements(scope);
    return super.validateScope(scope);
  }
}
