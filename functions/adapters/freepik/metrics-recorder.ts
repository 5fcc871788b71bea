/**
 * A UsageRecorder decorator that also emits the Freepik CloudWatch metrics the alarms watch
 * (functions/shared/metric-names.ts). Metrics are buffered by Powertools; the handler publishes
 * them (logMetrics middleware or publishStoredMetrics) at the end of the invocation.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { FREEPIK_METRICS } from '../../shared/metric-names.js';
import type { UsageRecorder } from '../../domain/sourcing-ports.js';
import type { MetricSink } from '../../shared/metrics.js';

export function withFreepikMetrics(inner: UsageRecorder, metrics: MetricSink): UsageRecorder {
  return {
    async record(row) {
      metrics.addMetric(FREEPIK_METRICS.calls, MetricUnit.Count, 1);
      if (row.outcome !== 'success') metrics.addMetric(FREEPIK_METRICS.errors, MetricUnit.Count, 1);
      if (row.statusCode === 429) metrics.addMetric(FREEPIK_METRICS.throttled, MetricUnit.Count, 1);
      metrics.addMetric(FREEPIK_METRICS.latency, MetricUnit.Milliseconds, row.latencyMs);
      if (row.credits > 0) metrics.addMetric(FREEPIK_METRICS.credits, MetricUnit.Count, row.credits);
      if (row.costUsd > 0) metrics.addMetric(FREEPIK_METRICS.spendUsd, MetricUnit.NoUnit, row.costUsd);
      await inner.record(row);
    },
  };
}
