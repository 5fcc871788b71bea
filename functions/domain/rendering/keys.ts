/**
 * Deterministic S3 keys: the same request and platform always map to the same object, so a
 * re-driven render overwrites instead of piling up duplicates.
 */
import { extensionFor, type OutputFormat } from '../platforms.js';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

function id(name: string, v: string): string {
  if (!SAFE_ID.test(v)) throw new RangeError(`${name} must be 1-128 characters of [A-Za-z0-9_-]`);
  return v;
}

export interface VariantKeyInput {
  orgId: string;
  requestId: string;
  platform: string;
  format: OutputFormat;
}

/** `orgs/<org>/requests/<req>/variants/<platform>.<ext>` */
export function variantKey({ orgId, requestId, platform, format }: VariantKeyInput): string {
  return `orgs/${id('orgId', orgId)}/requests/${id('requestId', requestId)}/variants/${id('platform', platform)}.${extensionFor(format)}`;
}

/**
 * `orgs/<org>/requests/<req>/masters/<aspect>.<ext>`: one master per layout group a request sources
 * an image for; `orgs/<org>/requests/<req>/master.<ext>` without one.
 */
export function masterKey({
  orgId,
  requestId,
  format,
  aspect,
}: {
  orgId: string;
  requestId: string;
  format: OutputFormat;
  aspect?: string;
}): string {
  const base = `orgs/${id('orgId', orgId)}/requests/${id('requestId', requestId)}`;
  return aspect
    ? `${base}/masters/${id('aspect', aspect)}.${extensionFor(format)}`
    : `${base}/master.${extensionFor(format)}`;
}

/** The public prefix: CloudFront's origin path in AWS; nothing outside it is ever served. */
export const PUBLISHED_PREFIX = 'published';

/**
 * `published/<org>/<req>/<platform>-<sha256 prefix>.<ext>`: where Publish copies a variant. Named by
 * content, so a URL never changes meaning (cacheable for good) and a re-render that changes the
 * pixels publishes under a new name.
 */
export function publishedKey({
  orgId,
  requestId,
  platform,
  format,
  sha256,
}: VariantKeyInput & { sha256: string }): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new RangeError('sha256 must be 64 lowercase hex characters');
  return `${PUBLISHED_PREFIX}/${id('orgId', orgId)}/${id('requestId', requestId)}/${id('platform', platform)}-${sha256.slice(0, 16)}.${extensionFor(format)}`;
}
