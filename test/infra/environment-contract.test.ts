/**
 * Environment contract: every Lambda function of the synthesized prod templates, run the way
 * Lambda runs it. Each handler gets its own process (test/infra/contract/run-lambda.ts) with
 * exactly the environment its template gives it (tokens resolved to placeholders, plus what the
 * Lambda runtime itself sets), a file system that is read-only outside /tmp, every AWS call
 * answered only if the function's role in the template allows it (S3 answers a missing key with
 * 403 without s3:ListBucket, SES in the sandbox checks every recipient), and a real PostgreSQL.
 * One representative event each. Locally all handlers share one process, one key file and one
 * environment, so none of this shows there.
 *
 * One deliberate substitution: the database variables point at the test server (host, port,
 * database, a password instead of an IAM token, no TLS), which PostgreSQL here cannot play; the
 * RDS IAM grant and the TLS mode are checked from the templates (permission coverage, stacks).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../functions/adapters/storage/object-store.js';
import { routes } from '../../functions/handlers/api/routes.js';
import { jobSchedules, PROJECT_ROOT } from '../../lib/config/handlers.js';
import { stages } from '../../lib/config/stages.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createRequest, createTenant, createWorkflow, type Fixture } from '../integration/approvals/support.js';
import { ACCOUNT, AwsModel, REGION, type LambdaFn } from './aws-model.js';
import type { RunConfig } from './contract/run-lambda.js';
import { removeOutdirs, synthesize } from './support.js';

const run = promisify(execFile);
const RUNNER = path.join(PROJECT_ROOT, 'test/infra/contract/run-lambda.ts');
const TSX = path.join(PROJECT_ROOT, 'node_modules/tsx/dist/esm/index.mjs');

let model: AwsModel;
let db: TestDatabase;
let f: Fixture;
let requestId: string;
let workDir: string;
const kmsKek = randomBytes(32).toString('base64');
const functions: LambdaFn[] = [];

/** Writes nothing: the fixture's variant rows are what the approval steps read. */
const nullStore = { put: async () => {}, head: async () => undefined } as unknown as ObjectStore;

beforeAll(async () => {
  model = new AwsModel(synthesize('prod').templates as never);
  functions.push(...model.functions().filter((x) => x.entry));
  db = await createTestDatabase();
  f = await createTenant(db.owner, 'Contract');
  const workflowId = await createWorkflow(db.owner, f, [
    { name: 'Review', approvers: { roles: ['approver'] }, quorum: { type: 'any' }, deadlineHours: 24 },
  ]);
  ({ requestId } = await createRequest(db.owner, nullStore, f, workflowId));
  workDir = mkdtempSync(path.join(os.tmpdir(), 'svp-contract-'));
}, 180_000);
afterAll(async () => {
  await db?.drop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  removeOutdirs();
});

const claims = () => ({ sub: `contract-${f.users.owner.id}`, email: f.users.owner.email, email_verified: 'true' });

function apiEvent(fn: string) {
  const preferred: Record<string, string> = {
    approvals: 'listApprovals',
    webhooks: 'createWebhook',
    assets: 'listAssets',
    'content-requests': 'listContentRequests',
  };
  const entries = (routes as ReadonlyArray<{ id: string; method: string; path: string; fn: string; auth: string }>)
    .filter((r) => r.fn === fn)
    .map((r) => [r.id, r] as const);
  const [id, r] =
    entries.find(([k]) => k === preferred[fn]) ?? entries.find(([, x]) => x.method === 'GET') ?? entries[0];
  const rawPath = r.path
    .replace('{orgId}', f.orgId)
    .replace('{brandId}', f.brandId)
    .replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
  const body =
    id === 'createWebhook'
      ? JSON.stringify({ url: 'https://hooks.example.com/svp', events: ['content.published'] })
      : undefined;
  return {
    version: '2.0',
    routeKey: `${r.method} ${r.path}`,
    rawPath,
    rawQueryString: '',
    isBase64Encoded: false,
    body,
    headers: { accept: 'application/json', 'content-type': 'application/json', 'user-agent': 'contract-test' },
    pathParameters: Object.fromEntries(
      [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => [
        m[1],
        m[1] === 'orgId' ? f.orgId : m[1] === 'brandId' ? f.brandId : '00000000-0000-4000-8000-000000000000',
      ]),
    ),
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      requestId: randomBytes(8).toString('hex'),
      routeKey: `${r.method} ${r.path}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      http: {
        method: r.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'contract-test',
      },
      ...(r.auth === 'jwt' ? { authorizer: { jwt: { claims: claims(), scopes: null } } } : {}),
    },
  };
}

/** One representative event per function, by what it is. */
function eventFor(fn: LambdaFn): { event: unknown; expect: 'http' | 'ok' | 'ok-or-domain-error' } {
  const e = fn.entry!;
  const ref = { orgId: f.orgId, requestId, run: 1 };
  if (e.startsWith('functions/handlers/api/')) return { event: apiEvent(path.basename(e, '.ts')), expect: 'http' };
  if (e.endsWith('/approval-step.ts')) {
    return {
      event: {
        ...ref,
        action: 'wait',
        stepIndex: 0,
        phase: 'initial',
        taskToken: `AQB${randomBytes(40).toString('base64url')}`,
        timeoutSeconds: 86_400,
      },
      expect: 'ok',
    };
  }
  if (e.startsWith('functions/handlers/workflow/') && !/approval-(outbox|reminders)|publish-webhook-retry/.test(e))
    return { event: ref, expect: 'ok-or-domain-error' };
  if (e.startsWith('functions/handlers/migrate/')) {
    return {
      event: {
        RequestType: 'Delete',
        PhysicalResourceId: 'svp-contract',
        ServiceToken: 'x',
        ResponseURL: 'https://example.com',
        StackId: 's',
        RequestId: 'r',
        LogicalResourceId: 'l',
        ResourceType: 'Custom::X',
        ResourceProperties: { ServiceToken: 'x' },
      },
      expect: 'ok',
    };
  }
  if (e.endsWith('/execution-ended.ts')) {
    return {
      event: {
        version: '0',
        id: 'e',
        source: 'aws.states',
        account: ACCOUNT,
        region: REGION,
        time: new Date().toISOString(),
        resources: [],
        'detail-type': 'Step Functions Execution Status Change',
        detail: {
          executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:svp-prod-content-workflow:r-unknown-1`,
          stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:svp-prod-content-workflow`,
          name: 'r-unknown-1',
          status: 'FAILED',
          input: JSON.stringify({ orgId: f.orgId, requestId: '00000000-0000-4000-8000-000000000000', run: 1 }),
        },
      },
      expect: 'ok',
    };
  }
  if (e.endsWith('/content-published.ts'))
    return {
      event: {
        'detail-type': 'content.published',
        source: 'svp',
        detail: { id: '00000000-0000-4000-8000-000000000000', organizationId: f.orgId },
      },
      expect: 'ok-or-domain-error',
    };
  const job = jobSchedules.find((j) => j.entry === e);
  if (job) return { event: { ...job.input, scheduledTime: new Date().toISOString() }, expect: 'ok' };
  throw new Error(`no representative event for ${e}`);
}

/** The process environment Lambda gives this function. */
function lambdaEnv(fn: LambdaFn, taskRoot: string): Record<string, string> {
  const env: Record<string, string> = {
    ...fn.env,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    AWS_ACCESS_KEY_ID: 'ASIACONTRACTTEST0000',
    AWS_SECRET_ACCESS_KEY: 'contract-test-secret',
    AWS_SESSION_TOKEN: 'contract-test-session',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  // The one substitution (see the file comment): the proxy becomes the test server.
  for (const k of ['DATABASE_URL', 'DATABASE_READ_URL']) if (env[k]) env[k] = db.appUrl;
  if (env.DATABASE_IAM_AUTH) env.DATABASE_IAM_AUTH = 'false';
  return env;
}

/** Secret values the stand-in Secrets Manager returns, with the key each is encrypted under. */
function secrets(): RunConfig['secrets'] {
  const out: RunConfig['secrets'] = {};
  const u = new URL(db.ownerUrl);
  for (const [stack, t] of Object.entries(model.templates)) {
    for (const [lid, r] of Object.entries(t.Resources)) {
      if (r.Type !== 'AWS::SecretsManager::Secret') continue;
      const arn = String(model.ref(stack, lid));
      const kmsKeyArn = r.Properties?.KmsKeyId ? model.str(stack, r.Properties.KmsKeyId) : undefined;
      const user = /username\\*"\s*:\s*\\*"([a-z_]+)/.exec(
        JSON.stringify(r.Properties?.GenerateSecretString ?? ''),
      )?.[1];
      const value = user
        ? JSON.stringify({
            username: user,
            password: 'contract',
            host: u.hostname,
            port: Number(u.port),
            dbname: u.pathname.slice(1),
          })
        : 'contract-freepik-key';
      out[arn] = { value, kmsKeyArn };
    }
  }
  return out;
}

interface Outcome {
  ok: boolean;
  result?: any;
  error?: { name?: string; message?: string; code?: string; cause?: { name?: string; message?: string } };
  calls: string[];
  stderr: string;
}

async function invoke(fn: LambdaFn): Promise<Outcome & { expect: string }> {
  const { event, expect: kind } = eventFor(fn);
  const taskRoot = path.join(workDir, fn.lid, 'var-task');
  mkdirSync(taskRoot, { recursive: true });
  const identities = Object.entries(model.templates).flatMap(([s, t]) =>
    Object.entries(t.Resources)
      .filter(([, r]) => r.Type === 'AWS::SES::EmailIdentity')
      .map(([l]) => String(model.ref(s, l))),
  );
  const cfg: RunConfig = {
    projectRoot: PROJECT_ROOT,
    entry: fn.entry!,
    event,
    taskRoot,
    statements: fn.statements,
    region: REGION,
    account: ACCOUNT,
    secrets: secrets(),
    kmsKek,
    ses: {
      identities,
      sandboxRecipients: stages.prod.email.sandboxRecipients ? [...stages.prod.email.sandboxRecipients] : undefined,
    },
  };
  const file = path.join(workDir, `${fn.lid}.json`);
  writeFileSync(file, JSON.stringify(cfg));
  const r = await run(process.execPath, ['--import', TSX, RUNNER, file], {
    cwd: taskRoot,
    env: lambdaEnv(fn, taskRoot),
    timeout: 90_000,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? String(e) }));
  const line = r.stdout.split('\n').find((l) => l.startsWith('CONTRACT_RESULT '));
  if (!line)
    return {
      ok: false,
      error: { name: 'NoResult', message: r.stderr.split('\n').slice(-8).join(' | ') },
      calls: [],
      stderr: r.stderr,
      expect: kind,
    };
  return { ...(JSON.parse(line.slice('CONTRACT_RESULT '.length)) as Outcome), stderr: r.stderr, expect: kind };
}

/** What makes a run a contract failure, whatever the event. */
function contractViolation(o: Outcome): string | undefined {
  const denied = o.calls.filter((c) => c.startsWith('DENIED') || c.startsWith('403 for a missing key'));
  if (denied.length) return `AWS refused: ${denied.join('; ')}`;
  const text = `${o.error?.name} ${o.error?.message} ${o.error?.cause?.message ?? ''}`;
  if (!o.ok && /configuration error|EROFS|not modelled|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|NoResult/.test(text))
    return text;
  if (!o.ok && !String(o.error?.name).includes('.')) return `crashed: ${text}`;
  if (!o.ok && o.error?.name?.endsWith('.internal')) return `internal error: ${text}`;
  return undefined;
}

describe('environment contract (prod templates)', () => {
  it('covers every function the templates deploy', () => {
    const ours = model
      .functions()
      .filter((x) => x.entry)
      .map((x) => x.entry);
    // Only CDK's own custom resource framework handlers carry no handler of ours.
    const others = model.functions().filter((x) => !x.entry);
    expect(
      others.every(
        (x) =>
          x.env.USER_ON_EVENT_FUNCTION_ARN ||
          /AWS679f53fac002430cb0da5b7982bd2287|LogRetention|BucketNotifications/.test(x.lid),
      ),
      others.map((x) => x.path).join(', '),
    ).toBe(true);
    expect(ours.length).toBeGreaterThan(30);
  });

  it("runs each handler with only its template environment, a read-only /var/task and its role's permissions", async () => {
    const problems: string[] = [];
    const queue = [...functions];
    const summary: string[] = [];
    await Promise.all(
      [0, 1].map(async () => {
        for (let fn = queue.shift(); fn; fn = queue.shift()) {
          const o = await invoke(fn);
          let problem = contractViolation(o);
          if (!problem && o.expect === 'ok' && !o.ok) problem = `failed: ${o.error?.name} ${o.error?.message}`;
          if (!problem && o.expect === 'http') {
            if (!o.ok) problem = `threw: ${o.error?.name} ${o.error?.message}`;
            else if (o.result.statusCode >= 500)
              problem = `answered ${o.result.statusCode}: ${String(o.result.body).slice(0, 300)}`;
          }
          const debug = process.env.CONTRACT_DEBUG ? ` ${JSON.stringify(o.result ?? o.error).slice(0, 300)}` : '';
          summary.push(
            `${fn.entry}: ${o.ok ? (o.result?.statusCode ?? 'ok') : o.error?.name} [${o.calls.join(', ')}]${debug}`,
          );
          if (problem) problems.push(`${fn.entry} (${fn.path}): ${problem}`);
        }
      }),
    );
    console.log(summary.sort().join('\n'));
    expect(problems.sort()).toEqual([]);
  }, 900_000);
});
