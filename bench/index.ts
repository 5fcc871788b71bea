/**
 * `npm run bench [-- <name> ...]`: runs bench/<name>.ts (each prints its table and writes
 * bench/results/<name>.json), one after another in child processes. Without names, every bench
 * in this folder runs (the dashboard bench seeds BENCH_ROWS = 10,000,000 rows by default and
 * takes tens of minutes on 2 cores; BENCH_ROWS=1000000 for a quicker run).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const all = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'index.ts').map((f) => f.slice(0, -3)).sort();
const names = process.argv.slice(2).length ? process.argv.slice(2) : all;
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length) {
  console.error(`unknown bench: ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const n of names) {
  console.log(`\n=== bench ${n} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, `${n}.ts`)], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
