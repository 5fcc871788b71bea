import { describe, expect, test } from 'vitest';
import { DEMO_DAYS, planDemoPosts } from '../../../db/demo-analytics.js';

const now = new Date('2026-12-03T17:20:00Z');
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('planDemoPosts', () => {
  const posts = planDemoPosts('acme-coffee', now);
  const samples = posts.flatMap((p) => p.samples);
  const by = (platform: string, metric: string) =>
    sum(samples.filter((s) => s.platform === platform).map((s) => s.metrics[metric]));

  test('deterministic: the same tenant and day give the same posts; another tenant differs', () => {
    expect(planDemoPosts('acme-coffee', now)).toEqual(posts);
    expect(planDemoPosts('globex-fitness', now).map((p) => p.headline)).not.toEqual(posts.map((p) => p.headline));
  });

  test('a few posts a week, mostly on weekdays, none in the future', () => {
    const perWeek = posts.length / (DEMO_DAYS / 7);
    expect(perWeek).toBeGreaterThan(1.5);
    expect(perWeek).toBeLessThan(5);
    const published = posts.filter((p) => p.publishedAt);
    const weekend = published.filter((p) => [0, 6].includes(p.publishedAt!.getUTCDay()));
    expect(weekend.length).toBeLessThan(published.length / 4);
    for (const s of samples) expect(s.recordedAt.getTime()).toBeLessThanOrEqual(now.getTime());
    expect(posts.every((p) => p.publishedAt === null || p.publishedAt.getTime() > p.createdAt.getTime())).toBe(true);
  });

  test('plausible numbers: per-platform mixes and engagement rates of a few percent', () => {
    const rate = (p: string) =>
      (by(p, 'likes') + by(p, 'comments') + by(p, 'shares') + by(p, 'saves')) / by(p, 'impressions');
    for (const p of ['instagram', 'facebook', 'linkedin']) {
      expect(rate(p), p).toBeGreaterThan(0.01);
      expect(rate(p), p).toBeLessThan(0.08);
      expect(by(p, 'reach'), p).toBeLessThan(by(p, 'impressions'));
    }
    expect(rate('instagram')).toBeGreaterThan(rate('facebook'));
    expect(by('linkedin', 'clicks') / by('linkedin', 'impressions')).toBeGreaterThan(
      by('instagram', 'clicks') / by('instagram', 'impressions'),
    );
    expect(by('instagram', 'impressions')).toBeGreaterThan(by('linkedin', 'impressions'));
  });

  test('weekly rhythm: LinkedIn reads far less on weekends', () => {
    const li = samples.filter((s) => s.platform === 'linkedin' && s.recordedAt.getUTCHours() === 18);
    const mean = (xs: typeof li) => sum(xs.map((s) => s.metrics.impressions)) / Math.max(1, xs.length);
    const weekend = li.filter((s) => [0, 6].includes(s.recordedAt.getUTCDay()));
    const weekday = li.filter((s) => ![0, 6].includes(s.recordedAt.getUTCDay()));
    expect(mean(weekend)).toBeLessThan(mean(weekday) * 0.8);
  });

  test('compliance outcomes: mostly pass, some review, rejected ones never published', () => {
    const pass = posts.filter((p) => p.decision === 'pass').length;
    expect(pass / posts.length).toBeGreaterThan(0.6);
    expect(posts.some((p) => p.decision === 'review')).toBe(true);
    for (const p of posts.filter((x) => x.decision === 'reject')) expect(p.publishedAt).toBeNull();
    for (const p of posts.filter((x) => x.decision !== 'pass')) expect(p.findings.length).toBeGreaterThan(0);
  });
});
