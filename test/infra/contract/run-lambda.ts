/**
 * Runs one handler the way Lambda would, in its own process: started with exactly the
 * environment its template gives it (the caller builds it), a read-only file system outside /tmp
 * (the task root, standing in for /var/task, is read-only too), and every AWS call answered by a
 * stand-in that first asks IAM, from the function's role in the template, whether the call is
 * allowed. Prints one line `CONTRACT_RESULT <json>` and exits.
 *
 *   node --import tsx test/infra/contract/run-lambda.ts <config.json>
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import fs, { readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isAllowed, type IamRequest, type Statement } from '../aws-model.js';

export interface RunConfig {
  projectRoot: string;
  entry: string;
  event: unknown;
  taskRoot: string;
  statements: Statement[];
  region: string;
  account: string;
  /** Secret ARN -> { value, kmsKeyArn }. */
  secrets: Record<string, { value: string; kmsKeyArn?: string }>;
  /** SES identities of the stack, and the sandbox recipients (undefined outside the sandbox). */
  ses: { identities: string[]; sandboxRecipients?: string[] };
  /** Shared between processes so one function can open what another sealed. */
  kmsKek: string;
}

const config = JSON.parse(readFileSync(process.argv[2], 'utf8')) as RunConfig;
const calls: string[] = [];

// ---- the file system: Lambda's is read-only outside /tmp ----------------------------------------
const writable = (p: string | URL | number) => {
  if (typeof p === 'number') return true;
  const abs = path.resolve(String(p instanceof URL ? p.pathname : p));
  const under = (root: string) => abs === root || abs.startsWith(root + path.sep);
  return under('/tmp') && !under(config.taskRoot);
};
const erofs = (p: unknown) =>
  Object.assign(new Error(`EROFS: read-only file system, open '${String(p)}' (only /tmp is writable in Lambda)`), {
    code: 'EROFS',
  });
const writeFlags = (flags: unknown) =>
  typeof flags === 'string'
    ? /[wax+]/.test(flags)
    : typeof flags === 'number'
      ? (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT)) !== 0
      : false;
const guard = (name: string, isWrite: (args: unknown[]) => boolean) => {
  for (const target of [fs as any, fs.promises as any]) {
    const orig = target[name];
    if (typeof orig !== 'function') continue;
    target[name] = function (this: unknown, ...args: unknown[]) {
      if (isWrite(args) && !writable(args[0] as string)) {
        if (target === fs.promises) return Promise.reject(erofs(args[0]));
        const cb = args[args.length - 1];
        if (typeof cb === 'function' && !name.endsWith('Sync')) {
          (cb as (e: unknown) => void)(erofs(args[0]));
          return;
        }
        throw erofs(args[0]);
      }
      return orig.apply(this, args);
    };
  }
};
for (const n of [
  'writeFile',
  'writeFileSync',
  'appendFile',
  'appendFileSync',
  'mkdir',
  'mkdirSync',
  'mkdtemp',
  'mkdtempSync',
  'rm',
  'rmSync',
  'unlink',
  'unlinkSync',
  'rename',
  'renameSync',
  'copyFile',
  'copyFileSync',
  'chmod',
  'chmodSync',
  'symlink',
  'symlinkSync',
  'createWriteStream',
])
  guard(n, () => true);
for (const n of ['open', 'openSync']) guard(n, (a) => writeFlags(a[1]));
syncBuiltinESMExports();

// ---- AWS: IAM first, then a small stand-in for the service ---------------------------------------
const arn = (service: string, resource: string) => `arn:aws:${service}:${config.region}:${config.account}:${resource}`;
class AwsError extends Error {
  constructor(
    name: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = name;
  }
  get $metadata() {
    return { httpStatusCode: this.status };
  }
  get $fault() {
    return this.status >= 500 ? 'server' : 'client';
  }
}
const authorize = (service: string, reqs: IamRequest[]) => {
  for (const r of reqs) {
    if (!isAllowed(config.statements, r)) {
      calls.push(`DENIED ${r.action} ${r.resource}`);
      throw new AwsError(
        service === 's3' ? 'AccessDenied' : 'AccessDeniedException',
        `User is not authorized to perform: ${r.action} on resource: ${r.resource}`,
        403,
      );
    }
    calls.push(`${r.action} ${r.resource}`);
  }
};
const objects = new Map<string, { body: Buffer; contentType?: string }>();
const kek = Buffer.from(config.kmsKek, 'base64');

type Handler = (input: any) => unknown;
const services: Record<string, { module: string; client: string; handlers: Record<string, Handler> }> = {
  s3: {
    module: '@aws-sdk/client-s3',
    client: 'S3Client',
    handlers: {
      PutObjectCommand: (i) => {
        authorize('s3', [{ action: 's3:PutObject', resource: `arn:aws:s3:::${i.Bucket}/${i.Key}` }]);
        objects.set(`${i.Bucket}/${i.Key}`, { body: Buffer.from(i.Body ?? ''), contentType: i.ContentType });
        return { ETag: '"e"' };
      },
      GetObjectCommand: (i) => {
        authorize('s3', [{ action: 's3:GetObject', resource: `arn:aws:s3:::${i.Bucket}/${i.Key}` }]);
        const o = objects.get(`${i.Bucket}/${i.Key}`);
        if (!o) missing(i.Bucket, 'NoSuchKey');
        return {
          Body: { transformToByteArray: async () => new Uint8Array(o!.body) },
          ContentType: o!.contentType,
          ContentLength: o!.body.length,
        };
      },
      HeadObjectCommand: (i) => {
        authorize('s3', [{ action: 's3:GetObject', resource: `arn:aws:s3:::${i.Bucket}/${i.Key}` }]);
        const o = objects.get(`${i.Bucket}/${i.Key}`);
        if (!o) missing(i.Bucket, 'NotFound');
        return { ContentLength: o!.body.length, ContentType: o!.contentType, ETag: '"e"' };
      },
      DeleteObjectCommand: (i) => {
        authorize('s3', [{ action: 's3:DeleteObject', resource: `arn:aws:s3:::${i.Bucket}/${i.Key}` }]);
        objects.delete(`${i.Bucket}/${i.Key}`);
        return {};
      },
      CopyObjectCommand: (i) => {
        const src = decodeURIComponent(String(i.CopySource));
        authorize('s3', [
          { action: 's3:GetObject', resource: `arn:aws:s3:::${src}` },
          { action: 's3:PutObject', resource: `arn:aws:s3:::${i.Bucket}/${i.Key}` },
        ]);
        const o = objects.get(src);
        if (!o) throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404);
        objects.set(`${i.Bucket}/${i.Key}`, { ...o, contentType: i.ContentType ?? o.contentType });
        return {};
      },
    },
  },
  kms: {
    module: '@aws-sdk/client-kms',
    client: 'KMSClient',
    handlers: {
      GenerateDataKeyCommand: (i) => {
        authorize('kms', [{ action: 'kms:GenerateDataKey', resource: String(i.KeyId) }]);
        const plaintext = randomBytes(32);
        return {
          Plaintext: new Uint8Array(plaintext),
          CiphertextBlob: new Uint8Array(wrap(String(i.KeyId), i.EncryptionContext, plaintext)),
          KeyId: i.KeyId,
        };
      },
      DecryptCommand: (i) => {
        authorize('kms', [{ action: 'kms:Decrypt', resource: String(i.KeyId) }]);
        return {
          Plaintext: new Uint8Array(unwrap(String(i.KeyId), i.EncryptionContext, Buffer.from(i.CiphertextBlob))),
          KeyId: i.KeyId,
        };
      },
    },
  },
  ses: {
    module: '@aws-sdk/client-sesv2',
    client: 'SESv2Client',
    handlers: {
      SendEmailCommand: (i) => {
        const from = String(i.FromEmailAddress).replace(/^.*</, '').replace(/>.*$/, '');
        const identity =
          config.ses.identities.find((x) => x === from) ?? config.ses.identities.find((x) => from.endsWith(`@${x}`));
        if (!identity) throw new AwsError('MessageRejected', `Email address is not verified: ${from}`, 400);
        const to: string[] = i.Destination?.ToAddresses ?? [];
        const reqs = [{ action: 'ses:SendEmail', resource: arn('ses', `identity/${identity}`) }];
        if (config.ses.sandboxRecipients) {
          for (const r of to) {
            if (!config.ses.identities.includes(r))
              throw new AwsError(
                'MessageRejected',
                `Email address is not verified. The following identities failed the check: ${r}`,
                400,
              );
            reqs.push({ action: 'ses:SendEmail', resource: arn('ses', `identity/${r}`) });
          }
        }
        authorize('ses', reqs);
        return { MessageId: randomUUID() };
      },
    },
  },
  sfn: {
    module: '@aws-sdk/client-sfn',
    client: 'SFNClient',
    handlers: {
      StartExecutionCommand: (i) => {
        authorize('states', [{ action: 'states:StartExecution', resource: i.stateMachineArn }]);
        return {
          executionArn: `${String(i.stateMachineArn).replace(':stateMachine:', ':execution:')}:${i.name}`,
          startDate: new Date(),
        };
      },
      DescribeExecutionCommand: (i) => {
        authorize('states', [{ action: 'states:DescribeExecution', resource: i.executionArn }]);
        return { status: 'RUNNING', executionArn: i.executionArn };
      },
      StopExecutionCommand: (i) => {
        authorize('states', [{ action: 'states:StopExecution', resource: i.executionArn }]);
        return { stopDate: new Date() };
      },
      SendTaskSuccessCommand: () => {
        authorize('states', [{ action: 'states:SendTaskSuccess', resource: '*' }]);
        return {};
      },
      SendTaskFailureCommand: () => {
        authorize('states', [{ action: 'states:SendTaskFailure', resource: '*' }]);
        return {};
      },
      SendTaskHeartbeatCommand: () => {
        authorize('states', [{ action: 'states:SendTaskHeartbeat', resource: '*' }]);
        return {};
      },
    },
  },
  events: {
    module: '@aws-sdk/client-eventbridge',
    client: 'EventBridgeClient',
    handlers: {
      PutEventsCommand: (i) => {
        authorize(
          'events',
          (i.Entries as Array<{ EventBusName?: string }>).map((e) => ({
            action: 'events:PutEvents',
            resource: arn('events', `event-bus/${e.EventBusName ?? 'default'}`),
          })),
        );
        return { FailedEntryCount: 0, Entries: i.Entries.map(() => ({ EventId: randomUUID() })) };
      },
    },
  },
  secretsmanager: {
    module: '@aws-sdk/client-secrets-manager',
    client: 'SecretsManagerClient',
    handlers: {
      GetSecretValueCommand: (i) => {
        const s = config.secrets[String(i.SecretId)];
        authorize('secretsmanager', [{ action: 'secretsmanager:GetSecretValue', resource: String(i.SecretId) }]);
        if (!s)
          throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.", 400);
        if (s.kmsKeyArn)
          authorize('kms', [
            {
              action: 'kms:Decrypt',
              resource: s.kmsKeyArn,
              context: { 'kms:ViaService': `secretsmanager.${config.region}.amazonaws.com` },
            },
          ]);
        return { SecretString: s.value, ARN: i.SecretId };
      },
    },
  },
};

/** S3 hides a missing key behind 403 from a caller that may not list the bucket. */
function missing(bucket: string, name: string): never {
  if (!isAllowed(config.statements, { action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}` })) {
    calls.push(`403 for a missing key (no s3:ListBucket on ${bucket})`);
    throw new AwsError(name === 'NotFound' ? 'Forbidden' : 'AccessDenied', 'Forbidden', 403);
  }
  throw new AwsError(name, 'Not Found', 404);
}

const ctx = (keyId: string, c: unknown) =>
  Buffer.from(`${keyId}\n${JSON.stringify(Object.entries((c ?? {}) as Record<string, string>).sort())}`);
function wrap(keyId: string, c: unknown, plaintext: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv).setAAD(ctx(keyId, c));
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}
function unwrap(keyId: string, c: unknown, blob: Buffer): Buffer {
  try {
    const d = createDecipheriv('aes-256-gcm', kek, blob.subarray(0, 12)).setAAD(ctx(keyId, c));
    d.setAuthTag(blob.subarray(blob.length - 16));
    return Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]);
  } catch {
    throw new AwsError('InvalidCiphertextException', 'The ciphertext or its encryption context does not match', 400);
  }
}

for (const s of Object.values(services)) {
  const mod = (await import(s.module)) as Record<string, { prototype: { send: unknown } }>;
  mod[s.client].prototype.send = async function send(command: { constructor: { name: string }; input: unknown }) {
    const h = s.handlers[command.constructor.name];
    if (!h)
      throw new Error(
        `contract test: ${s.client} ${command.constructor.name} is not modelled; add it (with its IAM action) to run-lambda.ts`,
      );
    return h(command.input);
  };
}

// ---- run -------------------------------------------------------------------------------------
const emit = (r: unknown) => {
  process.stdout.write(`\nCONTRACT_RESULT ${JSON.stringify(r)}\n`);
  process.exit(0);
};
try {
  const mod = (await import(pathToFileURL(path.join(config.projectRoot, config.entry)).href)) as {
    handler: (e: unknown, c: unknown) => Promise<unknown>;
  };
  const context = {
    awsRequestId: randomUUID(),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
  };
  const result = await mod.handler(config.event, context);
  emit({ ok: true, result, calls });
} catch (e) {
  const err = e as {
    name?: string;
    message?: string;
    code?: string;
    cause?: { name?: string; code?: string; message?: string };
  };
  emit({
    ok: false,
    error: {
      name: err.name,
      message: err.message,
      code: err.code,
      cause: err.cause && { name: err.cause.name, code: err.cause.code, message: err.cause.message },
    },
    calls,
  });
}
