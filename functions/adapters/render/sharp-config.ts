/**
 * One place that sets sharp's global knobs, deliberately.
 *
 * Parallelism model: variants render in a pool of `pool` concurrent pipelines, each with
 * `sharp.concurrency()` libvips threads. Rendering 8 small images is throughput work, so one
 * libvips thread per pipeline and one pipeline per vCPU wins: it avoids oversubscribing the CPU
 * with pool x threads and keeps the per-pipeline memory bounded.
 * - This machine (2 cores): pool 2, concurrency 1. bench/render.ts compares (1,2) with (2,1), (2,2)
 *   and (1,4): CPU per run is the same within noise (~0.7 s for 8 presets), and (1,2) had the best
 *   median wall time; more pipelines than cores only adds contention.
 * - Lambda: vCPUs scale with memory (1769 MB = 1 vCPU ... 10240 MB = 6 vCPU); os.availableParallelism()
 *   reports them, so pool = vCPUs, concurrency = 1. Node's libuv pool (4 threads by default) runs
 *   sharp's work, so more than 4 parallel pipelines needs UV_THREADPOOL_SIZE set by the function.
 * - The libvips operation cache is off: each Lambda render is new data, and the cache would only
 *   hold memory between invocations.
 */
import os from 'node:os';
import sharp from 'sharp';

/** Decoder guards for untrusted images: 50 MP instead of sharp's ~268 MP default; truncated files
 *  (half downloads) fail, harmless decoder warnings (odd EXIF, extra bytes) do not. */
export const INPUT_LIMITS = { limitInputPixels: 50_000_000, failOn: 'truncated' } as const;

export interface SharpSettings {
  /** libvips threads per pipeline. */
  concurrency: number;
  /** Variants rendered at the same time. */
  pool: number;
}

let settings: SharpSettings | null = null;

export function configureSharp(opts: { vcpus?: number; concurrency?: number; pool?: number } = {}): SharpSettings {
  const vcpus = Math.max(1, opts.vcpus ?? os.availableParallelism());
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const pool = Math.max(1, opts.pool ?? Math.min(vcpus, 4));
  sharp.concurrency(concurrency);
  sharp.cache(false);
  settings = { concurrency, pool };
  return settings;
}

/** Current settings, configuring the defaults on first use. */
export function sharpSettings(): SharpSettings {
  return settings ?? configureSharp();
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (e) {
        failed = true; // stop handing out work; the first error rejects the whole batch
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
