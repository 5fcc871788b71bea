/**
 * Raw performance samples: variant lookup and idempotent insertion into the partitioned
 * content_analytics table. Always called inside withTenant (RLS scopes every statement).
 *
 * Idempotency: the unique index content_analytics_sample_uq (variant_id, platform, metric,
 * recorded_at). A re-delivered sample with the same value changes nothing (the DO UPDATE's WHERE
 * skips it, so not even a dead tuple); a sample with a different value REPLACES the stored one
 * (last write wins). Platforms revise recent numbers (Meta: up to 48 h late), and a corrected
 * value for the same interval must win over the first report, so DO NOTHING would keep a wrong
 * number forever. The response tells accepted / updated / duplicates apart.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { MetricPoint } from '../../domain/analytics/metrics.js';
import { startOfHour } from '../../domain/analytics/periods.js';

export interface VariantOwner {
  variantId: string;
  requestId: string;
  brandId: string;
  platform: string;
}

/** The tenant's variants among `ids` (other tenants' and unknown ids are simply absent). */
export async function findVariants(tx: Tx, ids: string[]): Promise<Map<string, VariantOwner>> {
  if (!ids.length) return new Map();
  const rows = await tx.execute<{ variant_id: string; request_id: string; brand_id: string; platform: string }>(sql`
    SELECT v.id AS variant_id, v.request_id, r.brand_id, v.platform
    FROM asset_variants v JOIN content_requests r ON r.id = v.request_id
    WHERE v.id = ANY(${`{${ids.join(',')}}`}::uuid[])`);
  return new Map(
    rows.map((r) => [
      r.variant_id,
      { variantId: r.variant_id, requestId: r.request_id, brandId: r.brand_id, platform: r.platform },
    ]),
  );
}

export interface InsertOutcome {
  inserted: number;
  updated: number;
}

/**
 * Inserts samples whose variants were resolved by findVariants. `points` must hold no two samples
 * with the same identity (dedupeBatch): one statement may not update a row twice.
 */
export async function insertSamples(
  tx: Tx,
  orgId: string,
  points: MetricPoint[],
  owners: Map<string, VariantOwner>,
): Promise<InsertOutcome> {
  if (!points.length) return { inserted: 0, updated: 0 };
  const rows = points.map((p) => {
    const o = owners.get(p.variantId);
    if (!o) throw new Error(`insertSamples: variant ${p.variantId} was not resolved`);
    return {
      b: o.brandId,
      r: o.requestId,
      v: p.variantId,
      p: p.platform,
      m: p.metric,
      x: p.value,
      t: p.recordedAt.toISOString(),
    };
  });
  // One parameter (a JSON array) instead of 9 x 5,000 placeholders. RETURNING cannot tell an
  // insert from an update on a partitioned table (no xmax there), so the previous values are read
  // in the same statement (same snapshot) to classify each sample.
  const [res] = await tx.execute<{ inserted: number; updated: number }>(sql`
    WITH x AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(b uuid, r uuid, v uuid, p text, m text, x bigint, t timestamptz)),
    prev AS (
      SELECT x.x AS new_value, ca.value AS old_value FROM x
      LEFT JOIN content_analytics ca ON ca.variant_id = x.v AND ca.platform = x.p AND ca.metric = x.m AND ca.recorded_at = x.t),
    ins AS (
      INSERT INTO content_analytics AS ca (organization_id, brand_id, request_id, variant_id, platform, metric, value, recorded_at)
      SELECT ${orgId}::uuid, x.b, x.r, x.v, x.p, x.m, x.x, x.t FROM x
      ON CONFLICT (variant_id, platform, metric, recorded_at) DO UPDATE SET value = EXCLUDED.value, ingested_at = now()
      WHERE ca.value IS DISTINCT FROM EXCLUDED.value
      RETURNING 1)
    SELECT (count(*) FILTER (WHERE old_value IS NULL))::int AS inserted,
      (count(*) FILTER (WHERE old_value IS NOT NULL AND old_value <> new_value))::int AS updated,
      (SELECT count(*) FROM ins)::int AS written
    FROM prev`);
  const inserted = Number(res.inserted);
  const updated = Number(res.updated);
  await markDirtyHours(
    tx,
    points.map((p) => p.recordedAt),
  );
  return { inserted, updated };
}

/** Tells the hourly rollup which hours changed (it claims and recomputes them). */
export async function markDirtyHours(tx: Tx, times: Date[]): Promise<void> {
  const hours = [...new Set(times.map((t) => startOfHour(t).toISOString()))];
  if (!hours.length) return;
  await tx.execute(sql`
    INSERT INTO content_analytics_dirty_hours (hour)
    SELECT unnest(${`{${hours.map((h) => `"${h}"`).join(',')}}`}::timestamptz[])
    ON CONFLICT DO NOTHING`);
}
