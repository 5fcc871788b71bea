import { describe, expect, test } from 'vitest';
import { classifyGraphError } from '../../../functions/adapters/analytics/meta-graph-connector.js';
import { budgetView, complianceView, summarize } from '../../../functions/domain/analytics/dashboard.js';
import { toIncrements } from '../../../functions/domain/analytics/increments.js';
import { decideClaim } from '../../../functions/domain/analytics/jobs.js';
import {
  checkSampleWindow,
  dedupeBatch,
  engagementRate,
  ingestMetricsRequest,
  type MetricPoint,
} from '../../../functions/domain/analytics/metrics.js';
import {
  parsePeriodKey,
  previousDay,
  previousHour,
  resolveDayRange,
} from '../../../functions/domain/analytics/periods.js';

const p = (
  metric: MetricPoint['metric'],
  value: number,
  t = '2025-01-01T10:00:00Z',
  variantId = 'v1',
): MetricPoint => ({ variantId, platform: 'instagram', metric, value, recordedAt: new Date(t) });

describe('periods', () => {
  test('a job firing at 14:05 covers 13:00-14:00; a daily one at 00:30 covers yesterday', () => {
    const now = new Date('2025-03-01T00:30:00Z');
    expect(previousHour(new Date('2025-03-01T14:05:00Z')).key).toBe('2025-03-01T13');
    expect(previousHour(now).key).toBe('2025-02-28T23');
    expect(previousDay(now)).toMatchObject({
      key: '2025-02-28',
      start: new Date('2025-02-28T00:00:00Z'),
      end: new Date('2025-03-01T00:00:00Z'),
    });
  });
  test('period keys parse strictly', () => {
    expect(parsePeriodKey('2025-02-28T23')?.end).toEqual(new Date('2025-03-01T00:00:00Z'));
    expect(parsePeriodKey('2024-02')?.end).toEqual(new Date('2024-03-01T00:00:00Z'));
    expect(parsePeriodKey('2025-02-30')).toBeUndefined();
    expect(parsePeriodKey('2025-02-28T24')).toBeUndefined();
    expect(parsePeriodKey('yesterday')).toBeUndefined();
  });
  test('dashboard ranges default to 30 days and refuse nonsense', () => {
    const now = new Date('2025-03-10T12:00:00Z');
    expect(resolveDayRange({}, now)).toMatchObject({
      days: 30,
      to: new Date('2025-03-10T00:00:00Z'),
      from: new Date('2025-02-09T00:00:00Z'),
    });
    expect(resolveDayRange({ from: '2025-03-11', to: '2025-03-10' }, now)).toEqual({
      path: 'from',
      message: 'from is after to',
    });
    expect(resolveDayRange({ from: '2023-01-01' }, now)).toMatchObject({ path: 'from' });
    expect(resolveDayRange({ to: '2025-13-01' }, now)).toMatchObject({ path: 'to' });
  });
});

describe('metrics', () => {
  test('the ingestion schema is strict and capped', () => {
    const ok = {
      variantId: '2f40677f-7ecb-4418-b174-345e9e66336d',
      platform: 'instagram',
      metric: 'likes',
      value: 3,
      recordedAt: '2025-01-01T10:00:00Z',
    };
    expect(ingestMetricsRequest.safeParse({ points: [ok] }).success).toBe(true);
    expect(ingestMetricsRequest.safeParse({ points: [{ ...ok, value: 1.5 }] }).success).toBe(false);
    expect(ingestMetricsRequest.safeParse({ points: [{ ...ok, value: -1 }] }).success).toBe(false);
    expect(ingestMetricsRequest.safeParse({ points: [{ ...ok, metric: 'views' }] }).success).toBe(false);
    expect(ingestMetricsRequest.safeParse({ points: [{ ...ok, extra: 1 }] }).success).toBe(false);
    expect(ingestMetricsRequest.safeParse({ points: [] }).success).toBe(false);
    expect(ingestMetricsRequest.safeParse({ points: Array(5001).fill(ok) }).success).toBe(false);
  });
  test('in-batch repeats collapse, the last one wins', () => {
    const r = dedupeBatch([p('likes', 1), p('likes', 2), p('likes', 3, '2025-01-01T11:00:00Z')]);
    expect(r.repeats).toBe(1);
    expect(r.unique.map((x) => x.value)).toEqual([2, 3]);
  });
  test('samples from the future or past retention are named', () => {
    const now = new Date('2025-06-01T00:00:00Z');
    expect(
      checkSampleWindow(
        [
          p('likes', 1, '2025-06-01T00:04:00Z'),
          p('likes', 1, '2025-06-02T00:00:00Z'),
          p('likes', 1, '2020-01-01T00:00:00Z'),
        ],
        now,
      ).map((x) => x.index),
    ).toEqual([1, 2]);
  });
  test('engagement rate is engagements / impressions, null without impressions', () => {
    expect(engagementRate(58, 1000)).toBe(0.058);
    expect(engagementRate(5, 0)).toBeNull();
  });
});

describe('lifetime totals -> increments', () => {
  test('first collection stores the totals, later ones the growth only', () => {
    const first = toIncrements({}, [p('likes', 10), p('reach', 0)]);
    expect(first.points.map((x) => [x.metric, x.value])).toEqual([['likes', 10]]);
    const second = toIncrements(first.nextTotals, [p('likes', 14), p('reach', 7)]);
    expect(second.points.map((x) => [x.metric, x.value])).toEqual([
      ['likes', 4],
      ['reach', 7],
    ]);
  });
  test('a revision downwards stores nothing and regaining the loss is not counted twice', () => {
    const a = toIncrements({ likes: 100 }, [p('likes', 90)]);
    expect(a.points).toEqual([]);
    const b = toIncrements(a.nextTotals, [p('likes', 100)]);
    expect(b.points).toEqual([]);
    const c = toIncrements(b.nextTotals, [p('likes', 103)]);
    expect(c.points.map((x) => x.value)).toEqual([3]);
  });
});

describe('dashboard assembly', () => {
  const row = (day: string, platform: string, impressions: number, likes: number) => ({
    day,
    platform,
    impressions,
    reach: 0,
    likes,
    comments: 0,
    shares: 0,
    saves: 0,
    clicks: 0,
    videoViews: 0,
  });
  test('totals, a zero-filled trend and platforms by impressions', () => {
    const s = summarize(
      [
        row('2025-01-01', 'facebook', 100, 1),
        row('2025-01-01', 'instagram', 300, 30),
        row('2025-01-03', 'instagram', 100, 10),
      ],
      new Date('2025-01-01'),
      new Date('2025-01-03'),
    );
    expect(s.totals).toMatchObject({ impressions: 500, engagements: 41, engagementRate: 0.082 });
    expect(s.trend.map((t) => [t.day, t.impressions])).toEqual([
      ['2025-01-01', 400],
      ['2025-01-02', 0],
      ['2025-01-03', 100],
    ]);
    expect(s.byPlatform.map((x) => [x.platform, x.engagementRate])).toEqual([
      ['instagram', 0.1],
      ['facebook', 0.01],
    ]);
  });
  test('compliance rates weight the mean score by requests', () => {
    const c = complianceView(
      [
        { day: '2025-01-01', requests: 3, passed: 2, review: 1, rejected: 0, avgScore: 90 },
        { day: '2025-01-02', requests: 1, passed: 0, review: 0, rejected: 1, avgScore: 10 },
      ],
      [],
      new Date('2025-01-01'),
      new Date('2025-01-02'),
    );
    expect(c.totals).toEqual({ requests: 4, passed: 2, review: 1, rejected: 1, passRate: 0.5, avgScore: 70 });
  });
  test('budget remaining never goes negative; no budget means no limit', () => {
    expect(budgetView(120, 10, 100, 50)).toEqual({
      budgetUsd: 100,
      budgetRemainingUsd: 0,
      budgetUsed: 1.2,
      creditQuota: 50,
      creditsRemaining: 40,
    });
    expect(budgetView(5, 1, null, null)).toMatchObject({ budgetRemainingUsd: null, creditsRemaining: null });
  });
});

describe('job ledger decisions', () => {
  const now = new Date('2025-01-01T12:00:00Z');
  const row = (status: 'running' | 'succeeded' | 'failed', startedMinAgo: number) => ({
    id: 'j',
    status,
    attempts: 1,
    startedAt: new Date(now.getTime() - startedMinAgo * 60_000),
  });
  test('duplicates are skipped, failures and dead runs re-taken', () => {
    expect(decideClaim(row('succeeded', 5), now)).toEqual({ action: 'skip', reason: 'already_succeeded' });
    expect(decideClaim(row('succeeded', 5), now, { force: true })).toEqual({ action: 'retake', reason: 'forced' });
    expect(decideClaim(row('running', 5), now)).toEqual({ action: 'skip', reason: 'in_progress' });
    expect(decideClaim(row('running', 45), now)).toEqual({ action: 'retake', reason: 'stale_run' });
    expect(decideClaim(row('failed', 1), now)).toEqual({ action: 'retake', reason: 'retry_after_failure' });
  });
});

describe('Graph API error classification', () => {
  const h = (o: Record<string, string> = {}) => new Headers(o);
  test('rate limits retry later, with the wait Meta estimates', () => {
    for (const code of [4, 17, 32, 613, 80002])
      expect(classifyGraphError(400, { code }, h())).toMatchObject({
        kind: 'rate_limited',
        scope: 'connection',
        retryAfterSeconds: 3600,
      });
    const usage = JSON.stringify({ 123: [{ type: 'pages', estimated_time_to_regain_access: 12 }] });
    expect(
      classifyGraphError(400, { code: 32, type: 'OAuthException' }, h({ 'x-business-use-case-usage': usage }))
        .retryAfterSeconds,
    ).toBe(720);
  });
  test('OAuthException 190 needs a person to reconnect; one bad post is skipped; outages are transient', () => {
    expect(classifyGraphError(400, { code: 190, type: 'OAuthException', error_subcode: 463 }, h())).toMatchObject({
      kind: 'reauth_required',
      scope: 'connection',
    });
    expect(classifyGraphError(400, { code: 100, error_subcode: 33 }, h())).toMatchObject({
      kind: 'skip',
      scope: 'post',
    });
    expect(classifyGraphError(400, { code: 10 }, h())).toMatchObject({ kind: 'skip', scope: 'post' });
    expect(classifyGraphError(503, undefined, h())).toMatchObject({ kind: 'transient' });
    expect(classifyGraphError(400, { code: 1 }, h())).toMatchObject({ kind: 'transient' });
  });
});
