/**
 * CPU profiles for the benches: record one (the V8 sampling profiler through node:inspector, in
 * the process being measured) and say where its time went, by package or project folder, so a
 * table can read "zod 41 ms, postgres.js 12 ms" instead of a flame graph nobody opens.
 *
 * Minified bundles are read through their source maps: a sample in index.mjs is attributed to the
 * original file (node_modules/zod/..., functions/shared/...) it was built from.
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Starts the sampling profiler in this process; `stop()` returns the profile. */
export async function startProfiler(intervalMicros = 200): Promise<{ stop(): Promise<CpuProfile> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalMicros });
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return profile as unknown as CpuProfile;
    },
  };
}

export interface ProfileSummary {
  /** Wall time the profile covers. */
  totalMs: number;
  /** Samples on the main thread doing nothing (waiting for I/O). */
  idleMs: number;
  /** Self time by where the code comes from, largest first (idle excluded). */
  byCategory: { category: string; ms: number; pct: number }[];
  /** The functions with the most self time. */
  topFunctions: { fn: string; where: string; ms: number }[];
}

/** Where a frame's code comes from: a package, a project folder, Node's internals or V8. */
export function categoryOf(source: string, functionName: string, projectRoot: string): string {
  if (!source) {
    if (functionName === '(garbage collector)') return 'V8: garbage collector';
    if (functionName === '(program)') return 'V8/native: (program)';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(root)') return '(root)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  // Compilation is charged to the loader function that asks V8 for it: name it for what it is.
  if (functionName === 'compileSourceTextModule') return 'V8 compile: ES modules';
  if (functionName === 'wrapSafe') return 'V8 compile: CommonJS modules';
  if (source.startsWith('node:')) {
    const m = source.slice(5);
    if (/^internal\/modules\//.test(m)) return 'node: module loading';
    if (m.startsWith('internal/deps/cjs-module-lexer')) return 'node: cjs-module-lexer (ESM importing CommonJS)';
    if (m.startsWith('internal/deps/')) return `node: ${m.split('/').slice(0, 3).join('/')}`;
    if (m.startsWith('internal/source_map')) return 'node: source maps (--enable-source-maps)';
    if (/http|_http_/.test(m)) return 'node: http';
    if (
      /^(net|internal\/stream|stream|internal\/streams|internal\/net|internal\/dns|dns)/.test(m) ||
      m.startsWith('_stream')
    )
      return 'node: net/streams';
    if (/crypto/.test(m)) return 'node: crypto';
    if (/^internal\/(process|timers|async_hooks)|^timers|events/.test(m)) return 'node: event loop/timers/events';
    if (/^(fs|internal\/fs)/.test(m)) return 'node: fs';
    if (/url/.test(m)) return 'node: url';
    return `node: ${m.split('/').slice(0, 2).join('/')}`;
  }
  let file = source;
  if (file.startsWith('file://')) file = fileURLToPath(file);
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + 'node_modules/'.length).split('/');
    const pkg = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
    if (pkg === 'postgres') return 'postgres.js';
    // esbuild chains the maps packages ship; drizzle-orm's name its sources ../src/*.ts, which
    // arrive here as node_modules/src/... (it is the only package here that ships them so).
    if (pkg === 'src') return 'drizzle-orm';
    return pkg;
  }
  // A project file, however the path reached us (absolute, or relative from a bundle's map).
  const m = /(?:^|\/)((?:functions|lib|db|bench|bin|test)\/.*)$/.exec(file.replace(/\\/g, '/'));
  const rel = m ? m[1] : path.isAbsolute(file) ? path.relative(projectRoot, file) : file;
  if (/(^|\/)(asset\.[0-9a-f]{16,}|cold-start)\//.test(rel) || rel.startsWith('..')) return 'bundle (unmapped lines)';
  const segs = rel.split('/');
  if (segs[0] === 'functions' || segs[0] === 'lib') return segs.slice(0, Math.min(3, segs.length - 1)).join('/') || rel;
  return segs.slice(0, Math.max(1, segs.length - 1)).join('/') || rel;
}

const sourceMaps = new Map<string, SourceMap | null>();
function sourceMapFor(url: string): SourceMap | null {
  if (sourceMaps.has(url)) return sourceMaps.get(url)!;
  let map: SourceMap | null = null;
  try {
    const file = url.startsWith('file://') ? fileURLToPath(url) : url;
    if (file.endsWith('.mjs') || file.endsWith('.js'))
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
  } catch {
    /* no map: attribute to the file itself */
  }
  sourceMaps.set(url, map);
  return map;
}

/** Summarises self time per category; bundles with a `.map` next to them are read through it. */
export function summarizeProfile(profile: CpuProfile, projectRoot: string, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // timeDeltas[i + 1] is the time between sample i and the next one: charge it to sample i.
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const cats = new Map<string, number>();
  const fns = new Map<string, { fn: string; where: string; us: number }>();
  let idle = 0;
  for (const [id, us] of self) {
    const { callFrame: f } = byId.get(id)!;
    let source = f.url;
    let where = f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : '';
    // Only bundles are read through maps: a package's own maps (drizzle ships them) would turn
    // node_modules/drizzle-orm/... into src/..., losing the package name.
    const map = f.url && !f.url.includes('node_modules/') ? sourceMapFor(f.url) : null;
    if (map) {
      const e = map.findEntry(f.lineNumber, f.columnNumber) as { originalSource?: string; originalLine?: number };
      if (e.originalSource) {
        source = e.originalSource;
        where = `${source.replace(/^.*node_modules\//, '').replace(/^(\.\.\/)+/, '')}:${(e.originalLine ?? 0) + 1}`;
      }
    }
    const cat = categoryOf(source, f.functionName, projectRoot);
    if (cat === '(idle)') {
      idle += us;
      continue;
    }
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    const key = `${f.functionName}|${where}`;
    const prev = fns.get(key);
    if (prev) prev.us += us;
    else fns.set(key, { fn: f.functionName || '(anonymous)', where: where || cat, us });
  }
  const busy = [...cats.values()].reduce((a, b) => a + b, 0);
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    totalMs: ms(profile.endTime - profile.startTime),
    idleMs: ms(idle),
    byCategory: [...cats]
      .sort((a, b) => b[1] - a[1])
      .map(([category, us]) => ({ category, ms: ms(us), pct: Math.round((us / Math.max(1, busy)) * 1000) / 10 })),
    topFunctions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ fn: f.fn, where: f.where, ms: ms(f.us) })),
  };
}
