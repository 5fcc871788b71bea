// Sequential HTTP probe in its own process, so the client's work (request building, response
// parsing) neither shares the measured server's event loop nor inflates its latencies. One
// keep-alive connection, one request at a time: latency as one user sees it, without queueing.
// Input: one JSON argument { base, headers, warmup, measured, endpoints: [[name, path], ...] }.
// Output: JSON { [name]: { ms: number[] (measured, in order), errors: number, statuses: {...} } }.
import http from 'node:http';

const { base, headers = {}, warmup = 30, measured = 300, endpoints } = JSON.parse(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(path) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.get(new URL(path, base), { agent, headers }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const out = {};
for (const [name, path] of endpoints) {
  const r = { ms: [], errors: 0, statuses: {} };
  for (let i = 0; i < warmup + measured; i++) {
    const { status, ms } = await get(path);
    if (i < warmup) continue;
    r.ms.push(ms);
    r.statuses[status] = (r.statuses[status] ?? 0) + 1;
    if (status !== 200) r.errors++;
  }
  out[name] = r;
}
agent.destroy();
process.stdout.write(JSON.stringify(out));
