/**
 * Scoring and the decision rule.
 *
 * Each check costs points once, by its worst finding: error 25, warning 8, info 0, multiplied by
 * the brand's weight for that check (default 1; 0 switches the check's cost off). The score is
 * 100 minus the total, floored at 0. Because a check counts once however many findings it has,
 * findings from the brief, the master and every variant can be summarized together.
 *
 * Decision: score < autoReject -> 'reject'; otherwise 'pass' when score >= autoPass and no
 * forcing error exists; else 'review'. Forcing checks (FORCE_REVIEW_CHECKS) are legal or
 * publishability problems a good score must not launder: an error on banned words, a missing
 * required disclaimer or a file the platform refuses always needs a person (unless the brand set
 * that check's weight to 0).
 */
import {
  complianceCheckIds,
  complianceThresholdsSchema,
  type ComplianceCheckId,
  type ComplianceThresholdsInput,
} from '../brand-types.js';
import type { CheckStatus, ComplianceResult, Decision, Finding, Severity } from './types.js';

export const SEVERITY_COST: Readonly<Record<Severity, number>> = { error: 25, warning: 8, info: 0 };
export const FORCE_REVIEW_CHECKS: readonly ComplianceCheckId[] = ['banned_words', 'disclaimer', 'file_size'];
const RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

export function worstSeverity(findings: readonly Finding[]): Severity | null {
  let worst: Severity | null = null;
  for (const f of findings) if (!worst || RANK[f.severity] > RANK[worst]) worst = f.severity;
  return worst;
}

/**
 * Scores findings against a brand's thresholds. `evaluated` lists the checks that ran (others are
 * reported as 'skipped'); omit it to treat every check as evaluated.
 */
export function summarize(
  findings: readonly Finding[],
  thresholds: ComplianceThresholdsInput = {},
  evaluated?: Iterable<ComplianceCheckId>,
): ComplianceResult {
  const t = complianceThresholdsSchema.parse(thresholds);
  const ran = new Set<ComplianceCheckId>(evaluated ?? complianceCheckIds);
  for (const f of findings) ran.add(f.check);
  const checks = {} as Record<ComplianceCheckId, CheckStatus>;
  let cost = 0;
  const forcedReview: ComplianceCheckId[] = [];
  for (const id of complianceCheckIds) {
    if (!ran.has(id)) {
      checks[id] = 'skipped';
      continue;
    }
    const worst = worstSeverity(findings.filter((f) => f.check === id));
    checks[id] = worst ?? 'ok';
    const weight = t.weights[id] ?? 1;
    if (worst) cost += SEVERITY_COST[worst] * weight;
    if (worst === 'error' && weight > 0 && FORCE_REVIEW_CHECKS.includes(id)) forcedReview.push(id);
  }
  const score = Math.max(0, Math.min(100, Math.round(100 - cost)));
  let decision: Decision;
  if (score < t.autoReject) decision = 'reject';
  else if (score >= t.autoPass && forcedReview.length === 0) decision = 'pass';
  else decision = 'review';
  return { score, decision, findings: [...findings], checks, forcedReview };
}
