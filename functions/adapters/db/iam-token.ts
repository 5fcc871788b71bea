/**
 * RDS IAM authentication tokens (a SigV4-presigned `connect` URL, valid 15 minutes), built with
 * @smithy/signature-v4 and the Lambda's own credentials from the environment. @aws-sdk/rds-signer
 * does the same but pulls the whole credential-provider chain (~250 KB) into every DB-using bundle.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AdapterPermissions } from '../aws-permissions.js';

/**
 * `db-user` = `arn:aws:rds-db:<region>:<account>:dbuser:<proxy or cluster resource id>/<user>`: the
 * token is checked when the connection is made, against the role that signed it.
 */
export const RDS_IAM_PERMISSIONS = {
  connect: [{ action: 'rds-db:connect', on: 'db-user' }],
} as const satisfies AdapterPermissions<'connect', 'db-user'>;

class NodeSha256 {
  private h: Hash | Hmac;
  private readonly secret?: string | Buffer;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret =
      secret === undefined || typeof secret === 'string'
        ? secret
        : ArrayBuffer.isView(secret)
          ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength)
          : Buffer.from(secret);
    this.h = this.fresh();
  }
  private fresh() {
    return this.secret ? createHmac('sha256', this.secret) : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(
      typeof data === 'string'
        ? data
        : ArrayBuffer.isView(data)
          ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
          : Buffer.from(data),
    );
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {
    this.h = this.fresh();
  }
}

export interface IamTokenInput {
  hostname: string;
  port: number;
  username: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export async function rdsIamToken(input: IamTokenInput): Promise<string> {
  const credentials = input.credentials ?? {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    sessionToken: process.env.AWS_SESSION_TOKEN,
  };
  if (!credentials.accessKeyId || !credentials.secretAccessKey) {
    throw new Error('configuration error: no AWS credentials in the environment for RDS IAM auth');
  }
  const signer = new SignatureV4({ service: 'rds-db', region: input.region, credentials, sha256: NodeSha256 });
  const host = `${input.hostname}:${input.port}`;
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: input.hostname,
      port: input.port,
      path: '/',
      query: { Action: 'connect', DBUser: input.username },
      headers: { host },
    },
    { expiresIn: 900 },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(String(v))}`)
    .join('&');
  return `${host}/?${query}`;
}
