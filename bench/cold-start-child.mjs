// One cold start, in a fresh Node process started for it: imports a Lambda bundle, calls its
// handler once with one event, and reports the times. Plain JavaScript (no tsx loader) so nothing
// but Node itself runs before the bundle. Input: one JSON argument
//   { file, exportName, event | null, profileDir?, preload? }   (event null: load only)
// Output (stdout, last line): JSON { bootMs, importMs, invokeMs, ok, status?, error?, rssMb, preloadMs? }.
// `preload` (package names the bundle imports but does not contain, e.g. @aws-sdk/client-s3)
// are imported first, each timed, so importMs is then what the bundle itself costs.
// With profileDir, the import and the first invocation are CPU-profiled separately
// (init.cpuprofile, invoke.cpuprofile in that folder); the timing runs are made without it.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// performance.now() counts from the process's time origin: what Node took to get here.
const bootMs = performance.now();
const { file, exportName, event, profileDir, preload = [] } = JSON.parse(process.argv[2]);

let session;
async function profile(name, fn) {
  if (!profileDir) return fn();
  if (!session) {
    const { Session } = await import('node:inspector/promises');
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
  }
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile: p } = await session.post('Profiler.stop');
    writeFileSync(path.join(profileDir, `${name}.cpuprofile`), JSON.stringify(p));
  }
}

const out = { bootMs: Math.round(bootMs * 10) / 10 };
if (preload.length) {
  out.preloadMs = {};
  for (const spec of preload) {
    const t = performance.now();
    await import(spec);
    out.preloadMs[spec] = Math.round((performance.now() - t) * 10) / 10;
  }
}
const t0 = performance.now();
const mod = await profile('init', () => import(pathToFileURL(file).href));
out.importMs = Math.round((performance.now() - t0) * 10) / 10;
// A CommonJS handler whose exports the ESM loader cannot see by name is on the default export.
const handler = mod[exportName] ?? mod.default?.[exportName];
if (typeof handler !== 'function') {
  out.ok = false;
  out.error = `the bundle exports no ${exportName}`;
} else if (event === null) {
  out.ok = true;
} else {
  const context = {
    awsRequestId: 'cold-start',
    functionName: 'cold-start',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 60_000,
  };
  const t1 = performance.now();
  try {
    const res = await profile('invoke', () => handler(event, context));
    out.ok = !(res && typeof res === 'object' && typeof res.statusCode === 'number' && res.statusCode >= 400);
    if (res && typeof res === 'object' && 'statusCode' in res) {
      out.status = res.statusCode;
      if (res.statusCode >= 400) out.error = String(res.body).slice(0, 300);
    } else {
      out.result = JSON.stringify(res)?.slice(0, 300);
    }
  } catch (e) {
    out.ok = false;
    out.error = `${e?.name}: ${String(e?.message).slice(0, 300)}`;
  }
  out.invokeMs = Math.round((performance.now() - t1) * 10) / 10;
}
out.rssMb = Math.round(process.memoryUsage().rss / 1048576);
process.stdout.write(`\n${JSON.stringify(out)}\n`);
// Like a frozen Lambda sandbox: pools and sockets are not drained before the answer counts.
process.exit(0);
