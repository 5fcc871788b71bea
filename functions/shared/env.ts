/**
 * Environment fragments, parsed once at cold start with zod and failing loudly when missing.
 * Each handler composes the fragments it needs (constructs set them through bind*()).
 */
import { z } from 'zod';

export const dbEnv = z.object({
  /** App-role connection URL (RDS Proxy in AWS, embedded PostgreSQL locally). */
  DATABASE_URL: z.string().url(),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(2),
  /** 'true' in AWS: authenticate to RDS Proxy with IAM tokens (the URL has no password). */
  DATABASE_IAM_AUTH: z.enum(['true', 'false']).default('false'),
  /**
   * Named prepared statements: on by default for direct connections, off with IAM auth (RDS
   * Proxy). 'false' for a transaction-pooling proxy (PgBouncer, Supavisor) in front of DATABASE_URL.
   */
  DATABASE_PREPARE: z.enum(['true', 'false']).optional(),
  AWS_REGION: z.string().default('us-east-1'),
});
export const storageEnv = z.object({
  ASSET_BUCKET: z.string().min(3),
  AWS_REGION: z.string().default('us-east-1'),
  /** S3-compatible endpoint (s3rver locally). Unset in AWS. */
  S3_ENDPOINT: z.string().url().optional(),
  /** Endpoint in presigned URLs handed to browsers, if different. */
  S3_PUBLIC_ENDPOINT: z.string().url().optional(),
  /** CloudFront domain that serves `published/` (AWS; set by the stack). */
  ASSET_CDN_DOMAIN: z.string().min(1).optional(),
});
export const authEnv = z.object({
  JWT_ISSUER: z.string().min(1),
  JWT_AUDIENCE: z.string().min(1),
  /** Remote JWKS (Cognito) or a file written by the local issuer. */
  JWKS_URL: z.string().url().optional(),
  JWKS_FILE: z.string().optional(),
});
export const workflowEnv = z.object({
  /** Step Functions state machine ARN; unset locally (the local runner is registered in-process). */
  STATE_MACHINE_ARN: z.string().optional(),
});
export const linksEnv = z.object({
  /** Base URL for links in emails and pages; never derived from the Host header. */
  PUBLIC_BASE_URL: z.string().url(),
});
export const localEnv = z.object({
  /** 'local' under `npm start` and tests; enables /dev routes. */
  APP_MODE: z.enum(['aws', 'local']).default('aws'),
});

export function parseEnv<T extends z.ZodType>(
  schema: T,
  source: Record<string, string | undefined> = process.env,
): z.infer<T> {
  const r = schema.safeParse(source);
  if (!r.success) {
    const missing = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`configuration error: ${missing}`);
  }
  return r.data;
}
