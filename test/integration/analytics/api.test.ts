import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runJob } from '../../../functions/app/analytics/run-job.js';
import { addDays, dayKey, startOfDay } from '../../../functions/domain/analytics/periods.js';
import { startTestApi, type TestApi, type TestUser } from '../../support/api.js';
import { seedBrandFor, seedContent, seedUsage, usageRowsFor, type SeededOrg } from './fixtures.js';

let api: TestApi;
let a: SeededOrg & { owner: TestUser };
let b: SeededOrg & { owner: TestUser };
const today = startOfDay(new Date());
const d1 = addDays(today, -2);
const d2 = addDays(today, -1);
const at = (day: Date, h: number) => new Date(day.getTime() + h * 3_600_000).toISOString();

beforeAll(async () => {
  api = await startTestApi();
  const oa = await api.org({ name: 'Alpha Co' });
  const ob = await api.org({ name: 'Beta Co' });
  await api.db
    .owner`update organizations set monthly_budget_usd = 100, monthly_credit_quota = 5000 where id = ${oa.org.id}`;
  a = { ...(await seedBrandFor(api.db.owner, oa.org.id, oa.owner.id, 'Alpha brand')), owner: oa.owner };
  b = { ...(await seedBrandFor(api.db.owner, ob.org.id, ob.owner.id, 'Beta brand')), owner: ob.owner };
  await seedContent(api.db.owner, a, { headline: 'Spring launch', decision: 'pass', score: 90, createdAt: d1 });
  await seedContent(api.db.owner, a, {
    headline: 'Summer teaser',
    decision: 'reject',
    score: 30,
    findings: [{ check: 'text_contrast' }],
    createdAt: d2,
  });
  await seedContent(api.db.owner, b, { headline: 'Beta secret', decision: 'pass', score: 99, createdAt: d2 });
});
afterAll(async () => {
  await api?.close();
});

const runAll = async () => {
  const runs: [string, string | undefined][] = [
    ['rollup-content-hourly', undefined],
    ['rollup-usage', undefined],
    // The hourly compliance job covers yesterday and today; d1 (two days ago) gets its own run.
    ['rollup-brand-compliance', dayKey(d1)],
    ['rollup-brand-compliance', dayKey(d2)],
  ];
  for (const [j, period] of runs) {
    const r = await runJob(j, { force: true, period }, { db: api.appDb });
    expect(r.status, `${j}: ${r.error}`).toBe('succeeded');
  }
};
const metrics = (org: SeededOrg & { owner: TestUser }, points: unknown[], token = org.owner.token) =>
  api.call('POST', `/v1/orgs/${org.orgId}/analytics/metrics`, { token, body: { points } });

describe('POST /v1/orgs/{orgId}/analytics/metrics', () => {
  test('stores a batch, is idempotent, and tells accepted, updated and duplicates apart', async () => {
    const [ig, fb] = a.content[0].variants;
    const [ig2] = a.content[1].variants;
    const points = [
      { variantId: ig.id, platform: 'instagram', metric: 'impressions', value: 1000, recordedAt: at(d1, 10) },
      { variantId: ig.id, platform: 'instagram', metric: 'likes', value: 80, recordedAt: at(d1, 10) },
      { variantId: ig.id, platform: 'instagram', metric: 'comments', value: 20, recordedAt: at(d1, 10) },
      { variantId: fb.id, platform: 'facebook', metric: 'impressions', value: 400, recordedAt: at(d1, 12) },
      { variantId: fb.id, platform: 'facebook', metric: 'shares', value: 10, recordedAt: at(d1, 12) },
      { variantId: ig2.id, platform: 'instagram', metric: 'impressions', value: 600, recordedAt: at(d2, 9) },
      { variantId: ig2.id, platform: 'instagram', metric: 'saves', value: 6, recordedAt: at(d2, 9) },
      { variantId: ig2.id, platform: 'instagram', metric: 'clicks', value: 12, recordedAt: at(d2, 9) },
    ];
    const first = await metrics(a, points);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: 8, accepted: 8, updated: 0, duplicates: 0 });
    const again = await metrics(a, points);
    expect(again.body).toEqual({ received: 8, accepted: 0, updated: 0, duplicates: 8 });
    const [raw] = await api.db
      .owner`select count(*)::int as n from content_analytics where organization_id = ${a.orgId}`;
    expect(raw.n).toBe(8);
  });

  test('a variant of another tenant is a 404 naming the items, and nothing is stored', async () => {
    const foreign = b.content[0].variants[0].id;
    const r = await metrics(a, [
      {
        variantId: a.content[0].variants[0].id,
        platform: 'instagram',
        metric: 'reach',
        value: 5,
        recordedAt: at(d1, 11),
      },
      { variantId: foreign, platform: 'instagram', metric: 'reach', value: 5, recordedAt: at(d1, 11) },
    ]);
    expect(r.status).toBe(404);
    expect(r.contentType).toMatch(/problem\+json/);
    expect(r.body.errors).toEqual([
      { path: 'body.points[1].variantId', message: 'no such variant in this organization' },
    ]);
    const [raw] = await api.db.owner`select count(*)::int as n from content_analytics where metric = 'reach'`;
    expect(raw.n).toBe(0);
  });

  test('invalid input is refused with the failing fields', async () => {
    const v = a.content[0].variants[0].id;
    const bad = await metrics(a, [
      { variantId: v, platform: 'instagram', metric: 'retweets', value: -1, recordedAt: 'yesterday', extra: 1 },
    ]);
    expect(bad.status).toBe(400);
    const paths = bad.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'body.points[0].metric',
        'body.points[0].value',
        'body.points[0].recordedAt',
        'body.points[0].extra',
      ]),
    );
    const future = await metrics(a, [
      {
        variantId: v,
        platform: 'instagram',
        metric: 'likes',
        value: 1,
        recordedAt: addDays(new Date(), 2).toISOString(),
      },
    ]);
    expect(future.status).toBe(400);
    expect(future.body.errors[0].path).toBe('body.points[0].recordedAt');
    const tooMany = await metrics(
      a,
      Array.from({ length: 5001 }, (_, i) => ({
        variantId: v,
        platform: 'instagram',
        metric: 'likes',
        value: 1,
        recordedAt: new Date(Date.parse(at(d1, 0)) + i * 1000).toISOString(),
      })),
    );
    expect(tooMany.status).toBe(400);
    const huge = await api.call('POST', `/v1/orgs/${a.orgId}/analytics/metrics`, {
      token: a.owner.token,
      rawBody: JSON.stringify({ points: [], pad: 'x'.repeat(1_100_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.status).toBe(413);
  });

  test('a viewer may read analytics but not ingest', async () => {
    const viewer = await api.member(a.orgId, undefined, 'viewer');
    const r = await metrics(
      a,
      [
        {
          variantId: a.content[0].variants[0].id,
          platform: 'instagram',
          metric: 'likes',
          value: 1,
          recordedAt: at(d1, 10),
        },
      ],
      viewer.token,
    );
    expect(r.status).toBe(403);
  });
});

describe('dashboard, content and usage after the rollup jobs', () => {
  beforeAll(async () => {
    await metrics(b, [
      {
        variantId: b.content[0].variants[0].id,
        platform: 'instagram',
        metric: 'impressions',
        value: 777_000,
        recordedAt: at(d2, 9),
      },
    ]);
    await seedUsage(api.db.owner, a.orgId, usageRowsFor(d2, 40, 5));
    await seedUsage(api.db.owner, b.orgId, usageRowsFor(d2, 40, 6));
    // The metering code keeps usage_counters in step with api_usage; here the owner plays it.
    await api.db.owner`insert into usage_counters (organization_id, month, credits, cost_usd, calls)
      select organization_id, date_trunc('month', now() at time zone 'UTC')::date, sum(credits), sum(cost_usd), count(*)
      from api_usage where created_at >= date_trunc('month', now() at time zone 'UTC') at time zone 'UTC' group by organization_id`;
    await runAll();
  });

  test('the dashboard shows the ingested numbers (totals, trend, platforms, top content, compliance, spend)', async () => {
    const r = await api.call('GET', `/v1/orgs/${a.orgId}/analytics/dashboard?from=${dayKey(d1)}&to=${dayKey(today)}`, {
      token: a.owner.token,
    });
    expect(r.status).toBe(200);
    const d = r.body;
    expect(d.range).toEqual({ from: dayKey(d1), to: dayKey(today), days: 3 });
    expect(d.totals).toMatchObject({
      impressions: 2000,
      likes: 80,
      comments: 20,
      shares: 10,
      saves: 6,
      clicks: 12,
      engagements: 116,
      engagementRate: 0.058,
    });
    expect(d.trend.map((p: { day: string; impressions: number }) => [p.day, p.impressions])).toEqual([
      [dayKey(d1), 1400],
      [dayKey(d2), 600],
      [dayKey(today), 0],
    ]);
    expect(d.byPlatform).toEqual([
      { platform: 'instagram', impressions: 1600, reach: 0, engagements: 106, clicks: 12, engagementRate: 0.0663 },
      { platform: 'facebook', impressions: 400, reach: 0, engagements: 10, clicks: 0, engagementRate: 0.025 },
    ]);
    expect(d.topContent.map((c: { headline: string; engagements: number }) => [c.headline, c.engagements])).toEqual([
      ['Spring launch', 110],
      ['Summer teaser', 6],
    ]);
    // Every field of a top-content row, named and typed as the schema says.
    const uuidText = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(d.topContent[0]).toEqual({
      requestId: uuidText,
      brandId: uuidText,
      brandName: expect.any(String),
      headline: 'Spring launch',
      status: expect.any(String),
      impressions: expect.any(Number),
      reach: expect.any(Number),
      engagements: 110,
      clicks: expect.any(Number),
      engagementRate: expect.any(Number),
    });
    expect(d.compliance.totals).toMatchObject({ requests: 2, passed: 1, rejected: 1, passRate: 0.5, avgScore: 60 });
    expect(d.compliance.topFindings).toEqual([{ check: 'text_contrast', count: 1 }]);
    const [u] = await api.db
      .owner`select sum(cost_usd)::text as cost from api_usage where organization_id = ${a.orgId}`;
    expect(d.spend.monthToDate.costUsd).toBeCloseTo(Number(u.cost), 6);
    expect(d.spend.budgetUsd).toBe(100);
    expect(d.dataAsOf).not.toBeNull();
  });

  test('the brand filter narrows the numbers', async () => {
    const other = await seedBrandFor(api.db.owner, a.orgId, a.userId, 'Alpha second brand');
    const r = await api.call(
      'GET',
      `/v1/orgs/${a.orgId}/analytics/dashboard?from=${dayKey(d1)}&brandId=${other.brandId}`,
      { token: a.owner.token },
    );
    expect(r.status).toBe(200);
    expect(r.body.totals.impressions).toBe(0);
    expect(r.body.topContent).toEqual([]);
  });

  test('per-request analytics', async () => {
    const r = await api.call(
      'GET',
      `/v1/orgs/${a.orgId}/analytics/content/${a.content[0].requestId}?from=${dayKey(d1)}`,
      { token: a.owner.token },
    );
    expect(r.status).toBe(200);
    expect(r.body.request.headline).toBe('Spring launch');
    expect(r.body.totals).toMatchObject({ impressions: 1400, engagements: 110 });
    expect(
      r.body.variants.map((v: { preset: string; impressions: number }) => [v.preset, v.impressions]).sort(),
    ).toEqual([
      ['facebook_feed', 400],
      ['instagram_square', 1000],
    ]);
  });

  test('usage month to date equals api_usage exactly, with quota remaining', async () => {
    const r = await api.call('GET', `/v1/orgs/${a.orgId}/usage`, { token: a.owner.token });
    expect(r.status).toBe(200);
    const raw = await api.db.owner`
      select provider, endpoint, count(*)::int as calls, (count(*) filter (where outcome <> 'success'))::int as failures,
        (count(*) filter (where retry_number > 0))::int as retries, sum(credits)::text as credits, sum(cost_usd)::text as cost
      from api_usage where organization_id = ${a.orgId} and created_at >= date_trunc('month', now() at time zone 'UTC') at time zone 'UTC'
      group by 1, 2 order by 1, 2`;
    const got = [...r.body.byEndpoint].sort((x: { endpoint: string }, y: { endpoint: string }) =>
      x.endpoint.localeCompare(y.endpoint),
    );
    expect(
      got.map((e: Record<string, unknown>) => [
        e.provider,
        e.endpoint,
        e.calls,
        e.failures,
        e.retries,
        e.credits,
        e.costUsd,
      ]),
    ).toEqual(
      raw.map((x) => [x.provider, x.endpoint, x.calls, x.failures, x.retries, Number(x.credits), Number(x.cost)]),
    );
    const [tot] = await api.db
      .owner`select sum(cost_usd)::text as cost, sum(credits)::text as credits, count(*)::int as calls from api_usage where organization_id = ${a.orgId}`;
    expect(r.body.totals).toMatchObject({ calls: tot.calls, costUsd: Number(tot.cost), credits: Number(tot.credits) });
    expect(r.body.quota.creditQuota).toBe(5000);
    expect(r.body.quota.creditsRemaining).toBeCloseTo(5000 - Number(tot.credits), 4);
    expect(r.body.quota.budgetRemainingUsd).toBeCloseTo(100 - Number(tot.cost), 6);
  });

  test("one tenant never sees another tenant's numbers", async () => {
    // Not a member: 404, whatever the route.
    for (const p of [
      `/v1/orgs/${a.orgId}/analytics/dashboard`,
      `/v1/orgs/${a.orgId}/usage`,
      `/v1/orgs/${a.orgId}/analytics/content/${a.content[0].requestId}`,
    ]) {
      const r = await api.call('GET', p, { token: b.owner.token });
      expect(r.status, p).toBe(404);
    }
    // Its own dashboard holds only its own numbers; another tenant's request id is a 404 there.
    const own = await api.call('GET', `/v1/orgs/${b.orgId}/analytics/dashboard?from=${dayKey(d1)}`, {
      token: b.owner.token,
    });
    expect(own.body.totals.impressions).toBe(777_000);
    expect(own.body.topContent.map((c: { headline: string }) => c.headline)).toEqual(['Beta secret']);
    const cross = await api.call('GET', `/v1/orgs/${b.orgId}/analytics/content/${a.content[0].requestId}`, {
      token: b.owner.token,
    });
    expect(cross.status).toBe(404);
    const aDash = await api.call('GET', `/v1/orgs/${a.orgId}/analytics/dashboard?from=${dayKey(d1)}`, {
      token: a.owner.token,
    });
    expect(aDash.body.totals.impressions).toBe(2000);
  });

  test('a viewer sees the dashboard without spend and may not read usage', async () => {
    const viewer = await api.member(a.orgId, undefined, 'viewer');
    const d = await api.call('GET', `/v1/orgs/${a.orgId}/analytics/dashboard`, { token: viewer.token });
    expect(d.status).toBe(200);
    expect(d.body.spend).toBeNull();
    const u = await api.call('GET', `/v1/orgs/${a.orgId}/usage`, { token: viewer.token });
    expect(u.status).toBe(403);
  });

  test('the HTML view renders the same numbers as SVG', async () => {
    const r = await api.call('GET', `/v1/orgs/${a.orgId}/analytics/dashboard/view?from=${dayKey(d1)}`, {
      token: a.owner.token,
    });
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/text\/html/);
    expect(r.text).toContain('data-chart="impressions-trend" data-total="2000"');
    expect(r.text).toContain('<div class="kpi-value">2,000</div>');
    const anon = await api.call('GET', `/v1/orgs/${a.orgId}/analytics/dashboard/view`);
    expect(anon.status).toBe(401);
  });
});
