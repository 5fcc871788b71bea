/**
 * Request-to-approval-wait latency and sustained throughput of the whole pipeline, through the
 * local stack `npm start` runs (HTTP API -> local Step Functions runner executing the synthesized
 * definition -> the real task handlers -> PostgreSQL, s3rver, sharp), with the Freepik emulator
 * answering instantly. Latency = from sending POST /content-requests until the execution waits
 * on the approval task token (the runner's event, not a poll). Goal: p95 < 2 s (design target 5 s).
 *
 *   npx tsx bench/pipeline.ts [sequential=20] [sustainSeconds=60] [concurrency=4]
 *
 * Prints a table and writes bench/results/pipeline.json. On this 2-core machine the API, the
 * handlers, PostgreSQL, s3rver and the emulator share the CPUs; in AWS every task has its own.
 */
import '../local/workflow/polyfills.js';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startLocalStack, type LocalStack } from '../local/stack/stack.js';
import { benchStackOptions } from './bench-stack.js';
import { SAMPLE_PLATFORMS, sampleContentRequest } from '../local/stack/sample-request.js';
import type { PlatformName } from '../functions/domain/platforms.js';
import type { WorkflowEvent } from '../local/workflow/local-runner.js';

export interface BenchPipelineOptions {
  sequential?: number;
  sustainSeconds?: number;
  concurrency?: number;
  platforms?: PlatformName[];
}

export interface BenchPipelineResult {
  at: string;
  machine: { cpus: number; node: string; loadavgAtStart: number[]; loadavgAtEnd: number[] };
  platforms: string[];
  sequential: { requests: number; p50_ms: number; p95_ms: number; max_ms: number; mean_ms: number };
  sustained: {
    seconds: number;
    concurrency: number;
    reached_wait: number;
    failed: number;
    requests_per_minute: number;
    p50_ms: number;
    p95_ms: number;
  };
  stages_p50_ms: Record<string, number>;
  goal: { p95_ms: number; met: boolean };
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]);
};

export async function benchPipeline(opts: BenchPipelineOptions = {}): Promise<BenchPipelineResult> {
  const sequentialN = opts.sequential ?? 20;
  const sustainSeconds = opts.sustainSeconds ?? 60;
  const concurrency = opts.concurrency ?? 4;
  const platforms = opts.platforms ?? [...SAMPLE_PLATFORMS];
  const loadavgAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'svp-bench-pipeline-'));
  chmodSync(dataDir, 0o755); // initdb runs as the postgres OS user when we are root

  // Execution name -> waiter; a request "arrives" when its execution waits on a task token.
  const waiters = new Map<string, (e: WorkflowEvent) => void>();
  const stateTimes = new Map<string, number[]>();
  const entered = new Map<string, number>();
  const onEvent = (e: WorkflowEvent) => {
    if (e.type === 'state_entered' && e.stateType === 'Task')
      entered.set(`${e.executionName}|${e.state}|${e.mapIndex ?? ''}`, e.at);
    if (e.type === 'state_exited' && e.stateType === 'Task') {
      const t0 = entered.get(`${e.executionName}|${e.state}|${e.mapIndex ?? ''}`);
      if (t0 !== undefined) stateTimes.set(e.state, [...(stateTimes.get(e.state) ?? []), e.at - t0]);
    }
    if (e.type === 'waiting_for_token' || e.type === 'execution_failed' || e.type === 'execution_succeeded')
      waiters.get(e.requestId)?.(e);
  };

  const stack: LocalStack = await startLocalStack(
    benchStackOptions(dataDir, { emulatorLatencyMs: 0, onWorkflowEvent: onEvent }),
  );
  try {
    const acme = stack.seed.orgs.find((o) => o.slug === 'acme-coffee')!;
    const token = await stack.mintToken('creator@acme.test', { ttl: 3600 * 4 });
    let _n = 0;
    /** One request: POST, then wait for its approval wait (or failure). Returns ms or throws. */
    const one = async (): Promise<number> => {
      _n++;
      const t0 = performance.now();
      const res = await fetch(`${stack.apiUrl}/v1/orgs/${acme.id}/content-requests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        // Each request is new (own image download, master, variants); the content is fixed so
        // every request passes compliance and reaches the approval wait.
        body: JSON.stringify(sampleContentRequest(acme.brandId, platforms)),
      });
      if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
      const { id } = (await res.json()) as { id: string };
      const ev = await new Promise<WorkflowEvent>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`request ${id} did not reach the approval wait in 120 s`)),
          120_000,
        );
        waiters.set(id, (e) => {
          clearTimeout(timer);
          waiters.delete(id);
          resolve(e);
        });
      });
      if (ev.type !== 'waiting_for_token') {
        const r = await fetch(`${stack.apiUrl}/v1/orgs/${acme.id}/content-requests/${id}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const d = (await r.json()) as { status: string; rejectionReason?: string; failure?: unknown };
        throw new Error(
          `request ${id} ended ${d.status} without waiting for approval: ${d.rejectionReason ?? JSON.stringify(d.failure)}`,
        );
      }
      return performance.now() - t0;
    };

    // Warm-up: first imports of the handler modules, sharp and the JIT.
    for (let i = 0; i < 2; i++) await one();
    stateTimes.clear();

    const seq: number[] = [];
    for (let i = 0; i < sequentialN; i++) seq.push(await one());
    const stagesP50 = Object.fromEntries([...stateTimes].map(([k, v]) => [k, pct(v, 50)]));

    const sustained: number[] = [];
    let failed = 0;
    const started = performance.now();
    const until = started + sustainSeconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          try {
            sustained.push(await one());
          } catch {
            failed++;
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;

    const result: BenchPipelineResult = {
      at: new Date().toISOString(),
      // Other processes on this machine (other test runs) slow every number down: see the load.
      machine: {
        cpus: os.availableParallelism(),
        node: process.version,
        loadavgAtStart,
        loadavgAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
      },
      platforms,
      sequential: {
        requests: seq.length,
        p50_ms: pct(seq, 50),
        p95_ms: pct(seq, 95),
        max_ms: Math.round(Math.max(...seq)),
        mean_ms: Math.round(seq.reduce((a, b) => a + b, 0) / seq.length),
      },
      sustained: {
        seconds: Math.round(elapsed),
        concurrency,
        reached_wait: sustained.length,
        failed,
        requests_per_minute: Math.round((sustained.length / elapsed) * 60 * 10) / 10,
        p50_ms: pct(sustained, 50),
        p95_ms: pct(sustained, 95),
      },
      stages_p50_ms: stagesP50,
      goal: { p95_ms: 2000, met: pct(seq, 95) < 2000 },
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/pipeline.json', `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [seqArg, secArg, concArg] = process.argv.slice(2).map(Number);
  const r = await benchPipeline({
    sequential: seqArg || undefined,
    sustainSeconds: secArg || undefined,
    concurrency: concArg || undefined,
  });
  console.log(
    `Pipeline: POST /content-requests -> approval wait, ${r.platforms.length} platforms (${r.platforms.join(', ')}), ` +
      `emulator latency 0, ${r.machine.cpus} CPUs`,
  );
  console.table([
    {
      run: `sequential x${r.sequential.requests}`,
      p50_ms: r.sequential.p50_ms,
      p95_ms: r.sequential.p95_ms,
      max_ms: r.sequential.max_ms,
      req_per_min: Math.round((60_000 / r.sequential.mean_ms) * 10) / 10,
    },
    {
      run: `sustained ${r.sustained.seconds}s @${r.sustained.concurrency}`,
      p50_ms: r.sustained.p50_ms,
      p95_ms: r.sustained.p95_ms,
      max_ms: '',
      req_per_min: r.sustained.requests_per_minute,
    },
  ]);
  console.table(Object.entries(r.stages_p50_ms).map(([state, ms]) => ({ state, p50_ms: ms })));
  console.log(
    `goal p95 < ${r.goal.p95_ms} ms: ${r.goal.met ? 'met' : 'NOT met'}; ${r.sustained.failed} failed under load; ` +
      `load average ${r.machine.loadavgAtStart.join('/')} -> ${r.machine.loadavgAtEnd.join('/')}; wrote bench/results/pipeline.json`,
  );
  process.exit(0);
}
