/**
 * The metrics the alarms and the CloudWatch dashboard watch are really emitted, in the namespace
 * and with the single `service` dimension they match (lib/constructs/observability.ts), and only
 * inside Lambda: outside it nothing is written.
 */
import { afterEach, expect, test, vi } from 'vitest';
import { FREEPIK_METRICS, PIPELINE_METRICS, SERVICE_DIMENSION } from '../../functions/shared/metric-names.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  vi.resetModules();
});

async function emitted(
  run: (m: typeof import('../../functions/shared/metrics.js')) => void,
): Promise<Record<string, any>[]> {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as never);
  const m = await import('../../functions/shared/metrics.js');
  run(m);
  m.flushMetrics();
  vi.restoreAllMocks();
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('_aws'))
    .map((l) => JSON.parse(l));
}

test('in Lambda: EMF lines in the stage namespace with only the service dimension', async () => {
  vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'svp-dev-task-decide');
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'SocialVisualPipeline/dev');
  const out = await emitted((m) => {
    m.pipelineMetric('complianceScore', 87);
    m.pipelineMetric('requestsAccepted');
    m.metricsFor(FREEPIK_METRICS.service).addMetric(FREEPIK_METRICS.spendUsd, 'None', 0.04);
  });
  const pipeline = out.find((l) => l[SERVICE_DIMENSION] === PIPELINE_METRICS.service)!;
  const freepik = out.find((l) => l[SERVICE_DIMENSION] === FREEPIK_METRICS.service)!;
  for (const l of [pipeline, freepik]) {
    expect(l._aws.CloudWatchMetrics[0].Namespace).toBe('SocialVisualPipeline/dev');
    expect(l._aws.CloudWatchMetrics[0].Dimensions).toEqual([[SERVICE_DIMENSION]]);
  }
  expect(pipeline[PIPELINE_METRICS.complianceScore]).toBe(87);
  expect(pipeline[PIPELINE_METRICS.requestsAccepted]).toBe(1);
  expect(freepik[FREEPIK_METRICS.spendUsd]).toBe(0.04);
});

test('outside Lambda nothing is recorded or printed', async () => {
  vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', '');
  const out = await emitted((m) => {
    m.pipelineMetric('requestsPublished');
  });
  expect(out).toEqual([]);
});
