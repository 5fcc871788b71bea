/**
 * A first run, as `npm start` makes it: the local stack started with the same function on an empty
 * data directory, then the Acme Coffee dashboard opened in headless Chromium after the local
 * sign-in. No job is run by hand: the seed's demo data and its rollups must be there already.
 * Then a restart on the same data directory must not add a second copy of anything.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  DEMO_CONNECTION_STATUS,
  DEMO_DAYS,
  DEMO_PROVIDER,
  monthsBetween,
  REMOVE_DEMO_SQL,
} from '../../db/demo-analytics.js';
import { runJob } from '../../functions/app/analytics/run-job.js';
import { addDays } from '../../functions/domain/analytics/periods.js';
import { type LocalStack, startLocalStack } from '../../local/stack/stack.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = path.join(os.tmpdir(), 'svp-first-run-dashboard.png');
let dataDir: string;
let stack: LocalStack | undefined;
let ctx: BrowserContext;
let profile: string;
const startLog: string[] = [];

const stackOptions = () => ({
  dataDir,
  port: 0,
  outbox: false,
  log: (m: string) => startLog.push(m),
});

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'svp-first-run-'));
  stack = await startLocalStack(stackOptions());
  profile = mkdtempSync(path.join(os.tmpdir(), 'svp-chromium-'));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await ctx?.close();
  await stack?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('the Acme Coffee dashboard shows demo data in every chart, with distinct ticks, an icon and the last rollups', async () => {
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));

  await page.goto(`${stack!.apiUrl}/dashboard`);
  await page.locator('#signin-link').click();
  await page.waitForURL(/\/dev\/sign-in/, { timeout: 15_000 });
  await page.locator('button[data-email="owner@acme.test"]').click();
  await page.waitForURL(/\/dashboard/, { timeout: 15_000 });
  await page.locator('#dashboard[data-state="loaded"] [data-chart="impressions-trend"]').waitFor({ timeout: 20_000 });
  expect(await page.locator('#org option:checked').textContent()).toContain('Acme Coffee');

  // Every series chart has plotted data, not just axes.
  for (const id of ['impressions-trend', 'engagements-trend']) {
    const chart = page.locator(`svg[data-chart="${id}"]`);
    expect(Number(await chart.getAttribute('data-total')), id).toBeGreaterThan(0);
    const values = (await chart
      .locator('circle')
      .evaluateAll((cs) => cs.map((c) => Number(c.dataset.value)))) as number[];
    expect(values.length, id).toBe(30);
    expect(values.filter((v) => v > 0).length, `${id}: days with data`).toBeGreaterThan(20);
    const points = (await chart.locator('polyline').getAttribute('points'))!.split(' ');
    expect(new Set(points.map((p) => p.split(',')[1])).size, `${id}: a line that moves`).toBeGreaterThan(5);
  }
  const bars = page.locator('svg[data-chart="engagement-by-platform"] g[data-bar]');
  expect(await bars.evaluateAll((gs) => gs.map((g) => g.getAttribute('data-bar')).sort())).toEqual([
    'facebook',
    'instagram',
    'linkedin',
  ]);
  for (const w of await bars.locator('rect').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('width')))))
    expect(w).toBeGreaterThan(0);
  const compliance = page.locator('svg[data-chart="compliance-trend"]');
  expect(Number(await compliance.getAttribute('data-total'))).toBeGreaterThan(3);
  expect(await compliance.locator('rect[data-part="pass"]').count()).toBeGreaterThan(3);
  expect(await page.locator('table[data-table="top-content"] tbody tr[data-request]').count()).toBe(5);
  expect(await page.locator('[data-kpi="impressions"] .kpi-value').textContent()).not.toBe('0');

  // Value axes: distinct, rounded labels.
  for (const id of ['impressions-trend', 'engagements-trend', 'compliance-trend']) {
    const ticks = await page.locator(`svg[data-chart="${id}"] text[data-tick]`).allTextContents();
    expect(ticks.length, id).toBeGreaterThanOrEqual(2);
    expect(new Set(ticks).size, `${id}: ${ticks.join(', ')}`).toBe(ticks.length);
    expect(ticks[0]).toBe('0');
  }

  // Labelled as demo data, and says when the rollups ran and how to run one.
  const badge = page.locator('[data-demo="true"]');
  expect(await badge.isVisible()).toBe(true);
  expect(await badge.textContent()).toBe('demo data');
  const rollups = page.locator('[data-section="rollups"]');
  expect(await rollups.textContent()).toContain('Rollups last ran');
  expect(await rollups.textContent()).toContain('npm run job -- rollup-content-hourly');
  for (const job of ['rollup-content-hourly', 'rollup-brand-compliance']) {
    const at = await rollups.locator(`[data-rollup="${job}"]`).getAttribute('data-last-run');
    expect(Date.now() - new Date(at!).getTime(), job).toBeLessThan(30 * 60_000);
  }

  // The icon: declared, and it decodes as an image.
  const icon = await page.locator('link[rel="icon"]').getAttribute('href');
  expect(icon).toMatch(/^data:image\/svg\+xml,/);
  const decoded = await page.evaluate(async (href) => {
    // Runs in the page (no DOM types in this project's TypeScript config).
    const img = new (globalThis as any).Image();
    img.src = href;
    await img.decode();
    return img.naturalWidth > 0;
  }, icon!);
  expect(decoded).toBe(true);

  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  expect(problems).toEqual([]);
  await page.close();
});

test('every seeded tenant has its own demo data from the first start (Globex Fitness: Instagram, Facebook, Pinterest)', async () => {
  const globex = stack!.seed.orgs.find((o) => o.slug === 'globex-fitness')!;
  const token = await stack!.mintToken('owner@globex.test');
  const r = await fetch(`${stack!.apiUrl}/v1/orgs/${globex.id}/analytics/dashboard`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(r.status).toBe(200);
  const d = (await r.json()) as {
    demo: boolean;
    trend: { impressions: number }[];
    byPlatform: { platform: string; impressions: number }[];
    compliance: { trend: { requests: number }[] };
    topContent: { brandName: string }[];
  };
  expect(d.demo).toBe(true);
  expect(d.trend.filter((p) => p.impressions > 0).length).toBeGreaterThan(20);
  expect(d.byPlatform.map((p) => p.platform).sort()).toEqual(['facebook', 'instagram', 'pinterest']);
  expect(d.compliance.trend.reduce((a, c) => a + c.requests, 0)).toBeGreaterThan(3);
  expect(new Set(d.topContent.map((c) => c.brandName))).toEqual(new Set(['Globex Fitness']));
});

test('demo data is marked, never collected, and a restart adds nothing', async () => {
  const counts = async () => {
    const owner = postgres(stack!.ownerUrl, { max: 1, onnotice: () => {} });
    try {
      const [c] = await owner<{ samples: number; requests: number; posts: number; jobs: string }[]>`
        SELECT (SELECT count(*)::int FROM content_analytics) AS samples,
          (SELECT count(*)::int FROM generated_assets WHERE provider = ${DEMO_PROVIDER}) AS requests,
          (SELECT count(*)::int FROM published_posts) AS posts,
          (SELECT string_agg(job_name || ' ' || period_key || ' ' || attempts, ', ' ORDER BY job_name, period_key)
            FROM background_jobs) AS jobs`;
      // Every post of the seed hangs off a demo connection, which the collector never picks up.
      const [links] = await owner<{ posts: number; demo: number; collectable: number }[]>`
        SELECT count(*)::int AS posts, count(*) FILTER (WHERE c.status = ${DEMO_CONNECTION_STATUS})::int AS demo,
          (SELECT count(*)::int FROM app.collectable_connections(ARRAY['instagram', 'facebook', 'linkedin', 'pinterest'], now()))
            AS collectable
        FROM published_posts p JOIN social_connections c ON c.id = p.connection_id`;
      return { ...c, links };
    } finally {
      await owner.end({ timeout: 5 });
    }
  };
  const before = await counts();
  expect(before.requests).toBeGreaterThan(30);
  expect(before.samples).toBeGreaterThan(1000);
  expect(before.links.posts).toBe(before.posts);
  expect(before.links.demo).toBe(before.posts);
  expect(before.links.collectable).toBe(0);

  await stack!.stop();
  startLog.length = 0;
  stack = await startLocalStack(stackOptions());
  expect(await counts()).toEqual(before);
  expect(startLog.filter((l) => l.startsWith('Demo data'))).toEqual([]);

  // Removed as docs/local-stack.md says, it is gone from the dashboard and stays gone.
  const owner = postgres(stack!.ownerUrl, { max: 1, onnotice: () => {} });
  try {
    await owner.begin(async (tx) => {
      for (const q of REMOVE_DEMO_SQL) await tx.unsafe(q);
    });
  } finally {
    await owner.end({ timeout: 5 });
  }
  const rerun = async (job: string, period?: string) =>
    expect((await runJob(job, { period, force: true }, { db: stack!.db })).status).toBe('succeeded');
  for (const month of monthsBetween(addDays(new Date(), -DEMO_DAYS - 2), new Date()))
    await rerun('rollup-brand-compliance', month);
  await rerun('refresh-materialized-views');
  await stack!.stop();
  stack = await startLocalStack(stackOptions());
  const acme = stack.seed.orgs.find((o) => o.slug === 'acme-coffee')!;
  const token = await stack.mintToken('owner@acme.test');
  const r = await fetch(`${stack.apiUrl}/v1/orgs/${acme.id}/analytics/dashboard`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(r.status).toBe(200);
  const d = (await r.json()) as { demo: boolean; totals: { impressions: number }; compliance: { totals: unknown } };
  expect(d.demo).toBe(false);
  expect(d.totals.impressions).toBe(0);
  const after = await counts();
  expect([after.samples, after.requests, after.posts]).toEqual([0, 0, 0]);
});
