/**
 * Permission coverage: every AWS adapter declares the IAM actions each of its operations sends
 * (functions/adapters/aws-permissions.ts and the `*_PERMISSIONS` next to each adapter). For every
 * function in the synthesized templates, the operations it is configured for (its environment and
 * its needs in lib/config/functions.ts) must be allowed by its role, on the resources its
 * environment names, by IAM's rules (an explicit Deny wins; conditions must hold).
 *
 * This is what local runs never check: s3rver, the emulators and the local runner enforce no IAM.
 * Semantics encoded here that only real AWS shows: HeadObject on a missing key is 403 without
 * s3:ListBucket; the SES sandbox authorizes a send against every recipient's identity as well.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CfnResource } from 'aws-cdk-lib';
import { SECRET_READ_PERMISSIONS, type AwsPermission } from '../../functions/adapters/aws-permissions.js';
import { EVENT_PUBLISHER_PERMISSIONS } from '../../functions/adapters/approvals/event-publisher.js';
import { SES_MAILER_PERMISSIONS } from '../../functions/adapters/approvals/ses-mailer.js';
import { FIELD_CIPHER_PERMISSIONS } from '../../functions/adapters/crypto/envelope.js';
import { RDS_IAM_PERMISSIONS } from '../../functions/adapters/db/iam-token.js';
import { OBJECT_STORE_PERMISSIONS } from '../../functions/adapters/storage/object-store.js';
import { executionArnFor, SFN_STARTER_PERMISSIONS } from '../../functions/adapters/workflow/sfn-starter.js';
import { TASK_CALLBACK_PERMISSIONS } from '../../functions/adapters/workflow/task-callbacks.js';
import { stages } from '../../lib/config/stages.js';
import { BUCKET_MODE_OPERATIONS, type BucketAccess } from '../../lib/constructs/app-function.js';
import { ACCOUNT, AwsModel, isAllowed, REGION, type IamRequest, type LambdaFn } from './aws-model.js';
import { logicalId, removeOutdirs, synthesize, type SynthesizedApp } from './support.js';

afterAll(removeOutdirs);

const SAMPLE_KEY = 'orgs/0b6f8f3e-1f0e-4a51-9d1c-7f7cbb2d0a01/requests/5c1d2a9e-3b7f-4e0c-8a6d-2e4f6a8b0c02/master.png';

interface Required extends IamRequest {
  why: string;
}

/** The requests an operation's declaration turns into, given how to name each resource kind. */
function requests(
  adapter: string,
  op: string,
  perms: readonly AwsPermission[],
  resourceOf: (on: string) => string[],
  context: (on: string) => Record<string, string> = () => ({}),
): Required[] {
  return perms.flatMap((p) =>
    resourceOf(p.on).map((resource) => ({
      action: p.action,
      resource,
      context: context(p.on),
      why: `${adapter}.${op}${p.why ? ` (${p.why})` : ''}`,
    })),
  );
}

class Coverage {
  readonly model: AwsModel;
  constructor(readonly s: SynthesizedApp) {
    this.model = new AwsModel(s.templates as never);
  }

  private needsOf(fn: LambdaFn): readonly string[] {
    for (const [f, n] of this.s.appStack.functionNeeds)
      if (fn.stack === f.stack.stackName && logicalId(f.node.defaultChild as CfnResource) === fn.lid) return n.needs;
    return [];
  }

  /** A secret's CMK ARN, from the secret resource the ARN names. */
  private secretKey(arn: string): string | undefined {
    for (const [stack, t] of Object.entries(this.model.templates)) {
      for (const [lid, r] of Object.entries(t.Resources)) {
        if (r.Type === 'AWS::SecretsManager::Secret' && this.model.ref(stack, lid) === arn)
          return r.Properties?.KmsKeyId ? this.model.str(stack, r.Properties.KmsKeyId) : undefined;
      }
    }
    return undefined;
  }

  private sesIdentities(): string[] {
    return Object.entries(this.model.templates).flatMap(([stack, t]) =>
      Object.entries(t.Resources)
        .filter(([, r]) => r.Type === 'AWS::SES::EmailIdentity')
        .map(([lid]) => String(this.model.ref(stack, lid))),
    );
  }

  private proxyResourceId(host: string): string {
    for (const [stack, t] of Object.entries(this.model.templates)) {
      for (const [lid, r] of Object.entries(t.Resources)) {
        const proxyLid =
          r.Type === 'AWS::RDS::DBProxy' && this.model.att(stack, lid, 'Endpoint') === host
            ? lid
            : r.Type === 'AWS::RDS::DBProxyEndpoint' && this.model.att(stack, lid, 'Endpoint') === host
              ? /"Ref":"([^"]+)"/.exec(JSON.stringify(r.Properties!.DBProxyName))![1]
              : undefined;
        if (proxyLid) return String(this.model.att(stack, proxyLid, 'DBProxyArn')).split(':')[6];
      }
    }
    throw new Error(`no proxy serves ${host}`);
  }

  required(fn: LambdaFn): Required[] {
    const e = fn.env;
    const needs = this.needsOf(fn);
    const out: Required[] = [];
    if (e.ASSET_BUCKET) {
      const mode = needs.find((n) => n.startsWith('bucket:'))?.slice('bucket:'.length) as BucketAccess | undefined;
      expect(mode, `${fn.entry} has ASSET_BUCKET but no bucket need`).toBeDefined();
      for (const op of BUCKET_MODE_OPERATIONS[mode!]) {
        out.push(
          ...requests('objectStore', op, OBJECT_STORE_PERMISSIONS[op], (on) => [
            on === 'bucket' ? `arn:aws:s3:::${e.ASSET_BUCKET}` : `arn:aws:s3:::${e.ASSET_BUCKET}/${SAMPLE_KEY}`,
          ]),
        );
      }
    }
    if (e.FIELD_KMS_KEY_ID) {
      for (const [op, perms] of Object.entries(FIELD_CIPHER_PERMISSIONS))
        out.push(...requests('fieldCipher', op, perms, () => [e.FIELD_KMS_KEY_ID]));
    }
    if (e.MAIL_FROM) {
      const identities = this.sesIdentities();
      const from = e.MAIL_FROM.replace(/^.*</, '').replace(/>.*$/, '');
      const sender = identities.find((i) => i === from) ?? identities.find((i) => from.endsWith(`@${i}`));
      expect(sender, `no SES identity covers ${from}`).toBeDefined();
      const recipients = this.s.config.email.sandboxRecipients ?? [];
      out.push(
        ...requests('sesMailer', 'send', SES_MAILER_PERMISSIONS.send, (on) =>
          (on === 'sender-identity' ? [sender!] : recipients).map(
            (i) => `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${i}`,
          ),
        ),
      );
    }
    if (needs.includes('workflow:start')) {
      const sm = e.STATE_MACHINE_ARN;
      for (const [op, perms] of Object.entries(SFN_STARTER_PERMISSIONS)) {
        out.push(
          ...requests('sfnStarter', op, perms, (on) => [
            on === 'state-machine' ? sm : executionArnFor(sm, 'r-5c1d2a9e-1'),
          ]),
        );
      }
    }
    if (needs.includes('workflow:decide')) {
      for (const [op, perms] of Object.entries(TASK_CALLBACK_PERMISSIONS))
        out.push(...requests('taskCallbacks', op, perms, () => ['*']));
    }
    if (e.EVENT_BUS_NAME)
      out.push(
        ...requests('eventPublisher', 'publish', EVENT_PUBLISHER_PERMISSIONS.publish, () => [
          `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${e.EVENT_BUS_NAME}`,
        ]),
      );
    if (e.DATABASE_IAM_AUTH === 'true') {
      for (const url of new Set([e.DATABASE_URL, e.DATABASE_READ_URL].filter(Boolean))) {
        const u = new URL(url);
        out.push(
          ...requests('rdsIamToken', 'connect', RDS_IAM_PERMISSIONS.connect, () => [
            `arn:aws:rds-db:${REGION}:${ACCOUNT}:dbuser:${this.proxyResourceId(u.hostname)}/${u.username}`,
          ]),
        );
      }
    }
    for (const v of ['DB_OWNER_SECRET_ARN', 'DB_APP_SECRET_ARN', 'FREEPIK_API_KEY_SECRET_ARN']) {
      if (!e[v]) continue;
      const key = this.secretKey(e[v]);
      out.push(
        ...requests(
          `secret ${v}`,
          'read',
          SECRET_READ_PERMISSIONS.read,
          (on) => (on === 'secret' ? [e[v]] : key ? [key] : []),
          (on): Record<string, string> =>
            on === 'secret-key' ? { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } : {},
        ),
      );
    }
    return out;
  }
}

describe.each(['prod', 'dev'] as const)('permission coverage (%s)', (stage) => {
  let c: Coverage;
  beforeAll(() => {
    c = new Coverage(synthesize(stage));
  });

  it("every function's role allows what its adapters declare, on the resources it is configured with", () => {
    const fns = c.model.functions().filter((f) => f.entry);
    expect(fns.length).toBeGreaterThan(30);
    const problems: string[] = [];
    let checked = 0;
    for (const fn of fns) {
      for (const r of c.required(fn)) {
        checked++;
        if (!isAllowed(fn.statements, r))
          problems.push(`${fn.entry} (${fn.path}): ${r.action} on ${r.resource} — needed by ${r.why}`);
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect([...new Set(problems)]).toEqual([]);
  });

  it('grants nothing on another bucket, key or identity than the configured ones (the evaluator is not permissive)', () => {
    const fn = c.model.functions().find((f) => f.entry === 'functions/handlers/api/assets.ts')!;
    expect(
      isAllowed(fn.statements, {
        action: 's3:GetObject',
        resource: `arn:aws:s3:::${fn.env.ASSET_BUCKET}/${SAMPLE_KEY}`,
      }),
    ).toBe(true);
    expect(
      isAllowed(fn.statements, { action: 's3:GetObject', resource: `arn:aws:s3:::another-bucket/${SAMPLE_KEY}` }),
    ).toBe(false);
    expect(isAllowed(fn.statements, { action: 's3:ListBucket', resource: `arn:aws:s3:::another-bucket` })).toBe(false);
    expect(
      isAllowed(fn.statements, { action: 's3:PutBucketPolicy', resource: `arn:aws:s3:::${fn.env.ASSET_BUCKET}` }),
    ).toBe(false);
    const approvals = c.model.functions().find((f) => f.entry === 'functions/handlers/api/approvals.ts')!;
    expect(
      isAllowed(approvals.statements, {
        action: 'kms:Decrypt',
        resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/other`,
      }),
    ).toBe(false);
    expect(
      isAllowed(approvals.statements, {
        action: 'ses:SendEmail',
        resource: `arn:aws:ses:${REGION}:${ACCOUNT}:identity/stranger@example.org`,
      }),
    ).toBe(false);
  });
});

it('the dev stage, which sends from the SES sandbox, names the recipients it may mail', () => {
  expect(stages.dev.email.sandboxRecipients?.length).toBeGreaterThan(0);
});
