/**
 * Custom CloudWatch metrics, defined once next to the code that emits them (Powertools Metrics in
 * functions/); the alarms and dashboard of the CDK app (lib/constructs/observability.ts) import
 * these names from here, so runtime code never depends on lib/. Imports nothing.
 *
 * Emitting: `new Metrics({ serviceName: FREEPIK_METRICS.service })` — the namespace comes from
 * POWERTOOLS_METRICS_NAMESPACE (set per stage by AppFunction), and Powertools adds the single
 * dimension `service`. Alarms match exactly that dimension set, so do not add other default
 * dimensions to these metrics (put tenant ids in metadata, not dimensions: cardinality is billed).
 */

/** Namespace per stage so dev and prod in one account never mix. */
export const metricsNamespace = (stage: string) => `SocialVisualPipeline/${stage}`;

/** Dimension name Powertools adds from `serviceName`. */
export const SERVICE_DIMENSION = 'service';

export const FREEPIK_METRICS = {
  /** Value of the `service` dimension for every Freepik metric. */
  service: 'freepik',
  /** Count, 1 per HTTP call (retries included). */
  calls: 'FreepikCalls',
  /** Count, 1 per call that ended in an error (4xx/5xx/timeout/connection reset), retries included. */
  errors: 'FreepikErrors',
  /** Count, 1 per 429 answer. */
  throttled: 'FreepikThrottled',
  /** Milliseconds per call. */
  latency: 'FreepikLatency',
  /** Credits charged (unit: Count). */
  credits: 'FreepikCredits',
  /** Money charged in USD (unit: None; the value is dollars, e.g. 0.04). */
  spendUsd: 'FreepikSpendUsd',
} as const;

export const PIPELINE_METRICS = {
  service: 'pipeline',
  /** Count, 1 per content request accepted by the API. */
  requestsAccepted: 'ContentRequestsAccepted',
  /** Count, 1 per request that reached `published`. */
  requestsPublished: 'ContentRequestsPublished',
  /** Milliseconds to render one variant (one Render variant task). */
  renderDuration: 'RenderDuration',
  /** Score 0-100 per compliance check. */
  complianceScore: 'ComplianceScore',
  /** Count, 1 per webhook delivery that exhausted its retries. */
  webhookFailures: 'WebhookDeliveryFailures',
} as const;
