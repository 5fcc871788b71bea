/**
 * Performance metrics: names, the ingestion schema and the engagement arithmetic the dashboard
 * shows. Pure: no SQL, no I/O.
 *
 * A sample's `value` is an increment: the count observed for that metric in the interval that ends
 * at `recordedAt` (rollups sum them). Platforms that report lifetime totals (Meta) are converted to
 * increments by the collector (see increments.ts).
 */
import { z } from 'zod';

export const metricNames = [
  'impressions',
  'reach',
  'likes',
  'comments',
  'shares',
  'saves',
  'clicks',
  'video_views',
] as const;
export type MetricName = (typeof metricNames)[number];

/** Largest batch one ingestion call accepts (and the collector writes per transaction). */
export const MAX_POINTS_PER_BATCH = 5000;
/** Body cap for the ingestion route: 5,000 points of ~180 bytes each, with headroom. */
export const MAX_INGEST_BODY_BYTES = 1_048_576;
/** Samples older than this are refused: their partitions are gone or about to be (retention). */
export const MAX_SAMPLE_AGE_DAYS = 730;
/** Clock skew tolerated for samples stamped slightly in the future. */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

export const platformSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,31}$/, 'a lower-case platform slug such as instagram');

/** One sample as sent to POST /v1/orgs/{orgId}/analytics/metrics. */
export const metricPointInput = z.strictObject({
  variantId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID'),
  platform: platformSchema,
  metric: z.enum(metricNames),
  /** Count in the interval ending at recordedAt; a whole number >= 0. */
  value: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** ISO 8601 with offset, e.g. 2025-01-31T13:00:00Z. */
  recordedAt: z.iso.datetime({ offset: true }),
});
export type MetricPointInput = z.infer<typeof metricPointInput>;

export const ingestMetricsRequest = z.strictObject({
  points: z.array(metricPointInput).min(1).max(MAX_POINTS_PER_BATCH),
});
export type IngestMetricsRequest = z.infer<typeof ingestMetricsRequest>;

export const ingestMetricsResponse = z.strictObject({
  /** Points in the request. */
  received: z.number().int(),
  /** New samples stored. */
  accepted: z.number().int(),
  /** Samples that existed with a different value and were replaced (a platform's correction). */
  updated: z.number().int(),
  /** Samples that existed with the same value, or repeated inside the batch: nothing changed. */
  duplicates: z.number().int(),
});
export type IngestMetricsResponse = z.infer<typeof ingestMetricsResponse>;

/** A validated sample, as the stores and connectors pass it around. */
export interface MetricPoint {
  variantId: string;
  platform: string;
  metric: MetricName;
  value: number;
  recordedAt: Date;
}

/** Identity of a sample: ingestion is idempotent on it. */
export const sampleKey = (p: Pick<MetricPoint, 'variantId' | 'platform' | 'metric' | 'recordedAt'>): string =>
  `${p.variantId}|${p.platform}|${p.metric}|${p.recordedAt.toISOString()}`;

/**
 * Collapses repeats of the same sample inside one batch; the last occurrence wins, as it would if
 * they had been sent one after the other.
 */
export function dedupeBatch(points: MetricPoint[]): { unique: MetricPoint[]; repeats: number } {
  const byKey = new Map<string, MetricPoint>();
  for (const p of points) {
    const k = sampleKey(p);
    byKey.delete(k); // re-insert so iteration order follows the last occurrence
    byKey.set(k, p);
  }
  return { unique: [...byKey.values()], repeats: points.length - byKey.size };
}

export interface SampleWindowProblem {
  index: number;
  message: string;
}

/** Samples outside [now - MAX_SAMPLE_AGE_DAYS, now + skew] are refused, naming each one. */
export function checkSampleWindow(points: { recordedAt: Date }[], now: Date): SampleWindowProblem[] {
  const oldest = now.getTime() - MAX_SAMPLE_AGE_DAYS * 86_400_000;
  const newest = now.getTime() + MAX_FUTURE_SKEW_MS;
  const out: SampleWindowProblem[] = [];
  points.forEach((p, index) => {
    const t = p.recordedAt.getTime();
    if (t > newest) out.push({ index, message: 'recordedAt is in the future' });
    else if (t < oldest) out.push({ index, message: `recordedAt is older than ${MAX_SAMPLE_AGE_DAYS} days` });
  });
  return out;
}

/** Summed measures of any slice (a day, a platform, a request). */
export interface MetricTotals {
  impressions: number;
  reach: number;
  likes: number;
  comments: number;
  shares: number;
  saves: number;
  clicks: number;
  videoViews: number;
}

export const zeroTotals = (): MetricTotals => ({
  impressions: 0,
  reach: 0,
  likes: 0,
  comments: 0,
  shares: 0,
  saves: 0,
  clicks: 0,
  videoViews: 0,
});

/**
 * Engagements: the interactions a person chose to make on the content (likes, comments, shares,
 * saves). Clicks and views are reported separately.
 */
export const engagementsOf = (t: Pick<MetricTotals, 'likes' | 'comments' | 'shares' | 'saves'>): number =>
  t.likes + t.comments + t.shares + t.saves;

/**
 * Engagement rate = engagements / impressions, as a fraction rounded to 4 places; null when there
 * were no impressions (a rate of nothing is not 0%).
 */
export function engagementRate(engagements: number, impressions: number): number | null {
  if (!(impressions > 0)) return null;
  return Math.round((engagements / impressions) * 10_000) / 10_000;
}
