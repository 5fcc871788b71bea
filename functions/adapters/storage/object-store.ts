/**
 * The object store port and its S3 implementation (AWS S3, or s3rver locally via S3_ENDPOINT).
 * Keys are namespaced by tenant by the callers (orgs/<orgId>/...).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { PUBLISHED_PREFIX } from '../../domain/rendering/keys.js';
import { AppError } from '../../shared/errors.js';
import type { AdapterPermissions } from '../aws-permissions.js';

export interface ObjectHead {
  bytes: number;
  contentType?: string;
  etag?: string;
}

/** What the domain needs from object storage. */
export interface ObjectStore {
  put(key: string, body: Buffer, contentType: string, meta?: Record<string, string>): Promise<void>;
  get(key: string): Promise<Buffer>;
  /** undefined when the object does not exist. */
  head(key: string): Promise<ObjectHead | undefined>;
  delete(key: string): Promise<void>;
  /** Short-lived download URL (seconds). */
  presignGet(key: string, ttlSeconds?: number): Promise<string>;
  /** Short-lived upload URL for a browser PUT with this exact content type. */
  presignPut(key: string, contentType: string, ttlSeconds?: number): Promise<string>;
  /** Server-side copy within the bucket (same bytes; the given headers replace the source's). */
  copy(fromKey: string, toKey: string, headers: { contentType: string; cacheControl?: string }): Promise<void>;
  /**
   * The permanent public URL of an object under `published/`: the CloudFront distribution in AWS
   * (whose origin path is `published/`), the S3 endpoint itself locally.
   */
  publicUrl(key: string): string;
}

/** IAM needs of each operation: `object` = the key's ARN (`arn:aws:s3:::<bucket>/<key>`), `bucket` = the bucket's. */
export const OBJECT_STORE_PERMISSIONS = {
  put: [{ action: 's3:PutObject', on: 'object' }],
  get: [{ action: 's3:GetObject', on: 'object' }],
  head: [
    { action: 's3:GetObject', on: 'object' },
    {
      action: 's3:ListBucket',
      on: 'bucket',
      why: 'without it S3 answers HeadObject on a missing key with 403 Forbidden instead of 404',
    },
  ],
  delete: [{ action: 's3:DeleteObject', on: 'object' }],
  presignGet: [
    {
      action: 's3:GetObject',
      on: 'object',
      why: "a presigned URL is authorized with the signer's permissions when it is used",
    },
  ],
  presignPut: [
    {
      action: 's3:PutObject',
      on: 'object',
      why: "a presigned URL is authorized with the signer's permissions when it is used",
    },
  ],
  copy: [
    { action: 's3:GetObject', on: 'object' },
    { action: 's3:PutObject', on: 'object' },
  ],
  publicUrl: [],
} as const satisfies AdapterPermissions<keyof ObjectStore, 'object' | 'bucket'>;

export interface S3Options {
  bucket: string;
  region?: string;
  /** S3-compatible endpoint (s3rver locally); unset in AWS. */
  endpoint?: string;
  /** Endpoint used in presigned URLs handed to browsers, when it differs from `endpoint`. */
  publicEndpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** CloudFront domain serving `published/` (AWS); without it, public URLs point at the endpoint. */
  cdnDomain?: string;
}

type S3Sdk = typeof import('@aws-sdk/client-s3');
// The SDK is loaded where first used, not at module load: it is 80-95 ms of a cold start, paid
// otherwise by every function that imports the container (/health, dashboard pages, jobs).
let s3Sdk: Promise<S3Sdk> | undefined;
const loadS3 = (): Promise<S3Sdk> => (s3Sdk ??= import('@aws-sdk/client-s3'));
let presigner: Promise<typeof import('@aws-sdk/s3-request-presigner')> | undefined;
const loadPresigner = () => (presigner ??= import('@aws-sdk/s3-request-presigner'));

export async function createS3Client(opts: Omit<S3Options, 'bucket'> & { endpoint?: string }): Promise<S3Client> {
  const { S3Client } = await loadS3();
  return new S3Client({
    region: opts.region ?? 'us-east-1',
    endpoint: opts.endpoint,
    forcePathStyle: !!opts.endpoint,
    credentials: opts.credentials ?? (opts.endpoint ? { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } : undefined),
    // s3rver stores aws-chunked framing bytes when the SDK streams checksummed bodies.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
  });
}

export function createObjectStore(opts: S3Options): ObjectStore {
  let clients: Promise<{ sdk: S3Sdk; s3: S3Client; signer: S3Client }> | undefined;
  const ready = () =>
    (clients ??= (async () => {
      const sdk = await loadS3();
      const s3 = await createS3Client(opts);
      const signer =
        opts.publicEndpoint && opts.publicEndpoint !== opts.endpoint
          ? await createS3Client({ ...opts, endpoint: opts.publicEndpoint })
          : s3;
      return { sdk, s3, signer };
    })().catch((e) => {
      clients = undefined; // a failed load is tried again by the next call
      throw e;
    }));
  const Bucket = opts.bucket;
  return {
    async put(key, body, contentType, meta) {
      const { sdk, s3 } = await ready();
      await s3.send(
        new sdk.PutObjectCommand({
          Bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          Metadata: meta,
          ContentLength: body.length,
        }),
      );
    },
    async get(key) {
      const { sdk, s3 } = await ready();
      const out = await s3.send(new sdk.GetObjectCommand({ Bucket, Key: key }));
      return Buffer.from(await out.Body!.transformToByteArray());
    },
    async head(key) {
      const { sdk, s3 } = await ready();
      try {
        const h = await s3.send(new sdk.HeadObjectCommand({ Bucket, Key: key }));
        return { bytes: Number(h.ContentLength ?? 0), contentType: h.ContentType, etag: h.ETag };
      } catch (e) {
        const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404) return undefined;
        // Not "missing": S3 hides a missing key behind 403 from callers without s3:ListBucket.
        if (err.$metadata?.httpStatusCode === 403) {
          throw new AppError(
            'internal',
            'the object store refused to say whether an object exists (the function lacks s3:ListBucket on the bucket)',
            { cause: e },
          );
        }
        throw e;
      }
    },
    async delete(key) {
      const { sdk, s3 } = await ready();
      await s3.send(new sdk.DeleteObjectCommand({ Bucket, Key: key }));
    },
    async presignGet(key, ttlSeconds = 300) {
      const [{ sdk, signer }, { getSignedUrl }] = await Promise.all([ready(), loadPresigner()]);
      return getSignedUrl(signer, new sdk.GetObjectCommand({ Bucket, Key: key }), { expiresIn: ttlSeconds });
    },
    async presignPut(key, contentType, ttlSeconds = 300) {
      const [{ sdk, signer }, { getSignedUrl }] = await Promise.all([ready(), loadPresigner()]);
      return getSignedUrl(signer, new sdk.PutObjectCommand({ Bucket, Key: key, ContentType: contentType }), {
        expiresIn: ttlSeconds,
      });
    },
    async copy(fromKey, toKey, headers) {
      const { sdk, s3 } = await ready();
      await s3.send(
        new sdk.CopyObjectCommand({
          Bucket,
          Key: toKey,
          CopySource: `${Bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`,
          MetadataDirective: 'REPLACE',
          ContentType: headers.contentType,
          CacheControl: headers.cacheControl,
        }),
      );
    },
    publicUrl(key) {
      if (!key.startsWith(`${PUBLISHED_PREFIX}/`)) throw new Error(`not a published key: ${key}`);
      const path = key.split('/').map(encodeURIComponent).join('/');
      if (opts.cdnDomain) return `https://${opts.cdnDomain}/${path.slice(PUBLISHED_PREFIX.length + 1)}`;
      const base = (
        opts.publicEndpoint ??
        opts.endpoint ??
        `https://${Bucket}.s3.${opts.region ?? 'us-east-1'}.amazonaws.com`
      ).replace(/\/$/, '');
      return opts.publicEndpoint || opts.endpoint ? `${base}/${Bucket}/${path}` : `${base}/${path}`;
    },
  };
}
