/**
 * cdk-nag AwsSolutions over every stack of both stages: zero unacknowledged findings, and every
 * acknowledgement sits on exactly one CloudFormation resource with a reason. A control case proves
 * the checks are live (a careless bucket added to the app is reported).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CfnResource, type Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../lib/app.js';
import { AwsSolutionsWithAllowances } from '../../lib/constructs/nag.js';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { removeOutdirs, tempOutdir } from './support.js';

const build = (stage: 'dev' | 'prod', nag = true) =>
  buildApp({ stage, skipBundling: true, nag, cfnValidation: false, outdir: tempOutdir(`svp-nag-${stage}-`) });

afterAll(removeOutdirs);

interface Ack {
  path: string;
  isCfnResource: boolean;
  type?: string;
  id: string;
  reason: string;
}

function acknowledgements(root: IConstruct): Ack[] {
  const out: Ack[] = [];
  for (const c of root.node.findAll()) {
    for (const m of c.node.metadata) {
      if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(m.data as Record<string, string>)) {
        out.push({
          path: c.node.path,
          isCfnResource: CfnResource.isCfnResource(c),
          type: CfnResource.isCfnResource(c) ? c.cfnResourceType : undefined,
          id,
          reason,
        });
      }
    }
  }
  return out;
}

describe.each(['dev', 'prod'] as const)('cdk-nag AwsSolutions (%s)', (stage) => {
  it('synthesizes with the nag plugin and reports zero unacknowledged findings', () => {
    const { app } = build(stage);
    // The plugin makes synth throw on any finding; the report lists them when it does.
    let report = '';
    try {
      app.synth();
    } catch (e) {
      report = String(e);
    }
    expect(report).toBe('');
    const rerun = new AwsSolutionsWithAllowances().validateScope(app);
    expect(
      rerun.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
    ).toEqual([]);

    // cdk-nag acknowledgements only (CDK core acknowledges some of its own template lint warnings).
    const acks = acknowledgements(app).filter((a) => a.id.includes('AwsSolutions-'));
    const summary = acks.map((a) => ({ resource: `${a.path} (${a.type})`, rule: a.id, reason: a.reason }));
    const dir = path.join('bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `nag-acknowledgements-${stage}.json`), `${JSON.stringify(summary, null, 2)}\n`);
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.isCfnResource, `${a.id} acknowledged on ${a.path}, which is not a single CloudFormation resource`).toBe(
        true,
      );
      expect(a.reason.trim().length, `${a.id} on ${a.path} has no reason`).toBeGreaterThan(20);
    }
    // No rule is waved through wholesale: an IAM5 acknowledgement names its exact finding.
    expect(acks.filter((a) => /AwsSolutions-IAM[45]$/.test(a.id.replace(/^annotation::/i, '')))).toEqual([]);
  });
});

describe('cdk-nag control', () => {
  it('reports a careless resource added to the app (the checks are live)', () => {
    const { app, appStack } = build('dev', false);
    new s3.Bucket(appStack as Stack, 'CarelessBucket');
    app.synth();
    const report = new AwsSolutionsWithAllowances().validateScope(app);
    const rules = report.violations
      .filter((v) => v.violatingResources.some((r) => r.constructPath?.includes('CarelessBucket')))
      .map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});
