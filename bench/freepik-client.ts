/**
 * Client + emulator under load: concurrent stock searches and AI generations with seeded random
 * 429/503 faults, through an in-memory token bucket. Prints a table and writes
 * bench/results/freepik-client.json. Run: npx tsx bench/freepik-client.ts [requests] [concurrency]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createFreepikClient } from '../functions/adapters/freepik/client.js';
import { configForEmulator, loadFreepikConfig } from '../functions/adapters/freepik/config.js';
import { EMULATOR_API_KEY, startFreepikEmulator } from '../local/emulators/freepik/emulator.js';
import { createMemoryTokenBucket, createMemoryUsageRecorder } from '../local/in-memory/sourcing-limits.js';

const total = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 16);
const emu = await startFreepikEmulator({ faults: { random: { seed: 7, rate429: 0.05, rate503: 0.03 } } });
const cfg = configForEmulator(loadFreepikConfig({}), emu.url, EMULATOR_API_KEY);
const recorder = createMemoryUsageRecorder();
const client = createFreepikClient({
  config: { ...cfg, apiKey: EMULATOR_API_KEY, backoff: { baseMs: 20, maxMs: 200 }, maxRetries: 5 },
  recorder,
  rateLimiter: createMemoryTokenBucket({ capacity: cfg.rate.capacity, refillPerSecond: cfg.rate.refillPerSecond * 10 }),
});
const ORG = '00000000-0000-4000-8000-00000000beef';

type Kind = 'search' | 'text-to-image';
const lat: Record<Kind, number[]> = { search: [], 'text-to-image': [] };
let failures = 0;
let next = 0;
const started = Date.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      const kind: Kind = i % 4 === 3 ? 'text-to-image' : 'search';
      const t0 = performance.now();
      try {
        if (kind === 'search') await client.search({ orgId: ORG }, { term: `bench ${i % 50}`, limit: 20 });
        else await client.textToImage({ orgId: ORG }, { prompt: `bench image ${i % 10}`, size: 'square_1_1' });
        lat[kind].push(performance.now() - t0);
      } catch {
        failures++;
      }
    }
  }),
);
const wall = (Date.now() - started) / 1000;
await emu.close();

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]) : 0;
};
const rows = (Object.keys(lat) as Kind[]).map((k) => ({
  operation: k,
  ok: lat[k].length,
  p50_ms: pct(lat[k], 0.5),
  p95_ms: pct(lat[k], 0.95),
  max_ms: pct(lat[k], 1),
}));
const retries = recorder.rows.filter((r) => r.retryNumber > 0).length;
const summary = {
  requests: total,
  concurrency,
  failures,
  http_attempts: recorder.rows.length,
  retries,
  wall_s: Math.round(wall * 100) / 100,
  throughput_rps: Math.round((total / wall) * 10) / 10,
};
console.table(rows);
console.table([summary]);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/freepik-client.json',
  JSON.stringify({ at: new Date().toISOString(), rows, summary }, null, 2),
);
