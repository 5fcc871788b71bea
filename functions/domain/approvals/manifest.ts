/**
 * The final manifest of a published request, and the check that what goes out is exactly what
 * was approved.
 */
import { createHash } from 'node:crypto';
import { sameChecksums } from './link-token.js';

export interface ManifestVariant {
  platform: string;
  key: string;
  sha256: string;
  width: number;
  height: number;
  format: string;
  bytes: number;
}

export interface ManifestApproval {
  step: string;
  stepIndex: number;
  outcome: string;
  decidedAt: string | null;
  approvers: string[];
}

export interface Manifest {
  requestId: string;
  organizationId: string;
  brandId: string;
  run: number;
  headline: string;
  variants: ManifestVariant[];
  approvals: ManifestApproval[];
  autoApproved: boolean;
}

export type ChecksumProblem = {
  platform: string;
  problem: 'missing' | 'unexpected' | 'changed';
  approved?: string;
  actual?: string;
};

/** Differences between what was approved and the variants about to be published (empty = fine). */
export function checksumProblems(approved: Record<string, string>, actual: Record<string, string>): ChecksumProblem[] {
  if (sameChecksums(approved, actual)) return [];
  const out: ChecksumProblem[] = [];
  for (const [platform, sha] of Object.entries(approved)) {
    if (!(platform in actual)) out.push({ platform, problem: 'missing', approved: sha });
    else if (actual[platform] !== sha)
      out.push({ platform, problem: 'changed', approved: sha, actual: actual[platform] });
  }
  for (const platform of Object.keys(actual))
    if (!(platform in approved)) out.push({ platform, problem: 'unexpected', actual: actual[platform] });
  return out;
}

/**
 * Event id of a publication: the same request with the same variants always yields the same id,
 * so a re-driven publish never delivers a second webhook (webhook_deliveries is unique on it).
 */
export function publicationEventId(
  requestId: string,
  variants: readonly Pick<ManifestVariant, 'platform' | 'sha256'>[],
): string {
  const h = createHash('sha256');
  for (const v of [...variants].sort((a, b) => a.platform.localeCompare(b.platform)))
    h.update(`${v.platform}:${v.sha256}\n`);
  return `evt_${requestId.replace(/-/g, '')}_${h.digest('hex').slice(0, 16)}`;
}

export const checksumsOf = (
  variants: readonly Pick<ManifestVariant, 'platform' | 'sha256'>[],
): Record<string, string> => Object.fromEntries(variants.map((v) => [v.platform, v.sha256]));
