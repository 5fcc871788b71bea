/**
 * Dashboard read latency at volume. Seeds `rows` content_analytics samples (default 10,000,000;
 * env BENCH_ROWS) plus proportional tenants, brands, requests, variants and api_usage rows, in SQL
 * with generate_series as the owner (no row-by-row inserts); runs the rollups through the same
 * SECURITY DEFINER functions the scheduled jobs call; then measures p50/p95 of each dashboard
 * endpoint through the real API (local API server, JWT verification, membership check, RLS).
 *
 *   npx tsx bench/dashboard.ts                 # 10M rows
 *   BENCH_ROWS=1000000 npx tsx bench/dashboard.ts
 * Env: BENCH_ROWS, BENCH_TENANTS (20), BENCH_REQUESTS (300 measured calls per endpoint),
 *      BENCH_DATABASE_URL (an owner URL of an existing server; default: a throw-away embedded one).
 * Prints a table and writes bench/results/dashboard.json. Goal: p95 < 20 ms per endpoint.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';
import '../local/workflow/polyfills.js';
import { appUrlFrom, runMigrations } from '../db/migrate.js';
import { connect, withTenant } from '../functions/adapters/db/client.js';
import { getDashboard } from '../functions/app/analytics/dashboard.js';
import * as dq from '../functions/adapters/analytics/dashboard-queries.js';
import { sql as dsql, type SQL } from 'drizzle-orm';
import { startApiServer } from '../local/servers/api-server.js';
import { startLocalPostgres, type LocalPostgres } from '../local/servers/embedded-postgres.js';
import { issueLocalToken, subjectForEmail } from '../local/auth/local-issuer.js';
import { provide, resetComposition } from '../functions/handlers/composition/root.js';

export interface BenchDashboardOptions {
  /** content_analytics rows to seed (default 10,000,000). */
  rows?: number;
  tenants?: number;
  /** Measured calls per endpoint (after warm-up). */
  requests?: number;
  /** Owner URL of an existing PostgreSQL server (a database `svp_bench` is created there). */
  databaseUrl?: string;
  log?: (msg: string) => void;
}

export interface EndpointStats {
  endpoint: string;
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
  errors: number;
}
export interface BenchDashboardResult {
  rows: number;
  tenants: number;
  variants: number;
  requests: number;
  apiUsageRows: number;
  measuredTenant: { rawRows: number; dailyRows: number; variants: number };
  timingsSeconds: { seed: number; rollup: number; vacuum: number };
  endpoints: EndpointStats[];
  goalP95Ms: number;
  /** EXPLAIN (ANALYZE, BUFFERS) of the dashboard's reads as the measured tenant. */
  plans: Record<string, string>;
  /** loadAverage1m: the machine's 1-minute load when measuring (other work on a shared 2-core box skews every number). */
  machine: { cpus: number; node: string; postgres: string; loadAverage1m: number };
}

const METRICS = ['impressions', 'reach', 'likes', 'comments', 'shares', 'saves', 'clicks', 'video_views'];
const SAMPLE_EVERY_HOURS = 6;
const DAYS = 60;
const PRESETS = [
  ['instagram_square', 'instagram'],
  ['instagram_story', 'instagram'],
  ['facebook_feed', 'facebook'],
  ['linkedin_post', 'linkedin'],
];

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const round = (x: number) => Math.round(x * 100) / 100;

/** The latency spread (ms) of one endpoint's measured calls. */
function endpointStats(endpoint: string, ms: number[], errors: number): EndpointStats {
  const lat = [...ms].sort((a, b) => a - b);
  return {
    endpoint,
    n: lat.length,
    p50: round(quantile(lat, 0.5)),
    p95: round(quantile(lat, 0.95)),
    p99: round(quantile(lat, 0.99)),
    mean: round(lat.reduce((a, b) => a + b, 0) / lat.length),
    max: round(lat[lat.length - 1]),
    errors,
  };
}

export async function benchDashboard(opts: BenchDashboardOptions = {}): Promise<BenchDashboardResult> {
  const rows = opts.rows ?? 10_000_000;
  const tenants = opts.tenants ?? 20;
  const measured = opts.requests ?? 300;
  const log = opts.log ?? ((m: string) => console.error(`[bench] ${m}`));
  const samplesPerVariant = (DAYS * 24) / SAMPLE_EVERY_HOURS; // 240
  const variants = Math.max(
    tenants * PRESETS.length,
    Math.round(rows / (METRICS.length * samplesPerVariant) / PRESETS.length) * PRESETS.length,
  );
  const requests = variants / PRESETS.length;
  const requestsPerTenant = Math.max(1, Math.floor(requests / tenants));
  const apiUsageRows = Math.round(rows / 20);

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'svp-bench-'));
  let pg: LocalPostgres | undefined;
  let base = opts.databaseUrl ?? process.env.BENCH_DATABASE_URL;
  if (!base) {
    chmodSync(tmp, 0o755);
    pg = await startLocalPostgres({ dataDir: path.join(tmp, 'pg'), persistent: false, durable: false });
    base = pg.ownerUrl('postgres');
    // An interrupted run must not leave a PostgreSQL server behind.
    const onSignal = () => {
      void pg?.stop().finally(() => {
        rmSync(tmp, { recursive: true, force: true });
        process.exit(130);
      });
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe('DROP DATABASE IF EXISTS svp_bench WITH (FORCE)');
  await admin.unsafe('CREATE DATABASE svp_bench');
  await admin.end();
  const ownerUrl = Object.assign(new URL(base), { pathname: '/svp_bench' }).toString();
  const appPassword = 'svp_app_bench';
  await runMigrations(ownerUrl, { appRolePassword: appPassword });
  const owner = postgres(ownerUrl, { max: 1, onnotice: () => {}, prepare: false });
  const closers: (() => Promise<unknown>)[] = [];
  try {
    await owner.unsafe(`SET synchronous_commit = off; SET maintenance_work_mem = '512MB'; SET work_mem = '128MB'`);
    const t0 = performance.now();
    log(
      `seeding ${rows.toLocaleString()} samples: ${tenants} tenants, ${requests} requests, ${variants} variants, ` +
        `${apiUsageRows.toLocaleString()} api_usage rows`,
    );
    // Monthly partitions for the whole window, so no row lands in the default partition.
    await owner`SELECT app.maintain_partitions(3, 24)`;
    await owner.unsafe(`
      DO $$ DECLARE m timestamptz; t text; BEGIN
        FOREACH t IN ARRAY ARRAY['content_analytics', 'api_usage'] LOOP
          FOR m IN SELECT generate_series(date_trunc('month', now() - interval '${DAYS + 1} days'), date_trunc('month', now()), interval '1 month') LOOP
            IF to_regclass(t || '_' || to_char(m, 'YYYY_MM')) IS NULL THEN
              EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', t || '_' || to_char(m, 'YYYY_MM'), t, m, m + interval '1 month');
            END IF;
          END LOOP;
        END LOOP;
        PERFORM app.apply_tenant_policies();
      END $$`);
    await owner.unsafe(`
      CREATE TEMP TABLE b_orgs AS SELECT gen_random_uuid() AS id, g AS n FROM generate_series(1, ${tenants}) g;
      INSERT INTO organizations (id, name, slug, api_rate_limit_per_minute, monthly_budget_usd, monthly_credit_quota)
        SELECT id, 'Bench org ' || n, 'bench-' || n, 10000000, 500, 100000 FROM b_orgs;
      INSERT INTO users (email, display_name) SELECT 'owner' || n || '@bench.test', 'Owner ' || n FROM b_orgs;
      INSERT INTO user_organizations (organization_id, user_id, role)
        SELECT o.id, u.id, 'owner' FROM b_orgs o JOIN users u ON u.email = 'owner' || o.n || '@bench.test';
      CREATE TEMP TABLE b_brands AS SELECT gen_random_uuid() AS id, o.id AS org, b AS n FROM b_orgs o, generate_series(1, 3) b;
      INSERT INTO brand_profiles (id, organization_id, name, colors, fonts) SELECT id, org, 'Brand ' || n, '{}', '{}' FROM b_brands;
      CREATE TEMP TABLE b_req AS
        SELECT gen_random_uuid() AS id, o.id AS org, (SELECT b.id FROM b_brands b WHERE b.org = o.id AND b.n = 1 + (r % 3)) AS brand, r,
          now() - interval '${DAYS} days' + (r::float8 / ${requestsPerTenant}) * interval '${DAYS - 1} days' AS created_at
        FROM b_orgs o, generate_series(1, ${requestsPerTenant}) r;
      INSERT INTO content_requests (id, organization_id, brand_id, requested_by, status, brief, image_spec, platforms, created_at)
        SELECT q.id, q.org, q.brand, uo.user_id, 'published', jsonb_build_object('headline', 'Campaign ' || q.r, 'body', 'x'), '{}',
          ARRAY['instagram_square','instagram_story','facebook_feed','linkedin_post'], q.created_at
        FROM b_req q JOIN user_organizations uo ON uo.organization_id = q.org;
      INSERT INTO generated_assets (organization_id, request_id, brand_id, source, license, s3_key, content_type, width, height, bytes, sha256,
          compliance_score, compliance_decision, findings, created_at)
        SELECT org, id, brand, 'stock', '{}', 'k/' || id, 'image/png', 1, 1, 1, 'x', 40 + (r * 37) % 60,
          CASE WHEN r % 10 < 7 THEN 'pass' WHEN r % 10 < 9 THEN 'review' ELSE 'reject' END,
          CASE WHEN r % 10 < 7 THEN '[]'::jsonb
            ELSE jsonb_build_array(jsonb_build_object('check', CASE WHEN r % 2 = 0 THEN 'text_contrast' ELSE 'logo_clearspace' END))
          END,
          created_at
        FROM b_req;
      INSERT INTO asset_variants (organization_id, request_id, generated_asset_id, platform, width, height, format, bytes, sha256, s3_key)
        SELECT g.organization_id, g.request_id, g.id, p.preset, 1080, 1080, 'png', 1, 'x', 'k/' || g.id || '/' || p.preset
        FROM generated_assets g CROSS JOIN (VALUES ${PRESETS.map(([pr, pl]) => `('${pr}', '${pl}')`).join(', ')}) AS p(preset, platform);`);
    log(`  tenants, requests, variants: ${round((performance.now() - t0) / 1000)} s`);
    // Bulk-load shortcuts for the samples only (the data is valid by construction): FK triggers off
    // for this session, and the secondary indexes rebuilt once afterwards from their own
    // definitions (a sorted build instead of millions of random B-tree inserts).
    const indexDefs = await owner<{ name: string; def: string }[]>`
      SELECT indexname AS name, indexdef AS def FROM pg_indexes
      WHERE schemaname = 'public' AND tablename = 'content_analytics' AND indexname <> 'content_analytics_pkey'`;
    for (const i of indexDefs) await owner.unsafe(`DROP INDEX ${i.name}`);
    await owner.unsafe(`SET session_replication_role = replica`);
    // The samples, one statement per day of the window (bounded transactions, steady progress).
    const tSamples = performance.now();
    for (let day = DAYS; day >= 1; day--) {
      await owner.unsafe(`
        INSERT INTO content_analytics (organization_id, brand_id, request_id, variant_id, platform, metric, value, recorded_at)
        SELECT v.organization_id, r.brand_id, v.request_id, v.id, p.platform, m.metric,
          (floor(random() * CASE m.metric WHEN 'impressions' THEN 2000 WHEN 'reach' THEN 1500 WHEN 'video_views' THEN 300 ELSE 60 END))::bigint,
          date_trunc('day', now()) - interval '${day} days' + s * interval '${SAMPLE_EVERY_HOURS} hours'
        FROM asset_variants v JOIN content_requests r ON r.id = v.request_id
        JOIN (VALUES ${PRESETS.map(([pr, pl]) => `('${pr}', '${pl}')`).join(', ')}) AS p(preset, platform) ON p.preset = v.platform
        CROSS JOIN generate_series(0, ${24 / SAMPLE_EVERY_HOURS - 1}) s
        CROSS JOIN unnest(ARRAY[${METRICS.map((m) => `'${m}'`).join(', ')}]) AS m(metric)`);
      if (day % 10 === 0) log(`  samples: day -${day} done (${round((performance.now() - tSamples) / 1000)} s)`);
    }
    await owner.unsafe(`SET session_replication_role = origin`);
    const tIdx = performance.now();
    // pg_indexes shows a partitioned index as `ON ONLY parent`; without ONLY it cascades to every partition.
    for (const i of indexDefs) await owner.unsafe(i.def.replace(' ON ONLY ', ' ON '));
    log(`  rebuilt ${indexDefs.length} content_analytics indexes in ${round((performance.now() - tIdx) / 1000)} s`);
    await owner.unsafe(`
      INSERT INTO api_usage (organization_id, provider, endpoint, method, status_code, outcome, latency_ms, credits, cost_usd, retry_number, created_at)
      SELECT o.id, 'freepik', (ARRAY['/v1/ai/mystic', '/v1/resources', '/v1/resources/{id}/download'])[1 + g % 3], 'POST',
        CASE WHEN g % 17 = 0 THEN 503 ELSE 200 END, CASE WHEN g % 17 = 0 THEN 'retryable_error' ELSE 'success' END,
        50 + (g * 7) % 900, round((random() * 10)::numeric, 4), round((random() * 0.05)::numeric, 6), CASE WHEN g % 13 = 0 THEN 1 ELSE 0 END,
        now() - (g::float8 / ${Math.ceil(apiUsageRows / tenants)}) * interval '${DAYS - 1} days'
      FROM b_orgs o, generate_series(1, ${Math.ceil(apiUsageRows / tenants)}) g;
      INSERT INTO usage_counters (organization_id, month, credits, cost_usd, calls)
        SELECT organization_id, date_trunc('month', now() AT TIME ZONE 'UTC')::date, sum(credits), sum(cost_usd), count(*) FROM api_usage
        WHERE created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' GROUP BY organization_id;`);
    const seedS = (performance.now() - t0) / 1000;
    const [{ n: rawRows }] = await owner<{ n: number }[]>`SELECT count(*)::int AS n FROM content_analytics`;
    log(`seeded ${rawRows.toLocaleString()} samples in ${round(seedS)} s`);

    const t1 = performance.now();
    const from = new Date(Date.now() - (DAYS + 1) * 86_400_000);
    const to = new Date(Date.now() + 3_600_000);
    await owner`SELECT app.rollup_content_ranges(ARRAY[${from.toISOString()}::timestamptz], ARRAY[${to.toISOString()}::timestamptz])`;
    await owner`SELECT app.rollup_daily_usage(${from.toISOString().slice(0, 10)}::date, ${to.toISOString().slice(0, 10)}::date + 1)`;
    await owner`SELECT app.rollup_brand_compliance(${from.toISOString().slice(0, 10)}::date, ${to.toISOString().slice(0, 10)}::date + 1)`;
    await owner`SELECT app.refresh_analytics_views()`;
    await owner`INSERT INTO background_jobs (job_name, period_key, status, finished_at)
      VALUES ('rollup-content-hourly', 'bench', 'succeeded', now()), ('rollup-usage', 'bench', 'succeeded', now())`;
    const rollupS = (performance.now() - t1) / 1000;
    log(`rollups in ${round(rollupS)} s`);
    const t2 = performance.now();
    for (const t of [
      'content_analytics_daily',
      'content_analytics_hourly',
      'analytics_brand_daily_mv',
      'analytics_request_daily_mv',
      'daily_usage_summaries',
      'brand_compliance_analytics',
      'content_requests',
      'brand_profiles',
      'user_organizations',
      'organizations',
      'background_jobs',
      'usage_counters',
      'asset_variants',
    ]) {
      await owner.unsafe(`VACUUM (ANALYZE) ${t}`);
    }
    await owner.unsafe('ANALYZE content_analytics');
    // Index-only reads of the views need their pages marked all-visible, which VACUUM cannot do
    // while another snapshot is older than the refresh (autovacuum analysing the fresh samples,
    // say). Vacuum them again until it sticks, so the numbers are those of a settled system.
    for (let i = 0; i < 30; i++) {
      const [v] = await owner<{ pending: number }[]>`SELECT count(*)::int AS pending FROM pg_class
        WHERE relname IN ('analytics_brand_daily_mv', 'analytics_request_daily_mv') AND relallvisible < relpages`;
      if (!v.pending) break;
      await new Promise((r) => setTimeout(r, 1000));
      for (const t of ['analytics_brand_daily_mv', 'analytics_request_daily_mv']) await owner.unsafe(`VACUUM ${t}`);
    }
    const vacuumS = (performance.now() - t2) / 1000;

    // The measured tenant and its numbers.
    const [org] = await owner<{ id: string; email: string; user_id: string }[]>`
      SELECT o.id, u.email, u.id AS user_id FROM organizations o JOIN user_organizations uo ON uo.organization_id = o.id JOIN users u ON u.id = uo.user_id
      WHERE o.slug = 'bench-1'`;
    const [vol] = await owner<{ raw: number; daily: number; variants: number }[]>`
      SELECT (SELECT count(*) FROM content_analytics WHERE organization_id = ${org.id})::int AS raw,
        (SELECT count(*) FROM content_analytics_daily WHERE organization_id = ${org.id})::int AS daily,
        (SELECT count(*) FROM asset_variants WHERE organization_id = ${org.id})::int AS variants`;
    const [top] = await owner<
      { request_id: string }[]
    >`SELECT request_id FROM content_analytics_daily WHERE organization_id = ${org.id} GROUP BY 1 ORDER BY sum(likes) DESC LIMIT 1`;
    await owner`SELECT app.resolve_user(${subjectForEmail(org.email)}, ${org.email}, null)`;

    // The API, as under `npm start`: local issuer, route table, handler modules, app role + RLS.
    const auth = { keysDir: path.join(tmp, 'keys'), issuer: 'https://auth.bench.svp.dev', audience: 'svp-bench' };
    const appDb = connect(appUrlFrom(ownerUrl, appPassword), { max: 10, appName: 'svp-bench-api' });
    closers.push(() => appDb.close());
    resetComposition();
    provide('dbHandle', appDb);
    const server = await startApiServer({ auth });
    closers.push(() => server.close());
    const token = await issueLocalToken(auth, { email: org.email, ttl: 3600 });
    const today = new Date().toISOString().slice(0, 10);
    const d = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    const endpoints: [string, string][] = [
      // The API's own cheapest tenant route: what auth, membership, rate limit and HTTP cost alone.
      ['baseline: GET /v1/orgs/{orgId}', `/v1/orgs/${org.id}`],
      ['dashboard (30 days)', `/v1/orgs/${org.id}/analytics/dashboard`],
      ['dashboard (60 days)', `/v1/orgs/${org.id}/analytics/dashboard?from=${d(59)}&to=${today}`],
      ['dashboard view (HTML, 30 days)', `/v1/orgs/${org.id}/analytics/dashboard/view`],
      ['content/{requestId}', `/v1/orgs/${org.id}/analytics/content/${top.request_id}`],
      ['usage', `/v1/orgs/${org.id}/usage`],
    ];
    // The client runs in its own process (bench/http-probe.mjs): one keep-alive connection, one
    // request at a time, so the numbers are the server's latency without queueing and without the
    // client's own work on the server's event loop.
    const probe = JSON.parse(
      (
        await promisify(execFile)(
          process.execPath,
          [
            fileURLToPath(new URL('./http-probe.mjs', import.meta.url)),
            JSON.stringify({
              base: server.url,
              headers: { authorization: `Bearer ${token}` },
              warmup: 30,
              measured,
              endpoints,
            }),
          ],
          { maxBuffer: 64 * 1024 * 1024 },
        )
      ).stdout,
    ) as Record<string, { ms: number[]; errors: number }>;
    const stats: EndpointStats[] = [];
    for (const [name] of endpoints) stats.push(endpointStats(name, probe[name].ms, probe[name].errors));
    // The dashboard use case alone (one tenant transaction, one statement), without HTTP or auth.
    const uc: number[] = [];
    for (let i = 0; i < 30 + measured; i++) {
      const s = performance.now();
      await withTenant(appDb.db, { orgId: org.id, userId: org.user_id }, (tx) =>
        getDashboard(tx, { includeSpend: true }),
      );
      if (i >= 30) uc.push(performance.now() - s);
    }
    stats.push(endpointStats('use case only: getDashboard (30 days)', uc, 0));
    // Plans of the dashboard's fragments as the tenant (to see which index each read uses).
    const plans: Record<string, string> = {};
    const from30 = new Date(Date.now() - 29 * 86_400_000);
    const frags: Record<string, SQL> = {
      daily: dq.dailyByPlatformSql(from30, new Date()),
      topContent: dq.topContentSql(from30, new Date(), 5),
      complianceDays: dq.complianceDaysSql(from30, new Date()),
      usage: dq.usageByEndpointSql(new Date(Date.now() - 30 * 86_400_000), new Date()),
    };
    for (const [k, f] of Object.entries(frags)) {
      const rowsOut = await withTenant(appDb.db, { orgId: org.id }, (tx) =>
        tx.execute<{ 'QUERY PLAN': string }>(dsql`EXPLAIN (ANALYZE, BUFFERS) ${f}`),
      );
      plans[k] = rowsOut.map((r) => r['QUERY PLAN']).join('\n');
    }
    if (process.env.BENCH_PLANS) for (const [k, p] of Object.entries(plans)) log(`plan ${k}:\n${p}`);
    const [{ v }] = await owner<{ v: string }[]>`SELECT current_setting('server_version') AS v`;
    const [{ load }] = [{ load: os.loadavg()[0] }];
    return {
      rows: rawRows,
      tenants,
      variants,
      requests,
      apiUsageRows,
      measuredTenant: { rawRows: vol.raw, dailyRows: vol.daily, variants: vol.variants },
      timingsSeconds: { seed: round(seedS), rollup: round(rollupS), vacuum: round(vacuumS) },
      endpoints: stats,
      goalP95Ms: 20,
      machine: { cpus: os.cpus().length, node: process.version, postgres: v, loadAverage1m: round(load) },
      plans,
    };
  } finally {
    for (const c of closers.reverse()) await c().catch(() => {});
    resetComposition();
    await owner.end({ timeout: 5 });
    await pg?.stop().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function printDashboardBench(r: BenchDashboardResult): void {
  console.log(
    `\nDashboard API at ${r.rows.toLocaleString()} content_analytics rows ` +
      `(${r.tenants} tenants, ${r.variants.toLocaleString()} variants; ` +
      `measured tenant: ${r.measuredTenant.rawRows.toLocaleString()} raw rows, ` +
      `${r.measuredTenant.dailyRows.toLocaleString()} daily rollup rows)`,
  );
  console.log(
    `seed ${r.timingsSeconds.seed} s, rollups ${r.timingsSeconds.rollup} s, vacuum ${r.timingsSeconds.vacuum} s; ` +
      `${r.machine.cpus} cpus (load average ${r.machine.loadAverage1m}), node ${r.machine.node}, PostgreSQL ${r.machine.postgres}\n`,
  );
  const head = [
    'endpoint',
    'n',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'mean ms',
    'max ms',
    'errors',
    `p95 < ${r.goalP95Ms} ms`,
  ];
  const body = r.endpoints.map((e) =>
    [e.endpoint, e.n, e.p50, e.p95, e.p99, e.mean, e.max, e.errors, e.p95 < r.goalP95Ms ? 'yes' : 'NO'].map(String),
  );
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const b of body) console.log(line(b));
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/dashboard.ts')) {
  const rows = Number(process.env.BENCH_ROWS ?? 10_000_000);
  const r = await benchDashboard({
    rows,
    tenants: process.env.BENCH_TENANTS ? Number(process.env.BENCH_TENANTS) : undefined,
    requests: process.env.BENCH_REQUESTS ? Number(process.env.BENCH_REQUESTS) : undefined,
  });
  printDashboardBench(r);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/dashboard.json', `${JSON.stringify({ ...r, at: new Date().toISOString() }, null, 2)}\n`);
  console.log('\nwrote bench/results/dashboard.json');
  process.exit(0);
}
