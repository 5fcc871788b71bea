/**
 * The custom CloudWatch metrics of metric-names.ts, emitted with Powertools Metrics (EMF in
 * the function's log: no API call, no extra latency). One buffer per `service` dimension; the
 * entry points (workflowTask, the API handler chain) call `flushMetrics()` at the end of every
 * invocation. In AWS the namespace comes from POWERTOOLS_METRICS_NAMESPACE (set per stage).
 * Outside Lambda (npm start, tests, benches) nothing is recorded, unless
 * POWERTOOLS_METRICS_DISABLED=false asks for the EMF lines on stdout.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PIPELINE_METRICS } from './metric-names.js';

const buffers = new Map<string, Metrics>();
const publishing = () => !!process.env.AWS_LAMBDA_FUNCTION_NAME || process.env.POWERTOOLS_METRICS_DISABLED === 'false';
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];
/** What emitting a metric needs (a Powertools Metrics buffer, or nothing outside Lambda). */
export type MetricSink = { addMetric(name: string, unit: Unit, value: number): unknown };
const NOWHERE: MetricSink = { addMetric: () => undefined };

/** The metric sink of one `service` dimension (a no-op outside Lambda; see above). */
export function metricsFor(service: string): MetricSink {
  if (!publishing()) return NOWHERE;
  let m = buffers.get(service);
  if (!m) {
    m = new Metrics({
      serviceName: service,
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'SocialVisualPipeline/local',
    });
    buffers.set(service, m);
  }
  return m;
}

type PipelineMetric = Exclude<keyof typeof PIPELINE_METRICS, 'service'>;
const UNITS: Record<PipelineMetric, Unit> = {
  requestsAccepted: MetricUnit.Count,
  requestsPublished: MetricUnit.Count,
  renderDuration: MetricUnit.Milliseconds,
  complianceScore: MetricUnit.NoUnit,
  webhookFailures: MetricUnit.Count,
};

/** Adds one value of a pipeline metric (published at the end of the invocation). Never throws. */
export function pipelineMetric(name: PipelineMetric, value = 1): void {
  try {
    metricsFor(PIPELINE_METRICS.service).addMetric(PIPELINE_METRICS[name], UNITS[name], value);
  } catch {
    /* a metric must never fail the work it measures */
  }
}

/** Publishes whatever the invocation buffered. Never throws. */
export function flushMetrics(): void {
  for (const m of buffers.values()) {
    try {
      if (m.hasStoredMetrics()) m.publishStoredMetrics();
    } catch {
      /* see pipelineMetric */
    }
  }
}
