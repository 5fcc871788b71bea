/**
 * The API under load, locally: a throw-away embedded PostgreSQL + s3rver, the local API server
 * (same route table, handlers, auth and RLS as in AWS), a seeded tenant with many content
 * requests, then autocannon at 100 connections against list and get of content requests.
 * Prints a table and writes bench/results/api.json (req/s, p50, p99; goal p99 < 50 ms).
 *
 *   npx tsx bench/api.ts [durationSeconds=10] [connections=100] [seededRequests=5000]
 *   BENCH_PG_STATS=1 ... also prints the top statements from pg_stat_statements.
 *
 * The load generator runs in its own process (bench/autocannon-runner.mjs), but on this 2-core
 * machine it still shares the CPUs with the server and PostgreSQL (and with whatever else runs),
 * so the table also reports CPU ms per request of the API process and of PostgreSQL: with C cores
 * free, throughput is bounded by about C * 1000 / (api + pg + load generator) requests/s.
 */
import '../local/workflow/polyfills.js';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type autocannon from 'autocannon';
import postgres from 'postgres';
import { appUrlFrom, runMigrations } from '../db/migrate.js';
import { connect } from '../functions/adapters/db/client.js';
import { startApiServer } from '../local/servers/api-server.js';
import { startLocalPostgres } from '../local/servers/embedded-postgres.js';
import { startLocalS3 } from '../local/servers/s3-server.js';
import { createObjectStore } from '../functions/adapters/storage/object-store.js';
import { executionNameFor } from '../functions/domain/ports.js';
import { issueLocalToken, subjectForEmail } from '../local/auth/local-issuer.js';
import { provide } from '../functions/shared/container.js';

export interface BenchApiOptions { durationSeconds?: number; connections?: number; seededRequests?: number; poolMax?: number }
export interface BenchRow {
  scenario: string; connections: number; req_per_s: number; p50_ms: number; p90_ms: number; p99_ms: number; max_ms: number; non2xx: number; errors: number;
  /** CPU spent per request by the API process and by PostgreSQL: what the numbers would be on an idle machine depends on these. */
  api_cpu_ms_per_req: number; pg_cpu_ms_per_req: number;
}

type AutocannonResult = Awaited<ReturnType<typeof autocannon>>;
const run = async (opts: Parameters<typeof autocannon>[0]): Promise<AutocannonResult> => {
  const runner = new URL('./autocannon-runner.mjs', import.meta.url);
  const { stdout } = await promisify(execFile)(process.execPath, [runner.pathname, JSON.stringify(opts)], { maxBuffer: 64 * 1024 * 1024 });
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
      } catch { /* process ended */ }
    }
    return total;
  } catch {
    return 0;
  }
}

export async function benchApi(opts: BenchApiOptions = {}): Promise<BenchRow[]> {
  const duration = opts.durationSeconds ?? 10;
  const connections = opts.connections ?? 100;
  const seeded = opts.seededRequests ?? 5000;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'svp-bench-api-'));
  chmodSync(tmp, 0o755); // initdb runs as the postgres OS user when we are root
  const pgDataDir = path.join(tmp, 'pg');
  const pg = await startLocalPostgres({ dataDir: pgDataDir, persistent: false, durable: false });
  const ownerUrl = pg.ownerUrl('svp_bench');
  const admin = postgres(pg.ownerUrl('postgres'), { max: 1, onnotice: () => {} });
  await admin.unsafe('CREATE DATABASE svp_bench');
  await admin.end();
  await runMigrations(ownerUrl, { appRolePassword: 'bench' });
  const s3 = await startLocalS3({ dir: path.join(tmp, 's3'), buckets: ['bench'] });
  const appDb = connect(appUrlFrom(ownerUrl, 'bench'), { max: opts.poolMax ?? 20, appName: 'svp-bench' });
  provide('dbHandle', appDb);
  provide('store', createObjectStore({ bucket: 'bench', endpoint: s3.endpoint }));
  provide('workflow', { start: async ({ requestId, run }) => ({ executionName: executionNameFor(requestId, run) }), stop: async () => {} });

  // ---- seed: one busy tenant (rate limit lifted), a brand, many requests with timelines ----------
  const owner = postgres(ownerUrl, { max: 2, onnotice: () => {} });
  const email = 'bench-owner@example.test';
  const [{ id: userId }] = await owner`select app.resolve_user(${subjectForEmail(email)}, ${email}, 'Bench') as id`;
  const [{ id: orgId }] = await owner`insert into organizations (name, slug, api_rate_limit_per_minute) values ('Bench', 'bench', 100000000) returning id`;
  await owner`insert into user_organizations (organization_id, user_id, role) values (${orgId}, ${userId}, 'owner')`;
  const [{ id: brandId }] = await owner`insert into brand_profiles (organization_id, name, colors, fonts) values (${orgId}, 'Bench brand',
    ${owner.json({ palette: [{ name: 'Ink', hex: '#111111', role: 'text' }], maxDeltaE: 20 })}, ${owner.json({ headline: 'Inter', body: 'Inter', allowed: ['Inter'] })}) returning id`;
  await owner`
    insert into content_requests (organization_id, brand_id, requested_by, status, brief, image_spec, platforms, run, created_at)
    select ${orgId}, ${brandId}, ${userId},
      (array['queued','rendering','awaiting_approval','published','failed'])[1 + g % 5]::request_status,
      jsonb_build_object('headline', 'Launch ' || g || ' ' || (array['espresso','latte','cold brew','mocha'])[1 + g % 4], 'body', 'Body copy number ' || g),
      '{"source":"stock","query":"coffee"}'::jsonb, array['instagram_square','linkedin'], 1, now() - (g || ' seconds')::interval
    from generate_series(1, ${seeded}) g`;
  await owner`
    insert into request_steps (organization_id, request_id, run, step, status, finished_at, duration_ms)
    select r.organization_id, r.id, 1, s.step, 'succeeded', now(), 100
    from content_requests r cross join (values ('validate'), ('source'), ('compose'), ('check'), ('render')) s(step)`;
  await owner`analyze`;
  const ids = (await owner`select id from content_requests order by created_at desc limit 50`).map((r) => r.id as string);
  await owner.end();

  const keysDir = path.join(tmp, 'keys');
  const auth = { keysDir, issuer: 'https://auth.bench.svp.dev', audience: 'svp-bench' };
  const server = await startApiServer({ auth });
  const token = await issueLocalToken(auth, { email, ttl: 3600 });
  const headers = { authorization: `Bearer ${token}` };

  const scenarios: { name: string; requests: { method: 'GET'; path: string; headers: Record<string, string> }[] }[] = [
    { name: 'GET list (20/page)', requests: [{ method: 'GET', path: `/v1/orgs/${orgId}/content-requests?limit=20`, headers }] },
    { name: 'GET one (detail + timeline)', requests: ids.map((id) => ({ method: 'GET' as const, path: `/v1/orgs/${orgId}/content-requests/${id}`, headers })) },
  ];
  const rows: BenchRow[] = [];
  try {
    // The goal's concurrency, then 10 connections: the same work with little queueing, which
    // separates what a request costs from how long it waits behind the others (Little's law).
    const passes = [{ c: connections, label: '' }, ...(connections > 10 ? [{ c: 10, label: ' @10 connections' }] : [])];
    for (const pass of passes) for (const s of scenarios) {
      // Warm-up: JIT, pool connections, caches.
      await run({ url: server.url, connections: 10, duration: 2, requests: s.requests });
      const cpu0 = process.cpuUsage();
      const pg0 = pgCpuSeconds(pgDataDir);
      const r = await run({ url: server.url, connections: pass.c, duration, requests: s.requests });
      const cpu = process.cpuUsage(cpu0);
      const pgCpu = pgCpuSeconds(pgDataDir) - pg0;
      const total = Math.max(1, r.requests.total);
      rows.push({
        scenario: s.name + pass.label, connections: pass.c,
        req_per_s: Math.round(r.requests.average),
        p50_ms: r.latency.p50,
        p90_ms: r.latency.p90,
        p99_ms: r.latency.p99,
        max_ms: r.latency.max,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        api_cpu_ms_per_req: Math.round(((cpu.user + cpu.system) / 1000 / total) * 100) / 100,
        pg_cpu_ms_per_req: Math.round(((pgCpu * 1000) / total) * 100) / 100,
      });
    }
    if (process.env.BENCH_PG_STATS) {
      const o = postgres(ownerUrl, { max: 1, onnotice: () => {} });
      const top = await o`select calls, round(total_exec_time::numeric, 1) as total_ms, round(mean_exec_time::numeric, 3) as mean_ms, left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 140) as query
        from pg_stat_statements order by total_exec_time desc limit 14`;
      console.table(top);
      await o.end();
    }
  } finally {
    // Let autocannon's last in-flight requests finish before the database goes away.
    await server.close();
    await appDb.close();
    await s3.close();
    await pg.stop().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
  console.table(rows);
  console.log(`load average (1 min) during the run: ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} CPUs`);
  const goal = rows.filter((r) => r.connections === connections).every((r) => r.p99_ms < 50 && r.non2xx === 0 && r.errors === 0);
  console.log(`goal p99 < 50 ms at ${connections} connections: ${goal ? 'met' : 'NOT met'}`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/api.json', JSON.stringify({
    at: new Date().toISOString(), connections, durationSeconds: duration, seededRequests: seeded, cpus: os.cpus().length,
    // Other work on the machine skews every number: keep the load next to the results.
    loadAverage1m: os.loadavg()[0], goalP99Ms: 50, goalMet: goal, rows,
  }, null, 2));
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const [d, c, n] = process.argv.slice(2).map(Number);
  await benchApi({ durationSeconds: d || undefined, connections: c || undefined, seededRequests: n || undefined });
  process.exit(0);
}
