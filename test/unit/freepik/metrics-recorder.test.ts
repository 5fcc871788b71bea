import { expect, test } from 'vitest';
import { withFreepikMetrics } from '../../../functions/adapters/freepik/metrics-recorder.js';
import { createMemoryUsageRecorder } from '../../../local/in-memory/sourcing-limits.js';
import type { UsageRecord } from '../../../functions/domain/sourcing-ports.js';

test('each usage row emits the metrics the Freepik alarms watch, and still reaches the inner recorder', async () => {
  const emitted: [string, string, number][] = [];
  const inner = createMemoryUsageRecorder();
  const r = withFreepikMetrics(inner, {
    addMetric: (n: string, u: string, v: number) => {
      emitted.push([n, u, v]);
    },
  } as never);
  const row: UsageRecord = {
    organizationId: 'o',
    provider: 'freepik',
    endpoint: 'GET /v1/resources',
    method: 'GET',
    statusCode: 429,
    outcome: 'retryable_error',
    latencyMs: 40,
    credits: 0,
    costUsd: 0,
    retryNumber: 0,
  };
  await r.record(row);
  await r.record({ ...row, statusCode: 200, outcome: 'success', credits: 2, costUsd: 0.01 });
  expect(emitted.map(([n, , v]) => `${n}=${v}`)).toEqual([
    'FreepikCalls=1',
    'FreepikErrors=1',
    'FreepikThrottled=1',
    'FreepikLatency=40',
    'FreepikCalls=1',
    'FreepikLatency=40',
    'FreepikCredits=2',
    'FreepikSpendUsd=0.01',
  ]);
  expect(inner.rows).toHaveLength(2);
});
