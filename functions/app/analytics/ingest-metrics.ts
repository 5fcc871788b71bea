/**
 * POST .../analytics/metrics: stores a batch of samples for the tenant's variants. All or
 * nothing: a batch naming a variant the tenant does not have is refused whole with 404 listing the
 * offending items (nothing stored), as is a sample outside the accepted time window (400).
 */
import type { Tx } from '../../adapters/db/client.js';
import { findVariants, insertSamples } from '../../adapters/analytics/metrics-store.js';
import {
  checkSampleWindow,
  dedupeBatch,
  type IngestMetricsRequest,
  type IngestMetricsResponse,
  type MetricPoint,
} from '../../domain/analytics/metrics.js';
import { AppError } from '../../shared/errors.js';

/** Items named in a 404 at most (the count is always given). */
const MAX_NAMED = 50;

export async function ingestMetrics(
  tx: Tx,
  orgId: string,
  body: IngestMetricsRequest,
  now: Date = new Date(),
): Promise<IngestMetricsResponse> {
  const points: MetricPoint[] = body.points.map((p) => ({
    variantId: p.variantId.toLowerCase(),
    platform: p.platform,
    metric: p.metric,
    value: p.value,
    recordedAt: new Date(p.recordedAt),
  }));
  const window = checkSampleWindow(points, now);
  if (window.length) {
    throw new AppError('validation_failed', `${window.length} sample(s) are outside the accepted time window`, {
      fields: window
        .slice(0, MAX_NAMED)
        .map((w) => ({ path: `body.points[${w.index}].recordedAt`, message: w.message })),
    });
  }
  const ids = [...new Set(points.map((p) => p.variantId))];
  const owners = await findVariants(tx, ids);
  const missing = ids.filter((id) => !owners.has(id));
  if (missing.length) {
    const items = points.flatMap((p, index) => (owners.has(p.variantId) ? [] : [{ index, variantId: p.variantId }]));
    throw new AppError('not_found', `${missing.length} variant(s) not found in this organization; nothing was stored`, {
      detail: {
        missingVariantIds: missing.slice(0, MAX_NAMED),
        items: items.slice(0, MAX_NAMED),
        missingCount: missing.length,
      },
      fields: items
        .slice(0, MAX_NAMED)
        .map((i) => ({ path: `body.points[${i.index}].variantId`, message: 'no such variant in this organization' })),
    });
  }
  const { unique, repeats } = dedupeBatch(points);
  const r = await insertSamples(tx, orgId, unique, owners);
  return {
    received: points.length,
    accepted: r.inserted,
    updated: r.updated,
    duplicates: repeats + (unique.length - r.inserted - r.updated),
  };
}
