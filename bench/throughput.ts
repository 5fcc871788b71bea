/**
 * Pipeline throughput: N content requests (default 1,000) POSTed at once to the local stack
 * `npm start` runs (HTTP API -> local Step Functions runner executing the synthesized definition
 * -> the real task handlers -> PostgreSQL, s3rver, sharp), the Freepik emulator answering with
 * realistic latency (150-400 ms) and an occasional 429/503 (seeded), then waits until every
 * request rests (waiting for approval, or final). Checks what must hold at any load:
 *  - none lost: one row per accepted POST, and every row settled;
 *  - none duplicated: unique ids, one execution per request, one image per request, one variant
 *    per platform (clients retry the POST with the same Idempotency-Key on errors);
 *  - no Freepik download paid twice (api_usage metering vs. the emulator's own call log).
 * Reports wall time, requests/s, p50/p95 from POST to the approval wait (overall, and for the
 * first and last tenth submitted: the runner admits executions through a bounded queue, so the
 * head of a burst keeps moving), where the time went (per state, CPU of this process and of the
 * machine, DB pool occupancy, event-loop delay), memory, and names the bottleneck.
 *
 * Then the stack is restarted with every request still waiting for approval: start-up time
 * (stack ready + every execution resumed), and that the restart changed nothing a user sees
 * (no timeline row, run, email or status).
 *
 *   npx tsx bench/throughput.ts [n=1000]           (or: npm run bench -- throughput)
 *   LOCAL_WORKFLOW_CONCURRENCY=<k>                 executions in flight (default: the stack's)
 *
 * Prints a table and writes bench/results/throughput.json. The same function runs scaled down
 * (40 requests) in test/integration/proof/throughput.test.ts, asserting the invariants only.
 */
import '../local/workflow/polyfills.js';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../local/stack/stack.js';
import { benchStackOptions } from './bench-stack.js';
import type { WorkflowEvent } from '../local/workflow/local-runner.js';
import type { PlatformName } from '../functions/domain/platforms.js';
import { aspectGroups } from '../functions/domain/sourcing-plan.js';
import { requestStatuses } from '../functions/domain/request-status.js';

export interface BenchThroughputOptions {
  /** Requests submitted at once (default 1000). */
  n?: number;
  platforms?: string[];
  /** Emulator latency: base + seeded uniform jitter (default 150 + 0..250 ms). */
  latencyMs?: number;
  latencyJitterMs?: number;
  /** Seeded random 429 / 503 rates on Freepik API calls (default 2% / 1%). */
  rate429?: number;
  rate503?: number;
  seed?: number;
  /** Give up waiting after this long (default max(5 min, n x 3 s)). */
  timeoutMs?: number;
  /** Replace the state machine's retry pauses (tests); default: the definition's real backoff. */
  retryDelayMs?: number;
  /** Extra local-stack options (tests pass their database). */
  stack?: Partial<LocalStackOptions>;
  /** POSTs repeated afterwards with the same Idempotency-Key (default 10): must not create requests. */
  replays?: number;
  /** Restart the stack afterwards and measure resuming the waiting requests (default true). */
  restart?: boolean;
  /**
   * Requests waiting for approval at the restart (default n): when compliance rejected some of
   * the burst, copies of briefs that reached approval are submitted first to make up the number.
   */
  restartWaiting?: number;
  /** Write bench/results/throughput.json (default true). */
  write?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** How many, and the median and 95th percentile of their milliseconds. */
export interface Spread {
  n: number;
  p50Ms: number;
  p95Ms: number;
}

export interface BenchThroughputResult {
  at: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGb: number;
    node: string;
    postgres: string;
    loadAverage1mAtStart: number;
  };
  settings: {
    n: number;
    platforms: string[];
    latencyMs: string;
    rate429: number;
    rate503: number;
    retryDelayMs: number | 'definition';
    dbPoolMax: number;
    freepikRatePerSecond: number;
    executionsInFlight: number | 'unbounded';
  };
  /** Seconds from the first POST until the last request rested. */
  wallSeconds: number;
  requestsPerSecond: number;
  submit: { accepted: number; refused: number; retriedPosts: number; p50Ms: number; p95Ms: number; seconds: number };
  toApprovalWait: Spread & {
    maxMs: number;
    /** The first and the last tenth of the burst, in the order the API accepted them (those that reached a wait). */
    firstTenth: Spread;
    lastTenth: Spread;
    /** When the first request of the burst reached its wait. */
    firstMs: number;
  };
  outcomes: Record<string, number>;
  failureReasons: Record<string, number>;
  invariants: {
    rows: number;
    lost: number;
    duplicated: number;
    unsettled: number;
    executionsPerRequestMax: number;
    /** Requests holding more sourced images than layout groups (an image bought twice). */
    imagesBeyondGroups: number;
    variantsMissing: number;
    downloadsPaidTwice: number;
    meteredDownloads: number;
    emulatorDownloads: number;
    emulatorCalls: number;
    injected429: number;
    injected503: number;
    stateRetries: number;
  };
  /** Sum of time spent in each Task state over all requests (where the time went), and p50 per state. */
  states: Array<{ state: string; count: number; p50Ms: number; p95Ms: number; totalSeconds: number }>;
  resources: {
    nodeCpuPercentOfOneCore: number;
    machineCpuBusyPercent: number;
    postgresCpuSeconds: number;
    dbPoolActiveAvg: number;
    dbPoolActiveMax: number;
    dbPoolMax: number;
    eventLoopDelayP99Ms: number;
    peakRssMb: number;
    /** Once everything rested: RSS, JS heap, and the executions the runner still holds whole (finished ones are pruned). */
    settledRssMb: number;
    settledHeapMb: number;
    executionsHeld: number;
  };
  /** The stack restarted with the burst waiting for approval. */
  restart?: {
    waiting: number;
    /** Submitted after the burst to bring the waiting requests up to the target. */
    toppedUp: number;
    /** From calling startLocalStack until it returned: PostgreSQL, migrations check, S3, API, and every execution resumed. */
    startupMs: number;
    resumeMs: number;
    resumedWaiting: number;
    resumedWorking: number;
    redriven: number;
    failed: number;
    /** Tokens the broker holds again (one per waiting request). */
    pendingTokens: number;
    /** What a user would see change (all must be 0). */
    timelineRowsChanged: number;
    runsChanged: number;
    outboxRowsChanged: number;
    statusesChanged: number;
    rssMb: number;
  };
  bottleneck: string;
  ok: boolean;
}

// From awaiting_approval on, the pipeline's paid work for the run is done.
const SETTLED = new Set<string>(requestStatuses.slice(requestStatuses.indexOf('awaiting_approval')));
const PAID_DOWNLOAD = 'GET /v1/resources/{id}/download';

const pct = (xs: number[], p: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]);
};
const spread = (xs: number[]): Spread => ({ n: xs.length, p50Ms: pct(xs, 50), p95Ms: pct(xs, 95) });
const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

/** Busy and total jiffies of the whole machine (Linux /proc/stat). */
function machineCpu(): { busy: number; total: number } {
  try {
    const [line] = readFileSync('/proc/stat', 'utf8').split('\n');
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** CPU seconds used so far by the PostgreSQL server processes (postmaster + backends, Linux). */
function postgresCpuSeconds(postmasterPid: number | undefined): number {
  if (!postmasterPid) return 0;
  const hz = 100;
  let ticks = 0;
  try {
    // Children of the postmaster (backends, walwriter...) plus the postmaster itself.
    const children = readFileSync(`/proc/${postmasterPid}/task/${postmasterPid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    for (const pid of [postmasterPid, ...children]) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]); // utime stime cutime cstime
      } catch {
        /* exited */
      }
    }
  } catch {
    /* not Linux, or not ours */
  }
  return ticks / hz;
}

export async function benchThroughput(opts: BenchThroughputOptions = {}): Promise<BenchThroughputResult> {
  const n = opts.n ?? 1000;
  const platforms = opts.platforms ?? ['instagram_square', 'facebook', 'instagram_story'];
  const latencyMs = opts.latencyMs ?? 150;
  const latencyJitterMs = opts.latencyJitterMs ?? 250;
  const rate429 = opts.rate429 ?? 0.02;
  const rate503 = opts.rate503 ?? 0.01;
  const timeoutMs = opts.timeoutMs ?? Math.max(300_000, n * 3000);
  const log = opts.log ?? (() => {});
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'svp-bench-throughput-'));
  chmodSync(dataDir, 0o755); // initdb runs as the postgres OS user when we are root
  const loadAtStart = os.loadavg()[0];

  // requestId -> the moment its POST was sent; -> the moment it first waited for approval.
  const postedAt = new Map<string, number>();
  const waitingAt = new Map<string, number>();
  const executionsStarted = new Map<string, number>();
  /** requestId -> when its execution was started (the API accepted it): the order the burst queues in. */
  const startedAtById = new Map<string, number>();
  let stateRetries = 0;
  const entered = new Map<string, number>();
  const stateMs = new Map<string, number[]>();
  const onEvent = (e: WorkflowEvent) => {
    if (e.type === 'execution_started') {
      executionsStarted.set(e.requestId, (executionsStarted.get(e.requestId) ?? 0) + 1);
      if (!startedAtById.has(e.requestId)) startedAtById.set(e.requestId, e.at);
    } else if (e.type === 'waiting_for_token') {
      if (!waitingAt.has(e.requestId)) waitingAt.set(e.requestId, e.at);
    } else if (e.type === 'state_retried') stateRetries++;
    else if (e.type === 'state_entered' && e.stateType === 'Task')
      entered.set(`${e.executionName}|${e.state}|${e.mapIndex ?? ''}`, e.at);
    else if (e.type === 'state_exited' && e.stateType === 'Task') {
      const k = `${e.executionName}|${e.state}|${e.mapIndex ?? ''}`;
      const t0 = entered.get(k);
      if (t0 !== undefined) {
        entered.delete(k);
        let arr = stateMs.get(e.state);
        if (!arr) stateMs.set(e.state, (arr = []));
        arr.push(e.at - t0);
      }
    }
  };

  // No demo requests (benchStackOptions): its invariants count every content request, and the
  // seed's demo requests are not part of the burst.
  const stackOptions = benchStackOptions(dataDir, {
    onWorkflowEvent: onEvent,
    retryDelayMs: opts.retryDelayMs,
    ...opts.stack,
  });
  let stack: LocalStack = await startLocalStack(stackOptions);
  let owner = postgres(stack.ownerUrl, { max: 2, onnotice: () => {} });
  const elDelay = monitorEventLoopDelay({ resolution: 20 });
  try {
    const acme = stack.seed.orgs.find((o) => o.slug === 'acme-coffee')!;
    // One tenant submitting N at once would (by design) hit its API rate limit: lift it for the run.
    await owner`UPDATE organizations SET api_rate_limit_per_minute = 10000000 WHERE id = ${acme.id}`;
    const [{ version }] = await owner<{ version: string }[]>`SELECT current_setting('server_version') AS version`;
    const [{ pid: postmasterPid }] = await owner<
      { pid: number }[]
    >`SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'`
      .then(async (rows) => {
        // The postmaster is the parent of any backend.
        const ppid = rows[0]
          ? Number(readFileSync(`/proc/${rows[0].pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1])
          : undefined;
        return [{ pid: ppid ?? 0 }];
      })
      .catch(() => [{ pid: 0 }]);
    const token = await stack.mintToken('creator@acme.test', { ttl: 6 * 3600 });
    const emulator = stack.freepik.emulator!;
    emulator.setFaults({
      latencyMs,
      latencyJitterMs,
      random: { seed: opts.seed ?? 42, rate429, rate503, retryAfter: '1' },
    });

    // ---- sampling: DB pool occupancy, machine CPU ------------------------------------------------
    const poolMax = Number(process.env.DB_POOL_MAX ?? 10);
    const poolSamples: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          const [{ active }] = await owner<{ active: number }[]>`
            SELECT count(*)::int AS active FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'svp-local' AND state <> 'idle'`;
          poolSamples.push(active);
        } catch {
          /* sampling is best effort */
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();

    // ---- submit everything at once -----------------------------------------------------------------
    const cpu0 = process.cpuUsage();
    const m0 = machineCpu();
    const pg0 = postgresCpuSeconds(postmasterPid);
    elDelay.enable();
    let peakRss = process.memoryUsage().rss;
    const rssTimer = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 1000);
    rssTimer.unref();
    const started = performance.now();
    const startedEpoch = Date.now();
    let retriedPosts = 0;
    const postMs: number[] = [];
    const ids: string[] = [];
    let refused = 0;
    const refusals: Record<string, number> = {};
    const sent: Array<{ key: string; body: string; id?: string }> = [];
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const key = `bench-${startedEpoch}-${i}`;
        const body = JSON.stringify({
          brandId: acme.brandId,
          brief: {
            headline: `Slow mornings, fresh roasts #${i}`,
            body: 'Our new single origin is in. Offer valid at participating stores only.',
            callToAction: 'Visit us today',
            hashtags: ['#AcmeCoffee'],
          },
          image: { source: 'stock', query: `latte art ${i % 25}` },
          platforms,
        });
        sent[i] = { key, body };
        const sentAt = Date.now();
        const t0 = performance.now();
        for (let attempt = 1; ; attempt++) {
          let status = 0;
          let text = '';
          try {
            const res = await fetch(`${stack.apiUrl}/v1/orgs/${acme.id}/content-requests`, {
              method: 'POST',
              body,
              signal: AbortSignal.timeout(120_000),
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
            });
            status = res.status;
            text = await res.text();
          } catch (e) {
            text = (e as Error).message;
          }
          if (status === 202 || status === 200) {
            const { id } = JSON.parse(text) as { id: string };
            ids.push(id);
            sent[i].id = id;
            if (!postedAt.has(id)) postedAt.set(id, sentAt);
            postMs.push(performance.now() - t0);
            return;
          }
          // A client retries network errors, 429 and 5xx with the same key: it must not duplicate.
          if (attempt < 4 && (status === 0 || status === 429 || status >= 500)) {
            retriedPosts++;
            await new Promise((r) => setTimeout(r, 500 * attempt));
            continue;
          }
          refused++;
          const k = `${status} ${text.slice(0, 120)}`;
          refusals[k] = (refusals[k] ?? 0) + 1;
          return;
        }
      }),
    );
    const submitSeconds = (performance.now() - started) / 1000;
    // Clients that lost the answer send the same POST again: same key -> the same request, no new one.
    let replayMismatches = 0;
    for (const i of Array.from({ length: Math.min(opts.replays ?? 10, n) }, (_, k) => k)) {
      const { key, body, id } = sent[i] ?? {};
      if (!key || !id) continue;
      const res = await fetch(`${stack.apiUrl}/v1/orgs/${acme.id}/content-requests`, {
        method: 'POST',
        body,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
      });
      const again = (await res.json().catch(() => ({}))) as { id?: string };
      if (again.id !== id) replayMismatches++;
    }
    log(`submitted ${ids.length}/${n} in ${round(submitSeconds)} s (${refused} refused, ${retriedPosts} POST retries)`);

    // ---- wait until every request rests ------------------------------------------------------------
    const deadline = Date.now() + timeoutMs;
    let counts: Record<string, number> = {};
    let lastLog = 0;
    for (;;) {
      const rows = await owner<
        { status: string; n: number }[]
      >`SELECT status::text AS status, count(*)::int AS n FROM content_requests GROUP BY 1`;
      counts = Object.fromEntries(rows.map((r) => [r.status, r.n]));
      const settled = rows.filter((r) => SETTLED.has(r.status)).reduce((a, r) => a + r.n, 0);
      const total = rows.reduce((a, r) => a + r.n, 0);
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        log(`${round((performance.now() - started) / 1000)} s: ${settled}/${total} settled ${JSON.stringify(counts)}`);
      }
      if (settled >= ids.length && total >= ids.length) break;
      if (Date.now() > deadline) {
        log(`gave up after ${timeoutMs} ms`);
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const lastSettled = await owner<{ t: Date | null }[]>`SELECT max(updated_at) AS t FROM content_requests`;
    const wallSeconds = Math.max(submitSeconds, ((lastSettled[0]?.t?.getTime() ?? Date.now()) - startedEpoch) / 1000);
    const cpu = process.cpuUsage(cpu0);
    const m1 = machineCpu();
    const pgCpu = postgresCpuSeconds(postmasterPid) - pg0;
    elDelay.disable();
    clearInterval(rssTimer);
    sampling = false;
    await sampler;

    // ---- invariants ----------------------------------------------------------------------------------
    const [rowsInfo] = await owner<
      { rows: number; distinct_ids: number }[]
    >`SELECT count(*)::int AS rows, count(DISTINCT id)::int AS distinct_ids FROM content_requests`;
    const uniqueAccepted = new Set(ids).size;
    const rowIds = new Set((await owner<{ id: string }[]>`SELECT id FROM content_requests`).map((r) => r.id));
    const lost = [...new Set(ids)].filter((id) => !rowIds.has(id)).length;
    // Duplicates: more rows than accepted requests (a retried POST creating a second request),
    // two executions of one run, two images or two variants of one platform for one request.
    const duplicated = Math.max(0, rowsInfo.rows - uniqueAccepted) + (ids.length - uniqueAccepted) + replayMismatches;
    // One image per layout group at most (a request sources one per group that needs its own).
    const perRequest = await owner<{ platforms: string[]; images: number; metered: number; recorded: number }[]>`
      SELECT r.platforms,
        (SELECT count(*) FROM generated_assets g WHERE g.request_id = r.id)::int AS images,
        (SELECT count(*) FROM api_usage u WHERE u.request_id = r.id AND u.outcome = 'success' AND u.endpoint = ${PAID_DOWNLOAD})::int AS metered,
        (SELECT coalesce(sum(s.downloads), 0) FROM request_sourcing s WHERE s.request_id = r.id)::int AS recorded
      FROM content_requests r`;
    const imagesBeyondGroups = perRequest.filter(
      (r) => r.images > aspectGroups(r.platforms as PlatformName[]).length,
    ).length;
    const [variantsMissing] = await owner<{ n: number }[]>`
      SELECT count(*)::int AS n FROM content_requests r
      WHERE r.status = 'awaiting_approval'
        AND (SELECT count(DISTINCT platform) FROM asset_variants v WHERE v.request_id = r.id) <> cardinality(r.platforms)`;
    // Paid twice: more downloads metered for a request than its sourcing decided on (a retry or
    // re-drive that bought again what an earlier attempt had bought).
    const paidTwice = { n: perRequest.filter((r) => r.metered > r.recorded).length };
    const [metered] = await owner<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM api_usage WHERE outcome = 'success' AND endpoint = ${PAID_DOWNLOAD}`;
    const calls = emulator.calls();
    const emulatorDownloads = calls.filter((c) => c.endpoint === PAID_DOWNLOAD && c.status === 200).length;
    const failures = await owner<{ reason: string; n: number }[]>`
      SELECT coalesce(failure->>'state', '?') || ': ' || coalesce(failure->>'code', '?')
          || ' (' || left(coalesce(failure->>'message', ''), 100) || ')' AS reason,
        count(*)::int AS n
      FROM content_requests WHERE status = 'failed' GROUP BY 1 ORDER BY 2 DESC`;
    const unsettled = Object.entries(counts)
      .filter(([s]) => !SETTLED.has(s))
      .reduce((a, [, v]) => a + v, 0);

    const toWait = [...waitingAt].filter(([id]) => postedAt.has(id)).map(([id, at]) => at - postedAt.get(id)!);
    // In the order the API accepted them (the order they queue in; POSTs sent at once land in any order).
    const tenth = Math.max(1, Math.round(n / 10));
    const accepted = [...startedAtById]
      .filter(([id]) => postedAt.has(id))
      .sort((a, b) => a[1] - b[1])
      .map(([id]) => id);
    const waitOf = (xs: string[]) =>
      xs.filter((id) => waitingAt.has(id)).map((id) => waitingAt.get(id)! - postedAt.get(id)!);
    const firstTenth = waitOf(accepted.slice(0, tenth));
    const lastTenth = waitOf(accepted.slice(-tenth));
    const settledMem = process.memoryUsage();
    const limit = stack.runner.occupancy().limit;
    const states = [...stateMs]
      .map(([state, xs]) => ({
        state,
        count: xs.length,
        p50Ms: pct(xs, 50),
        p95Ms: pct(xs, 95),
        totalSeconds: round(xs.reduce((a, b) => a + b, 0) / 1000),
      }))
      .sort((a, b) => b.totalSeconds - a.totalSeconds);

    const cores = os.availableParallelism();
    const nodeCpuPct = round(((cpu.user + cpu.system) / 1e6 / wallSeconds) * 100);
    const machineBusyPct = m1.total > m0.total ? round(((m1.busy - m0.busy) / (m1.total - m0.total)) * 100) : 0;
    const poolAvg = poolSamples.length ? round(poolSamples.reduce((a, b) => a + b, 0) / poolSamples.length) : 0;
    const poolPeak = poolSamples.length ? Math.max(...poolSamples) : 0;
    const elP99 = round(elDelay.percentile(99) / 1e6);

    const why: string[] = [];
    if (machineBusyPct >= 85) why.push(`the CPU: the machine was ${machineBusyPct}% busy across ${cores} cores`);
    if (nodeCpuPct >= 85)
      why.push(
        `this Node process used ${nodeCpuPct}% of a core (API, runner and every task handler share its one JS thread; ` +
          `sharp's work runs on libuv's 4 threads); event-loop delay p99 ${elP99} ms`,
      );
    if (pgCpu / wallSeconds >= 0.5) why.push(`PostgreSQL used ${round((pgCpu / wallSeconds) * 100)}% of a core`);
    if (poolAvg >= poolMax * 0.8) why.push(`the DB pool: ${poolAvg} of ${poolMax} connections busy on average`);
    const heaviest = states[0];
    if (heaviest)
      why.push(
        `most handler time went to "${heaviest.state}" (${heaviest.totalSeconds} s in total, p50 ${heaviest.p50Ms} ms)`,
      );
    const bottleneck = why.length ? why.join('; ') : 'none found';

    const result: BenchThroughputResult = {
      at: new Date().toISOString(),
      machine: {
        cpus: cores,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGb: round(os.totalmem() / 2 ** 30),
        node: process.version,
        postgres: version,
        loadAverage1mAtStart: round(loadAtStart, 2),
      },
      settings: {
        n,
        platforms,
        latencyMs: `${latencyMs}-${latencyMs + latencyJitterMs}`,
        rate429,
        rate503,
        retryDelayMs: opts.retryDelayMs ?? 'definition',
        dbPoolMax: poolMax,
        freepikRatePerSecond: Number(process.env.FREEPIK_RATE_PER_SECOND ?? 10),
        executionsInFlight: Number.isFinite(limit) && limit < 100_000 ? limit : 'unbounded',
      },
      wallSeconds: round(wallSeconds),
      requestsPerSecond: round(uniqueAccepted / wallSeconds, 2),
      submit: {
        accepted: uniqueAccepted,
        refused,
        retriedPosts,
        p50Ms: pct(postMs, 50),
        p95Ms: pct(postMs, 95),
        seconds: round(submitSeconds),
      },
      toApprovalWait: {
        ...spread(toWait),
        maxMs: toWait.length ? Math.max(...toWait) : 0,
        firstTenth: spread(firstTenth),
        lastTenth: spread(lastTenth),
        firstMs: toWait.length ? Math.min(...toWait) : 0,
      },
      outcomes: counts,
      failureReasons: {
        ...Object.fromEntries(failures.map((f) => [f.reason, f.n])),
        ...Object.fromEntries(Object.entries(refusals).map(([k, v]) => [`POST refused: ${k}`, v])),
      },
      invariants: {
        rows: rowsInfo.rows,
        lost,
        duplicated,
        unsettled,
        executionsPerRequestMax: executionsStarted.size ? Math.max(...executionsStarted.values()) : 0,
        imagesBeyondGroups,
        variantsMissing: variantsMissing.n,
        downloadsPaidTwice: paidTwice.n,
        meteredDownloads: metered.n,
        emulatorDownloads,
        emulatorCalls: calls.length,
        injected429: calls.filter((c) => c.status === 429).length,
        injected503: calls.filter((c) => c.status === 503).length,
        stateRetries,
      },
      states,
      resources: {
        nodeCpuPercentOfOneCore: nodeCpuPct,
        machineCpuBusyPercent: machineBusyPct,
        postgresCpuSeconds: round(pgCpu),
        dbPoolActiveAvg: poolAvg,
        dbPoolActiveMax: poolPeak,
        dbPoolMax: poolMax,
        eventLoopDelayP99Ms: elP99,
        peakRssMb: Math.round(peakRss / 2 ** 20),
        settledRssMb: Math.round(settledMem.rss / 2 ** 20),
        settledHeapMb: Math.round(settledMem.heapUsed / 2 ** 20),
        executionsHeld: stack.runner.list().length,
      },
      bottleneck,
      ok: false,
    };
    result.ok =
      lost === 0 &&
      duplicated === 0 &&
      unsettled === 0 &&
      refused === 0 &&
      result.invariants.downloadsPaidTwice === 0 &&
      result.invariants.executionsPerRequestMax <= 1 &&
      result.invariants.imagesBeyondGroups === 0 &&
      result.invariants.variantsMissing === 0 &&
      metered.n === emulatorDownloads;

    // ---- restart with the burst waiting ------------------------------------------------------------
    if (opts.restart ?? true) {
      const seen = async () => {
        const [x] = await owner<{ steps: number; runs: number; outbox: number; statuses: string }[]>`
          SELECT (SELECT count(*)::int FROM request_steps) AS steps, (SELECT coalesce(sum(run), 0)::int FROM content_requests) AS runs,
                 (SELECT count(*)::int FROM outbox) AS outbox,
                 (SELECT string_agg(id::text || ':' || status::text || ':' || updated_at::text, ',' ORDER BY id) FROM content_requests) AS statuses`;
        return x;
      };
      const target = Math.min(opts.restartWaiting ?? n, n * 2);
      let toppedUp = 0;
      const passing = sent.filter((x) => x?.id && waitingAt.has(x.id));
      for (let round = 0; round < 3 && passing.length && (counts.awaiting_approval ?? 0) < target; round++) {
        const need = target - (counts.awaiting_approval ?? 0);
        log(`topping up: ${need} more requests so that ${target} wait at the restart`);
        await Promise.all(
          Array.from({ length: need }, async (_, i) => {
            for (let attempt = 1; attempt <= 4; attempt++) {
              const res = await fetch(`${stack.apiUrl}/v1/orgs/${acme.id}/content-requests`, {
                method: 'POST',
                body: passing[i % passing.length].body,
                headers: {
                  authorization: `Bearer ${token}`,
                  'content-type': 'application/json',
                  'idempotency-key': `bench-topup-${startedEpoch}-${round}-${i}`,
                },
              }).catch(() => undefined);
              await res?.text();
              if (res && res.status < 300) return;
              await new Promise((r) => setTimeout(r, 500 * attempt));
            }
          }),
        );
        toppedUp += need;
        for (const until = Date.now() + timeoutMs; ; ) {
          const rows = await owner<
            { status: string; n: number }[]
          >`SELECT status::text AS status, count(*)::int AS n FROM content_requests GROUP BY 1`;
          counts = Object.fromEntries(rows.map((r) => [r.status, r.n]));
          if (rows.every((r) => SETTLED.has(r.status)) || Date.now() > until) break;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      const before = await seen();
      const waiting = counts.awaiting_approval ?? 0;
      await owner.end({ timeout: 5 });
      await stack.stop();
      log(`restarting with ${waiting} requests waiting for approval`);
      const t0 = performance.now();
      stack = await startLocalStack(stackOptions);
      const startupMs = Math.round(performance.now() - t0);
      owner = postgres(stack.ownerUrl, { max: 2, onnotice: () => {} });
      const after = await seen();
      const rec = stack.recovery;
      result.restart = {
        waiting,
        toppedUp,
        startupMs,
        resumeMs: rec.ms,
        resumedWaiting: rec.resumed.filter((r) => r.waiting).length,
        resumedWorking: rec.resumed.filter((r) => !r.waiting).length,
        redriven: rec.redriven.length,
        failed: rec.failed.length,
        pendingTokens: stack.broker.pending().length,
        timelineRowsChanged: Math.abs(after.steps - before.steps),
        runsChanged: Math.abs(after.runs - before.runs),
        outboxRowsChanged: Math.abs(after.outbox - before.outbox),
        statusesChanged: before.statuses === after.statuses ? 0 : 1,
        rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
      };
      log(`restarted in ${startupMs} ms (resume ${rec.ms} ms): ${result.restart.resumedWaiting} waiting again`);
      const r = result.restart;
      result.ok &&=
        r.resumedWaiting === waiting &&
        r.pendingTokens === waiting &&
        r.redriven === 0 &&
        r.failed === 0 &&
        r.timelineRowsChanged === 0 &&
        r.runsChanged === 0 &&
        r.outboxRowsChanged === 0 &&
        r.statusesChanged === 0;
    }
    if (opts.write ?? true) {
      mkdirSync('bench/results', { recursive: true });
      writeFileSync('bench/results/throughput.json', `${JSON.stringify(result, null, 2)}\n`);
    }
    return result;
  } finally {
    elDelay.disable();
    await owner.end({ timeout: 5 }).catch(() => {});
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function printThroughput(r: BenchThroughputResult): void {
  console.log(
    `Throughput: ${r.settings.n} requests x ${r.settings.platforms.length} platforms at once; ` +
      `Freepik emulator ${r.settings.latencyMs} ms, ${r.settings.rate429 * 100}% 429 / ${r.settings.rate503 * 100}% 503; ` +
      `executions in flight: ${r.settings.executionsInFlight}`,
  );
  console.log(
    `machine: ${r.machine.cpus} x ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node}, ` +
      `PostgreSQL ${r.machine.postgres}, load average ${r.machine.loadAverage1mAtStart} at start`,
  );
  console.table([
    {
      requests: r.submit.accepted,
      wall_s: r.wallSeconds,
      req_per_s: r.requestsPerSecond,
      submit_s: r.submit.seconds,
      post_p95_ms: r.submit.p95Ms,
      to_wait_p50_ms: r.toApprovalWait.p50Ms,
      to_wait_p95_ms: r.toApprovalWait.p95Ms,
    },
  ]);
  const w = r.toApprovalWait;
  console.table([
    {
      first_wait_ms: w.firstMs,
      first_tenth_p50_ms: w.firstTenth.p50Ms,
      first_tenth_p95_ms: w.firstTenth.p95Ms,
      last_tenth_p50_ms: w.lastTenth.p50Ms,
      last_tenth_p95_ms: w.lastTenth.p95Ms,
    },
  ]);
  console.table([{ ...r.outcomes }]);
  if (Object.keys(r.failureReasons).length)
    console.table(Object.entries(r.failureReasons).map(([reason, n]) => ({ reason, n })));
  console.table([r.invariants]);
  console.table(r.states);
  console.table([r.resources]);
  console.log(`bottleneck: ${r.bottleneck}`);
  if (r.restart) {
    console.log(`restart with ${r.restart.waiting} requests waiting for approval:`);
    console.table([r.restart]);
  }
  console.log(`invariants ${r.ok ? 'hold' : 'BROKEN'}; wrote bench/results/throughput.json`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const n = Number(process.argv[2]) || undefined;
  const r = await benchThroughput({ n, log: (l) => console.log(l) });
  printThroughput(r);
  process.exit(r.ok ? 0 : 1);
}
