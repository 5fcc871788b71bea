/**
 * `npm start`: the whole product on this machine (see local/stack/stack.ts). No configuration
 * needed; optional: PORT, DATABASE_URL / DATABASE_OWNER_URL, FREEPIK_API_KEY (use the real
 * Freepik API instead of the emulator), LOCAL_DATA_DIR (default .local).
 */
import { startLocalStack } from '../local/stack/stack.js';
import { createProgressLogger } from '../local/stack/progress-log.js';
import { sampleContentRequest } from '../local/stack/sample-request.js';

// Node 20 is what this machine has; the SDK's upgrade notice is noise on the console.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const log = (m: string) => console.log(m);
const started = Date.now();
log('Starting the local stack (the first start initializes PostgreSQL and synthesizes the CDK app; allow a minute)...');

let stack: Awaited<ReturnType<typeof startLocalStack>>;
try {
  stack = await startLocalStack({
    dataDir: process.env.LOCAL_DATA_DIR ?? '.local',
    port: Number(process.env.PORT ?? 3000),
    onWorkflowEvent: createProgressLogger(log),
    log,
  });
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EADDRINUSE')
    console.error(`\nPort ${process.env.PORT ?? 3000} is in use. Start with another one: PORT=3100 npm start`);
  else console.error('\nThe local stack did not start:', err.stack ?? err.message);
  process.exit(1);
}

const acme = stack.seed.orgs.find((o) => o.slug === 'acme-coffee')!;
const creator = 'creator@acme.test';
const token = await stack.mintToken(creator, { ttl: 12 * 3600 });
const body = sampleContentRequest(acme.brandId);
const api = stack.apiUrl;
const freepik =
  stack.freepik.mode === 'emulator'
    ? `emulator at ${stack.freepik.baseUrl} (set FREEPIK_API_KEY to use the real API)`
    : `the real API at ${stack.freepik.baseUrl}`;
log(`
Ready in ${Math.round((Date.now() - started) / 1000)} s.
  API         ${api}
  Dashboard   ${api}/dashboard (sign in as owner@acme.test: demo analytics for the seeded tenants)
  S3 (s3rver) ${stack.s3Endpoint}  bucket ${stack.bucket}
  Freepik     ${freepik}
  Data        ${process.env.LOCAL_DATA_DIR ?? '.local'}/ (delete it to start from scratch)

Submit a content request for the seeded Acme Coffee brand as ${creator} (token valid 12 h):

TOKEN='${token}'
curl -s -X POST ${api}/v1/orgs/${acme.id}/content-requests \\
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
  -d '${JSON.stringify(body)}'

Then follow it (status, timeline, variant URLs, compliance report):
curl -s ${api}/v1/orgs/${acme.id}/content-requests/<id> -H "Authorization: Bearer $TOKEN"

Other users: owner@acme.test, approver@acme.test, viewer@acme.test -> npm run dev:token -- <email>
Approval emails are printed below and listed at ${api}/dev/outbox. Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) {
    log('Forced exit.');
    process.exit(130);
  }
  stopping = true;
  log(`\n${signal}: stopping (Ctrl-C again to force)...`);
  try {
    await stack.stop();
    log('Stopped.');
    process.exit(0);
  } catch (e) {
    console.error('shutdown failed:', (e as Error).message);
    process.exit(1);
  }
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
