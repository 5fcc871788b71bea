/**
 * The API under load, measured against the floor: a throw-away embedded PostgreSQL + s3rver, a
 * seeded tenant with many content requests, and two servers in this one process on the same
 * database, app role and data:
 *  - product: the local API server (same route table, middy chain, handlers, auth and RLS as in
 *    AWS; the JWT check the authorizer does in AWS is done by the local server);
 *  - baseline: bench/api-baseline.ts, bare node:http + jose + postgres.js doing the same essential
 *    work per request in one pipelined round trip (what it checks is listed there).
 * Before any load, both must answer the same bodies and the same refusals (else the bench stops:
 * a baseline that does less is no floor). Then autocannon (its own process, bench/autocannon-
 * runner.mjs) at 100 and 10 connections on the list (20 per page) and the detail route, runs
 * alternating product / baseline / product / baseline so machine drift hits both alike.
 *
 * Prints, per route and concurrency, both servers' medians, product/baseline ratios for req/s and
 * p99 (issue 18's goal: >= 0.9x and <= 1.15x), the spread over rounds, CPU ms per request of the
 * API process and of PostgreSQL, statements per request (pg_stat_statements). Writes
 * bench/results/api.json.
 *
 *   npx tsx bench/api.ts [durationSeconds=10] [connections=100] [seededRequests=5000]
 *   BENCH_ROUNDS=2            runs per server and cell (A/B/A/B)
 *   BENCH_API_PROFILE=1       also CPU-profiles both servers on the list route (10 connections)
 *                             and prints where the time goes (written into api.json)
 *   BENCH_PG_STATS=1          also prints each run's statements (pg_stat_statements, app role)
 *
 * On this 2-core machine the load generator shares the CPUs with the servers and PostgreSQL (and
 * with whatever else runs), so absolute numbers move with the machine; the ratios are the result.
 * With C cores free, throughput is bounded by about C * 1000 / (api + pg + load generator) req/s.
 */
import '../local/workflow/polyfills.js';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFile } from 'node:child_process';
import { isDeepStrictEqual, promisify } from 'node:util';
import type autocannon from 'autocannon';
import postgres from 'postgres';
import { appUrlFrom, runMigrations } from '../db/migrate.js';
import { connect } from '../functions/adapters/db/client.js';
import { startApiServer } from '../local/servers/api-server.js';
import { startLocalPostgres } from '../local/servers/embedded-postgres.js';
import { startLocalS3 } from '../local/servers/s3-server.js';
import { createObjectStore } from '../functions/adapters/storage/object-store.js';
import { executionNameFor } from '../functions/domain/ports.js';
import { issueLocalToken, jwksPath, subjectForEmail } from '../local/auth/local-issuer.js';
import { provide } from '../functions/handlers/composition/root.js';
import { startBaselineServer } from './api-baseline.js';
import { startProfiler, summarizeProfile, type ProfileSummary } from './cpu-profile.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchApiOptions {
  durationSeconds?: number;
  /** The high concurrency (10 connections always runs too). */
  connections?: number;
  seededRequests?: number;
  poolMax?: number;
  /** Measured runs per server and cell, alternating (default 2). */
  rounds?: number;
  /** CPU-profile both servers on the list route. */
  profile?: boolean;
}

type Server = 'product' | 'baseline';
export interface RunRow {
  server: Server;
  route: string;
  connections: number;
  round: number;
  req_per_s: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  non2xx: number;
  errors: number;
  /** CPU spent per request by the API process and by PostgreSQL: what the numbers would be on an idle machine depends on these. */
  api_cpu_ms_per_req: number;
  pg_cpu_ms_per_req: number;
  /** Statements the app role ran per request, and their execution time (pg_stat_statements). */
  pg_statements_per_req: number;
  pg_exec_ms_per_req: number;
  loadavg_1m: number;
}
export interface CellRow {
  route: string;
  connections: number;
  product_req_s: number;
  baseline_req_s: number;
  req_s_ratio: number;
  product_p99_ms: number;
  baseline_p99_ms: number;
  p99_ratio: number;
  /** Min..max of the per-round ratios (round i of product against round i of baseline). */
  req_s_ratio_spread: string;
  p99_ratio_spread: string;
  product_api_cpu_ms: number;
  baseline_api_cpu_ms: number;
  product_pg_cpu_ms: number;
  baseline_pg_cpu_ms: number;
  product_stmts: number;
  baseline_stmts: number;
  goal_met: boolean;
}

type AutocannonResult = Awaited<ReturnType<typeof autocannon>>;
const run = async (opts: Parameters<typeof autocannon>[0]): Promise<AutocannonResult> => {
  const runner = new URL('./autocannon-runner.mjs', import.meta.url);
  const { stdout } = await promisify(execFile)(process.execPath, [runner.pathname, JSON.stringify(opts)], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as AutocannonResult;
};

/** CPU seconds used so far by the postmaster and its backends (Linux /proc; 0 elsewhere). */
function pgCpuSeconds(dataDir: string): number {
  try {
    const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const tick = 100; // USER_HZ on Linux
    let total = 0;
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const f = readFileSync(`/proc/${d}/stat`, 'utf8');
        const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
        const ppid = Number(fields[1]);
        if (Number(d) === postmaster || ppid === postmaster) total += (Number(fields[11]) + Number(fields[12])) / tick;
      } catch {
        /* process ended */
      }
    }
    return total;
  } catch {
    return 0;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r2 = (x: number) => Math.round(x * 100) / 100;

/** A body as both servers must agree on it: presigned URLs and request ids differ by nature. */
function comparable(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const b = structuredClone(body) as Record<string, unknown>;
  delete b.requestId;
  if (Array.isArray(b.variants))
    b.variants = (b.variants as Record<string, unknown>[]).map(({ url: _u, urlExpiresAt: _e, ...v }) => v);
  return b;
}

export async function benchApi(
  opts: BenchApiOptions = {},
): Promise<{ runs: RunRow[]; cells: CellRow[]; profiles?: Record<Server, ProfileSummary> }> {
  const duration = opts.durationSeconds ?? 10;
  const high = opts.connections ?? 100;
  const seeded = opts.seededRequests ?? 5000;
  const rounds = opts.rounds ?? 2;
  const poolMax = opts.poolMax ?? 20;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'svp-bench-api-'));
  chmodSync(tmp, 0o755); // initdb runs as the postgres OS user when we are root
  const pgDataDir = path.join(tmp, 'pg');
  const pg = await startLocalPostgres({ dataDir: pgDataDir, persistent: false, durable: false });
  const ownerUrl = pg.ownerUrl('svp_bench');
  const admin = postgres(pg.ownerUrl('postgres'), { max: 1, onnotice: () => {} });
  await admin.unsafe('CREATE DATABASE svp_bench');
  await admin.end();
  await runMigrations(ownerUrl, { appRolePassword: 'bench' });
  const appUrl = appUrlFrom(ownerUrl, 'bench');
  const s3 = await startLocalS3({ dir: path.join(tmp, 's3'), buckets: ['bench'] });
  const store = createObjectStore({ bucket: 'bench', endpoint: s3.endpoint });
  const appDb = connect(appUrl, { max: poolMax, appName: 'svp-bench' });
  provide('dbHandle', appDb);
  provide('store', store);
  provide('workflow', {
    start: async ({ requestId, run }) => ({ executionName: executionNameFor(requestId, run) }),
    stop: async () => {},
  });

  // ---- seed: one busy tenant (rate limit lifted), a brand, many requests with timelines ----------
  const owner = postgres(ownerUrl, { max: 2, onnotice: () => {} });
  const email = 'bench-owner@example.test';
  const [{ id: userId }] = await owner`select app.resolve_user(${subjectForEmail(email)}, ${email}, 'Bench') as id`;
  const [{ id: orgId }] =
    await owner`insert into organizations (name, slug, api_rate_limit_per_minute) values ('Bench', 'bench', 100000000) returning id`;
  await owner`insert into user_organizations (organization_id, user_id, role) values (${orgId}, ${userId}, 'owner')`;
  const [{ id: brandId }] =
    await owner`insert into brand_profiles (organization_id, name, colors, fonts) values (${orgId}, 'Bench brand',
    ${owner.json({ palette: [{ name: 'Ink', hex: '#111111', role: 'text' }], maxDeltaE: 20 })},
    ${owner.json({ headline: 'Inter', body: 'Inter', allowed: ['Inter'] })}) returning id`;
  await owner`
    insert into content_requests (organization_id, brand_id, requested_by, status, brief, image_spec, platforms, run, created_at)
    select ${orgId}, ${brandId}, ${userId},
      (array['queued','rendering','awaiting_approval','published','failed'])[1 + g % 5]::request_status,
      jsonb_build_object(
        'headline', 'Launch ' || g || ' ' || (array['espresso','latte','cold brew','mocha'])[1 + g % 4],
        'body', 'Body copy number ' || g),
      '{"source":"stock","query":"coffee"}'::jsonb, array['instagram_square','linkedin'], 1, now() - (g || ' seconds')::interval
    from generate_series(1, ${seeded}) g`;
  await owner`
    insert into request_steps (organization_id, request_id, run, step, status, finished_at, duration_ms)
    select r.organization_id, r.id, 1, s.step, 'succeeded', now(), 100
    from content_requests r cross join (values ('validate'), ('source'), ('compose'), ('check'), ('render')) s(step)`;
  const ids = (await owner`select id from content_requests order by created_at desc limit 50`).map(
    (r) => r.id as string,
  );
  // One request with every part of the detail body (image, sourcing, variant, approval, decision,
  // metered calls), so the equality check below covers every mapping, not only the timeline.
  const rich = ids[0];
  const [{ id: assetId }] =
    await owner`insert into generated_assets (organization_id, request_id, brand_id, aspect_group, covers, source, license,
      s3_key, content_type, width, height, bytes, sha256, compliance_score, compliance_decision)
    values (${orgId}, ${rich}, ${brandId}, 'square', array['square','wide'], 'stock',
      ${owner.json({ type: 'freepik', resourceId: '42' })}, 'masters/x.jpg', 'image/jpeg', 2000, 2000, 123456, 'abc', 91, 'pass')
    returning id`;
  await owner`insert into request_sourcing (organization_id, request_id, aspect_group, platforms, status, source, plan,
      generated_asset_id, candidates_considered, downloads, credits, cost_usd)
    values (${orgId}, ${rich}, 'square', array['instagram_square','linkedin'], 'sourced', 'stock',
      ${owner.json({ query: 'coffee' })}, ${assetId}, 12, 1, 1.5, 0.0125)`;
  await owner`insert into asset_variants (organization_id, request_id, generated_asset_id, platform, width, height, format,
      bytes, sha256, s3_key, compliance_score, compliance_decision, findings)
    values (${orgId}, ${rich}, ${assetId}, 'linkedin', 1200, 627, 'jpeg', 98765, 'def', ${`orgs/${orgId}/variants/linkedin.jpg`},
      88, 'pass', ${owner.json([{ rule: 'contrast', ok: true }])})`;
  const [{ id: approvalId }] =
    await owner`insert into content_approvals (organization_id, request_id, run, step_index, step_name, status, quorum,
      variant_checksums, due_at)
    values (${orgId}, ${rich}, 1, 0, 'Brand review', 'approved', ${owner.json({ kind: 'any' })},
      ${owner.json({ linkedin: 'def' })}, now() + interval '1 day') returning id`;
  await owner`insert into approval_decisions (organization_id, approval_id, approver_id, decision, comment)
    values (${orgId}, ${approvalId}, ${userId}, 'approve', 'Looks good')`;
  await owner`insert into api_usage (organization_id, request_id, provider, endpoint, method, outcome, latency_ms, credits, cost_usd)
    values (${orgId}, ${rich}, 'freepik', '/v1/resources', 'GET', 'success', 120, 0, 0),
      (${orgId}, ${rich}, 'freepik', '/v1/resources/42/download', 'GET', 'retryable_error', 80, 1.5, 0.0125)`;
  await owner`analyze`;

  const keysDir = path.join(tmp, 'keys');
  const auth = { keysDir, issuer: 'https://auth.bench.svp.dev', audience: 'svp-bench' };
  const product = await startApiServer({ auth });
  const baseline = await startBaselineServer({
    databaseUrl: appUrl,
    poolMax,
    jwksFile: jwksPath(keysDir),
    issuer: auth.issuer,
    audience: auth.audience,
    presign: (key, ttl) => store.presignGet(key, ttl),
  });
  const urls: Record<Server, string> = { product: product.url, baseline: baseline.url };
  const token = await issueLocalToken(auth, { email, ttl: 3600 });
  const headers = { authorization: `Bearer ${token}` };

  const routes: { name: string; requests: { method: 'GET'; path: string; headers: Record<string, string> }[] }[] = [
    {
      name: 'list (20/page)',
      requests: [{ method: 'GET', path: `/v1/orgs/${orgId}/content-requests?limit=20`, headers }],
    },
    {
      name: 'detail + timeline',
      requests: ids.map((id) => ({
        method: 'GET' as const,
        path: `/v1/orgs/${orgId}/content-requests/${id}`,
        headers,
      })),
    },
  ];
  const runs: RunRow[] = [];
  let profiles: Record<Server, ProfileSummary> | undefined;
  try {
    // ---- same answers, or no comparison -----------------------------------------------------------
    const outsider = await issueLocalToken(auth, { email: 'outsider@example.test', ttl: 3600 });
    const firstPage = (await (
      await fetch(`${product.url}/v1/orgs/${orgId}/content-requests?limit=20`, { headers })
    ).json()) as { nextCursor: string };
    const probes: [string, string, Record<string, string>][] = [
      ['list', `/v1/orgs/${orgId}/content-requests?limit=20`, headers],
      ['list, second page', `/v1/orgs/${orgId}/content-requests?limit=7&cursor=${firstPage.nextCursor}`, headers],
      ['detail, every part', `/v1/orgs/${orgId}/content-requests/${rich}`, headers],
      ['detail, timeline only', `/v1/orgs/${orgId}/content-requests/${ids[1]}`, headers],
      [
        'detail, no such request',
        `/v1/orgs/${orgId}/content-requests/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`,
        headers,
      ],
      ['no token', `/v1/orgs/${orgId}/content-requests`, {}],
      ['bad token', `/v1/orgs/${orgId}/content-requests`, { authorization: `Bearer ${token.slice(0, -4)}AAAA` }],
      ['not a member', `/v1/orgs/${orgId}/content-requests`, { authorization: `Bearer ${outsider}` }],
      ['org id not a uuid', '/v1/orgs/acme/content-requests', headers],
      ['unknown query parameter', `/v1/orgs/${orgId}/content-requests?sort=asc`, headers],
      ['limit out of range', `/v1/orgs/${orgId}/content-requests?limit=1000`, headers],
    ];
    const mismatches: string[] = [];
    for (const [name, p, h] of probes) {
      const [a, b] = await Promise.all(
        [product.url, baseline.url].map(async (base) => {
          const res = await fetch(base + p, { headers: h });
          return {
            status: res.status,
            type: res.headers.get('content-type'),
            cache: res.headers.get('cache-control'),
            body: (await res.json()) as Record<string, unknown>,
          };
        }),
      );
      const same =
        a.status === b.status &&
        a.type === b.type &&
        a.cache === b.cache &&
        (a.status === 200 ? isDeepStrictEqual(comparable(a.body), comparable(b.body)) : a.body.code === b.body.code);
      if (!same)
        mismatches.push(
          `${name}: product ${a.status} ${JSON.stringify(a.body).slice(0, 300)} | baseline ${b.status} ${JSON.stringify(b.body).slice(0, 300)}`,
        );
    }
    if (mismatches.length) throw new Error(`the baseline does not answer like the product:\n${mismatches.join('\n')}`);
    console.log(`baseline answers like the product on ${probes.length} probes (bodies, statuses, codes, headers)`);

    // ---- warm-up: JIT, pool connections, prepared statements, caches ------------------------------
    for (const s of ['product', 'baseline'] as Server[])
      for (const r of routes) {
        await run({ url: urls[s], connections: 10, duration: 3, requests: r.requests });
      }

    const stats = postgres(ownerUrl, { max: 1, onnotice: () => {} });
    const appStatements = async () => {
      const [row] =
        await stats`select coalesce(sum(calls), 0)::float8 as calls, coalesce(sum(total_exec_time), 0)::float8 as ms
        from pg_stat_statements where userid = 'svp_app'::regrole and dbid = (select oid from pg_database where datname = current_database())`;
      return { calls: Number(row.calls), ms: Number(row.ms) };
    };
    const measure = async (server: Server, route: (typeof routes)[number], connections: number, round: number) => {
      await run({ url: urls[server], connections: 10, duration: 1, requests: route.requests });
      await stats`select pg_stat_statements_reset()`;
      const cpu0 = process.cpuUsage();
      const pg0 = pgCpuSeconds(pgDataDir);
      const r = await run({ url: urls[server], connections, duration, requests: route.requests });
      const cpu = process.cpuUsage(cpu0);
      const pgCpu = pgCpuSeconds(pgDataDir) - pg0;
      const st = await appStatements();
      if (process.env.BENCH_PG_STATS) {
        console.log(
          `statements of ${server} ${route.name} @${connections} round ${round} (${r.requests.total} requests answered):`,
        );
        console.table(
          await stats`select calls, round(total_exec_time::numeric, 1) as total_ms, round(mean_exec_time::numeric, 3) as mean_ms,
            left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 110) as query
          from pg_stat_statements where userid = 'svp_app'::regrole order by calls desc, total_exec_time desc limit 14`,
        );
      }
      const total = Math.max(1, r.requests.total);
      const row: RunRow = {
        server,
        route: route.name,
        connections,
        round,
        req_per_s: Math.round(r.requests.average),
        p50_ms: r.latency.p50,
        p90_ms: r.latency.p90,
        p99_ms: r.latency.p99,
        max_ms: r.latency.max,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        api_cpu_ms_per_req: r2((cpu.user + cpu.system) / 1000 / total),
        pg_cpu_ms_per_req: r2((pgCpu * 1000) / total),
        pg_statements_per_req: r2(st.calls / total),
        pg_exec_ms_per_req: Math.round((st.ms / total) * 1000) / 1000,
        loadavg_1m: r2(os.loadavg()[0]),
      };
      runs.push(row);
      console.log(
        `${server.padEnd(8)} ${route.name.padEnd(18)} @${String(connections).padStart(3)} round ${round}: ${row.req_per_s} req/s, p99 ${row.p99_ms} ms, ` +
          `api ${row.api_cpu_ms_per_req} ms/req, pg ${row.pg_cpu_ms_per_req} ms/req, ${row.pg_statements_per_req} stmts/req (load ${row.loadavg_1m})`,
      );
    };

    const concurrencies = [high, ...(high !== 10 ? [10] : [])];
    for (const c of concurrencies)
      for (const route of routes)
        for (let i = 1; i <= rounds; i++) {
          await measure('product', route, c, i);
          await measure('baseline', route, c, i);
        }

    if (opts.profile) {
      profiles = {} as Record<Server, ProfileSummary>;
      for (const server of ['product', 'baseline'] as Server[]) {
        await run({ url: urls[server], connections: 10, duration: 1, requests: routes[0].requests });
        const profiler = await startProfiler();
        const r = await run({
          url: urls[server],
          connections: 10,
          duration: Math.min(duration, 5),
          requests: routes[0].requests,
        });
        const profile = await profiler.stop();
        const file = path.join(tmp, '..', `svp-bench-api-${server}-list.cpuprofile`);
        writeFileSync(file, JSON.stringify(profile));
        const s = summarizeProfile(profile, PROJECT_ROOT, 25);
        profiles[server] = s;
        const perReq = (ms: number) => r2(ms / Math.max(1, r.requests.total));
        console.log(`\n${server}: list route, 10 connections, ${r.requests.total} requests profiled (${file})`);
        console.table(s.byCategory.slice(0, 18).map((c) => ({ ...c, us_per_req: Math.round(perReq(c.ms) * 1000) })));
        console.table(s.topFunctions.map((f) => ({ ...f, us_per_req: Math.round(perReq(f.ms) * 1000) })));
      }
    }
    await stats.end();
  } finally {
    // Let autocannon's last in-flight requests finish before the database goes away.
    await product.close();
    await baseline.close();
    await appDb.close();
    await owner.end();
    await s3.close();
    await pg.stop().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }

  const cells: CellRow[] = [];
  for (const c of [...new Set(runs.map((r) => r.connections))])
    for (const route of routes) {
      const of = (s: Server) => runs.filter((r) => r.server === s && r.connections === c && r.route === route.name);
      const p = of('product');
      const b = of('baseline');
      const m = (rows: RunRow[], k: keyof RunRow) => median(rows.map((r) => r[k] as number));
      const pairs = p.map((x, i) => ({ rps: x.req_per_s / b[i].req_per_s, p99: x.p99_ms / b[i].p99_ms }));
      const spread = (xs: number[]) => `${r2(Math.min(...xs))}..${r2(Math.max(...xs))}`;
      const cell: CellRow = {
        route: route.name,
        connections: c,
        product_req_s: Math.round(m(p, 'req_per_s')),
        baseline_req_s: Math.round(m(b, 'req_per_s')),
        req_s_ratio: r2(m(p, 'req_per_s') / m(b, 'req_per_s')),
        product_p99_ms: m(p, 'p99_ms'),
        baseline_p99_ms: m(b, 'p99_ms'),
        p99_ratio: r2(m(p, 'p99_ms') / m(b, 'p99_ms')),
        req_s_ratio_spread: spread(pairs.map((x) => x.rps)),
        p99_ratio_spread: spread(pairs.map((x) => x.p99)),
        product_api_cpu_ms: r2(m(p, 'api_cpu_ms_per_req')),
        baseline_api_cpu_ms: r2(m(b, 'api_cpu_ms_per_req')),
        product_pg_cpu_ms: r2(m(p, 'pg_cpu_ms_per_req')),
        baseline_pg_cpu_ms: r2(m(b, 'pg_cpu_ms_per_req')),
        product_stmts: m(p, 'pg_statements_per_req'),
        baseline_stmts: m(b, 'pg_statements_per_req'),
        goal_met: false,
      };
      cell.goal_met =
        cell.req_s_ratio >= 0.9 &&
        cell.p99_ratio <= 1.15 &&
        [...p, ...b].every((r) => r.non2xx === 0 && r.errors === 0);
      cells.push(cell);
    }
  console.log(
    `\nproduct vs baseline (medians of ${rounds} alternating runs each, ${duration} s per run; spread = min..max of the per-round ratios)`,
  );
  console.table(
    cells.map((c) => ({
      route: c.route,
      conns: c.connections,
      'req/s prod': c.product_req_s,
      'req/s base': c.baseline_req_s,
      'req/s ratio': c.req_s_ratio,
      'ratio spread': c.req_s_ratio_spread,
      'p99 prod': c.product_p99_ms,
      'p99 base': c.baseline_p99_ms,
      'p99 ratio': c.p99_ratio,
      'p99 spread': c.p99_ratio_spread,
      'api cpu ms prod/base': `${c.product_api_cpu_ms} / ${c.baseline_api_cpu_ms}`,
      'pg cpu ms prod/base': `${c.product_pg_cpu_ms} / ${c.baseline_pg_cpu_ms}`,
      'stmts prod/base': `${c.product_stmts} / ${c.baseline_stmts}`,
    })),
  );
  const failures = runs.filter((r) => r.non2xx || r.errors);
  if (failures.length)
    console.log(
      `non-2xx or errors in ${failures.length} runs: ${failures
        .map((r) => `${r.server} ${r.route} @${r.connections}: ${r.non2xx} non-2xx, ${r.errors} errors`)
        .join('; ')}`,
    );
  const goalMet = cells.every((c) => c.goal_met);
  console.log(
    `goal (issue 18): product >= 0.9x the baseline's req/s and <= 1.15x its p99, every cell: ${goalMet ? 'met' : 'NOT met'}`,
  );
  console.log(`load average (1 min) at the end: ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} CPUs`);
  mkdirSync(path.join(PROJECT_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    path.join(PROJECT_ROOT, 'bench/results/api.json'),
    JSON.stringify(
      {
        at: new Date().toISOString(),
        durationSeconds: duration,
        rounds,
        seededRequests: seeded,
        poolMax,
        cpus: os.cpus().length,
        // Other work on the machine skews every number: keep the load next to the results.
        loadAverage1m: os.loadavg()[0],
        goal: { reqPerSecRatioAtLeast: 0.9, p99RatioAtMost: 1.15, met: goalMet },
        cells,
        runs,
        ...(profiles ? { profiles } : {}),
      },
      null,
      2,
    ),
  );
  return { runs, cells, profiles };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [d, c, n] = process.argv.slice(2).map(Number);
  await benchApi({
    durationSeconds: d || undefined,
    connections: c || undefined,
    seededRequests: n || undefined,
    rounds: Number(process.env.BENCH_ROUNDS) || undefined,
    profile: !!process.env.BENCH_API_PROFILE,
  });
  process.exit(0);
}
