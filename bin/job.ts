/**
 * Runs one scheduled job now, through the same runner (and background_jobs ledger) as the
 * deployed schedule:
 *   npm run job -- <name> [--period <key>] [--force]
 *   npm run job -- --list
 * <key>: hour 2025-01-31T13, day 2025-01-31 or month 2025-01 (default: the job's period for now).
 * A period that already succeeded is skipped unless --force. Connects as the app role with
 * DATABASE_URL (the local stack prints it), exactly like the job Lambda.
 */
import { parseArgs } from 'node:util';
import { connect } from '../functions/adapters/db/client.js';
import { metaConnectorsFromEnv, metaGraphEnv } from '../functions/adapters/analytics/meta-graph-connector.js';
import { fieldCipher } from '../functions/adapters/crypto/envelope.js';
import { runJob, type JobDeps } from '../functions/app/analytics/run-job.js';
import { jobCatalog, isJobName, jobNames } from '../functions/domain/analytics/job-catalog.js';
import { schedules } from '../functions/handlers/scheduled/schedules.js';
import { parseEnv } from '../functions/shared/env.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    period: { type: 'string' },
    force: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
  },
});

if (values.list || !positionals[0]) {
  const rows = jobNames.map((n) => {
    const s = schedules.find((x) => x.name === n);
    return `  ${n.padEnd(28)} ${(s?.expression ?? '(not scheduled)').padEnd(22)} ${jobCatalog[n].description}`;
  });
  console.log(`usage: npm run job -- <name> [--period <key>] [--force]\n\njobs:\n${rows.join('\n')}`);
  process.exit(values.list ? 0 : 2);
}
const name = positionals[0];
if (!isJobName(name)) {
  console.error(`unknown job "${name}"; one of: ${jobNames.join(', ')}`);
  process.exit(2);
}
const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set (the app-role URL; `npm start` prints it)');
  process.exit(2);
}

const db = connect(url, { max: 2, appName: `svp-job-${name}` });
const deps: JobDeps = { db, log: (msg, data) => console.error(JSON.stringify({ msg, ...data })) };
if (name === 'collect-metrics')
  deps.collector = { connectors: metaConnectorsFromEnv(parseEnv(metaGraphEnv)), cipher: fieldCipher() };
try {
  const r = await runJob(name, { period: values.period, force: values.force }, deps);
  console.log(JSON.stringify(r, null, 2));
  process.exitCode = r.status === 'failed' ? 1 : 0;
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
} finally {
  await db.close();
}
