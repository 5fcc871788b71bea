/**
 * The dashboard page in a real browser (headless Chromium through playwright-core): without a
 * token it refuses; after the local sign-in it loads the tenant's dashboard from the API and the
 * SVG charts carry the seeded numbers.
 */
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runJob } from '../../functions/app/analytics/run-job.js';
import { addDays, dayKey, startOfDay } from '../../functions/domain/analytics/periods.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { launchBrowser, requireChromium, type TestBrowser } from '../support/browser.js';
import { seedBrandFor, seedContent, seedUsage, usageRowsFor } from '../integration/analytics/fixtures.js';

let api: TestApi;
let ctx: BrowserContext;
let browser: TestBrowser | undefined;
let orgId: string;
const today = startOfDay(new Date());
const d1 = addDays(today, -3);
const d2 = addDays(today, -1);
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  requireChromium();
  api = await startTestApi();
  // The page handlers read these at request time: local mode, and the test issuer's keys.
  for (const [k, v] of Object.entries({
    APP_MODE: 'local',
    LOCAL_KEYS_DIR: api.auth.keysDir,
    JWT_ISSUER: api.auth.issuer,
    JWT_AUDIENCE: api.auth.audience,
  })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  const { org, owner } = await api.org({ name: 'Dana Studio', ownerEmail: 'dana@example.test' });
  orgId = org.id;
  await api.db.owner`update users set display_name = 'Dana Seed' where id = ${owner.id}`;
  await api.db.owner`update organizations set monthly_budget_usd = 50 where id = ${org.id}`;
  await api.db
    .owner`insert into system_settings (key, value) values ('dev_sign_in', 'true'::jsonb) on conflict (key) do update set value = excluded.value`;
  const seeded = await seedBrandFor(api.db.owner, org.id, owner.id, 'Dana brand');
  const c1 = await seedContent(api.db.owner, seeded, {
    headline: 'Autumn campaign',
    decision: 'pass',
    score: 88,
    createdAt: d2,
  });
  const c2 = await seedContent(api.db.owner, seeded, {
    headline: 'Winter preview',
    decision: 'review',
    score: 64,
    createdAt: d2,
  });
  const at = (d: Date, h: number) => new Date(d.getTime() + h * 3_600_000).toISOString();
  const point = (variant: { id: string }, platform: string, metric: string, value: number, recordedAt: string) => ({
    variantId: variant.id,
    platform,
    metric,
    value,
    recordedAt,
  });
  const r = await api.call('POST', `/v1/orgs/${org.id}/analytics/metrics`, {
    token: owner.token,
    body: {
      points: [
        point(c1.variants[0], 'instagram', 'impressions', 4200, at(d1, 10)),
        point(c1.variants[0], 'instagram', 'likes', 300, at(d1, 10)),
        point(c1.variants[1], 'facebook', 'impressions', 1800, at(d2, 8)),
        point(c1.variants[1], 'facebook', 'comments', 45, at(d2, 8)),
        point(c2.variants[0], 'instagram', 'impressions', 900, at(d2, 15)),
        point(c2.variants[0], 'instagram', 'saves', 12, at(d2, 15)),
      ],
    },
  });
  expect(r.status).toBe(200);
  await seedUsage(api.db.owner, org.id, usageRowsFor(d2, 10, 3));
  await api.db.owner`insert into usage_counters (organization_id, month, credits, cost_usd, calls)
    select organization_id, date_trunc('month', now() at time zone 'UTC')::date, sum(credits), sum(cost_usd), count(*) from api_usage group by 1`;
  for (const [job, period] of [
    ['rollup-content-hourly', undefined],
    ['rollup-usage', undefined],
    ['rollup-brand-compliance', dayKey(d2)],
  ] as const) {
    expect((await runJob(job, { period }, { db: api.appDb })).status).toBe('succeeded');
  }
  browser = await launchBrowser({ width: 412, height: 900 }); // a phone-sized window: the layout must hold up
  ctx = browser.ctx;
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

test('without a token the page refuses and shows no data', async () => {
  const page = await ctx.newPage();
  await page.goto(`${api.url}/dashboard?org=${orgId}`);
  await page.locator('#signin').waitFor({ state: 'visible', timeout: 15_000 });
  expect(await page.locator('#signin h1').textContent()).toBe('Sign-in required');
  expect(await page.locator('#dashboard').innerHTML()).toBe('');
  expect(await page.locator('[data-chart]').count()).toBe(0);
  // No filters to submit while signed out (the hidden attribute wins over the form's display rule).
  expect(await page.locator('#filters').isVisible()).toBe(false);
  await page.close();
});

test('after the local sign-in the charts render the seeded numbers', async () => {
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`);
  });
  await page.goto(`${api.url}/dashboard?org=${orgId}&from=${dayKey(d1)}&to=${dayKey(today)}`);
  await page.locator('#signin-link').click();
  await page.waitForURL(/\/dev\/sign-in/, { timeout: 15_000 });
  await page.locator('button[data-email="dana@example.test"]').click();
  await page.waitForURL(/\/dashboard/, { timeout: 15_000 });
  // The sign-in lands on /dashboard; pick the range again through the filters.
  await page.locator('#from').fill(dayKey(d1));
  await page.locator('#to').fill(dayKey(today));
  await page.locator('#filters button[type=submit]').click();
  await page.locator('#dashboard[data-state="loaded"] [data-chart="impressions-trend"]').waitFor({ timeout: 15_000 });
  await page.locator(`.meta[data-range-from="${dayKey(d1)}"]`).waitFor({ timeout: 15_000 });

  expect(await page.locator('[data-kpi="impressions"] .kpi-value').textContent()).toBe('6,900');
  expect(await page.locator('[data-kpi="engagements"] .kpi-value').textContent()).toBe('357');
  const trend = page.locator('svg[data-chart="impressions-trend"]');
  expect(await trend.getAttribute('data-total')).toBe('6900');
  expect(await trend.locator('circle').count()).toBe(4);
  expect(await trend.locator(`circle[data-label="${dayKey(d1)}"]`).getAttribute('data-value')).toBe('4200');
  expect(await trend.locator(`circle[data-label="${dayKey(d2)}"] title`).textContent()).toContain('2,700 impressions');
  const platforms = page.locator('svg[data-chart="engagement-by-platform"] g[data-bar]');
  expect(await platforms.evaluateAll((gs) => gs.map((g) => g.getAttribute('data-bar')))).toEqual([
    'instagram',
    'facebook',
  ]);
  expect(await page.locator('svg[data-chart="compliance-trend"]').getAttribute('data-total')).toBe('2');
  expect(await page.locator('svg[data-chart="budget"]').getAttribute('data-budget')).toBe('50');
  // Real samples, not the local seed's demo data: no label.
  expect(await page.locator('[data-demo]').count()).toBe(0);
  expect(await page.locator('[data-rollup="rollup-usage"]').getAttribute('data-last-run')).not.toBe('');
  expect(await page.locator('table[data-table="top-content"] tbody tr td:first-child').allTextContents()).toEqual([
    'Autumn campaign',
    'Winter preview',
  ]);
  // Rendered, not just present: the chart has a real size on a phone-width screen.
  const box = await trend.boundingBox();
  expect(box!.width).toBeGreaterThan(300);
  expect(box!.height).toBeGreaterThan(50);
  await page.screenshot({ path: path.join(os.tmpdir(), 'svp-dashboard.png'), fullPage: true });
  expect(errors).toEqual([]);
  await page.close();
});
