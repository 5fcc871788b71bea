import type { ComplianceCheckId } from '../brand-types.js';

export type Severity = 'info' | 'warning' | 'error';
export type Decision = 'pass' | 'review' | 'reject';
export type CheckStatus = 'ok' | Severity | 'skipped';

/** One thing a marketer should know about a brief, master image or variant. */
export interface Finding {
  check: ComplianceCheckId;
  severity: Severity;
  /** Plain-language reason, written for a marketer. */
  message: string;
  /** What to change to make the finding go away. */
  fixHint: string;
  /** Machine-readable facts behind the message (measured values, limits, boxes). */
  details: Record<string, unknown>;
  /** Platform preset the finding is about, when it is platform specific. */
  platform?: string;
}

export interface ComplianceResult {
  /** 0..100, 100 = no problems. */
  score: number;
  decision: Decision;
  findings: Finding[];
  /** Worst severity per check ('ok' when evaluated without findings, 'skipped' when not evaluated). */
  checks: Record<ComplianceCheckId, CheckStatus>;
  /** Checks whose error kept the decision from being 'pass' regardless of the score. */
  forcedReview: ComplianceCheckId[];
}
