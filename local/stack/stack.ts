/**
 * The whole product on one machine, no AWS and no Docker: embedded PostgreSQL (or your own
 * server), migrations, the demo seed, s3rver, the Freepik emulator (or the real API), the HTTP API,
 * the local Step Functions runner executing the synthesized state machine, the scheduler and the
 * outbox printer. Used by `npm start` (bin/local.ts), the e2e tests and the benches (temp dataDir,
 * port 0).
 *
 * Database URLs:
 * - neither DATABASE_URL nor DATABASE_OWNER_URL: embedded PostgreSQL under `<dataDir>/pg`,
 *   database `svp`.
 * - DATABASE_OWNER_URL (+ optional DATABASE_URL): an existing server. The owner URL (a role that
 *   may create roles and bypasses RLS, e.g. the superuser) runs migrations, the seed and restart
 *   recovery; DATABASE_URL, if given, is what the app connects with (the `svp_app` role), else it
 *   is derived from the owner URL with user svp_app and DATABASE_APP_PASSWORD.
 * - DATABASE_URL alone: taken as the owner URL of an existing server (same as above).
 * The handlers then see DATABASE_URL = the app role's URL, as in AWS.
 */
import '../workflow/polyfills.js';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { fileURLToPath } from 'node:url';
import { appUrlFrom, redactUrl, runMigrations } from '../../db/migrate.js';
import { DEMO_DAYS, seedDemoAnalytics } from '../../db/demo-analytics.js';
import { seedDemo, seedLogoObjects, type SeedResult } from '../../db/seed.js';
import { connect, prepareFromEnv, type DbHandle } from '../../functions/adapters/db/client.js';
import { EMULATOR_API_KEY, startFreepikEmulator, type FreepikEmulator } from '../emulators/freepik/emulator.js';
import { startApiServer, type ApiServer } from '../servers/api-server.js';
import { startLocalPostgres, type LocalPostgres } from '../servers/embedded-postgres.js';
import { startLocalS3, type LocalS3 } from '../servers/s3-server.js';
import { createObjectStore, type ObjectStore } from '../../functions/adapters/storage/object-store.js';
import { createPgCheckpointStore } from '../workflow/checkpoint-store.js';
import { LocalWorkflowRunner, type WorkflowEvent } from '../workflow/local-runner.js';
import { executionEnded } from '../../functions/handlers/events/execution-ended.js';
import { bridgeExecutionEnded } from './execution-ended.js';
import type { TaskTokenBroker } from '../workflow/task-token-broker.js';
import { recoverInterruptedRequests, type RecoveryReport } from '../workflow/recovery.js';
import { issueLocalToken, type LocalAuthConfig, LOCAL_AUDIENCE, LOCAL_ISSUER, jwksPath } from '../auth/local-issuer.js';
import { provide, resetComposition } from '../../functions/handlers/composition/root.js';

const PROJECT_ROOT_FOR_JOBS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface LocalStackOptions {
  /** Where PostgreSQL data, S3 objects and keys live. Default `.local`. */
  dataDir?: string;
  /** API port (PORT, default 3000); 0 = a free port. */
  port?: number;
  /** Owner URL of an existing PostgreSQL (see the file comment); default: embedded. */
  databaseUrl?: string;
  /** App-role URL on that server; default derived from databaseUrl. */
  appDatabaseUrl?: string;
  /** 'emulator' (default unless FREEPIK_API_KEY is set) or 'real' (FREEPIK_API_KEY required). */
  freepik?: 'emulator' | 'real';
  /** Latency the emulator adds to every answer. */
  emulatorLatencyMs?: number;
  /** Start the HTTP API (default true). */
  api?: boolean;
  /** Run the analytics schedules (default true; tests and benches turn it off). */
  scheduler?: boolean;
  /** Print the outbox (default true). */
  outbox?: boolean;
  /**
   * Demo performance data for the seeded tenants on first start, rolled up by the scheduled jobs'
   * runner (default true unless LOCAL_DEMO_DATA=false; db/demo-analytics.ts). Later starts find it
   * and change nothing.
   */
  demoData?: boolean;
  /** Resume (or fail) the requests a previous process left unfinished (default true). */
  recover?: boolean;
  /**
   * Workflow executions working at once; more wait in order, and one parked at an approval wait
   * does not count (LOCAL_WORKFLOW_CONCURRENCY, default 16).
   */
  workflowConcurrency?: number;
  /** Replace Retry pauses in the workflow with this many ms (tests); default: real backoff. */
  retryDelayMs?: number;
  /** Progress events of every execution. */
  onWorkflowEvent?: (e: WorkflowEvent) => void;
  /** Startup and background messages. Default console.log. */
  log?: (msg: string) => void;
}

export interface LocalStack {
  /** http://127.0.0.1:<port> — also PUBLIC_BASE_URL. Empty when the API is off. */
  apiUrl: string;
  s3Endpoint: string;
  bucket: string;
  /** Owner URL (migrations, seed, test assertions). */
  ownerUrl: string;
  /** App-role URL (what the handlers use). */
  appUrl: string;
  /** Connected as the app role (RLS applies). */
  db: DbHandle;
  store: ObjectStore;
  freepik: { mode: 'emulator' | 'real'; baseUrl: string; emulator?: FreepikEmulator };
  seed: SeedResult;
  runner: LocalWorkflowRunner;
  /** SendTaskSuccess/SendTaskFailure for `.waitForTaskToken` states. */
  broker: TaskTokenBroker;
  auth: LocalAuthConfig;
  recovery: RecoveryReport;
  /** A dev token for a (seeded) user. */
  mintToken(email: string, opts?: { ttl?: number; name?: string }): Promise<string>;
  /** Stops everything, in reverse order; safe to call twice. */
  stop(): Promise<void>;
}

export const LOCAL_BUCKET = 'svp-local-assets';
/**
 * Executions working at once by default. Measured with bench/throughput.ts (1,000 requests at
 * once on 2 cores): see docs/local-stack.md, "Bursts".
 */
export const DEFAULT_WORKFLOW_CONCURRENCY = 16;
const APP_PASSWORD_DEFAULT = 'svp_app_local';

/** Environment every handler reads; set before any handler module is imported. */
function applyEnv(vars: Record<string, string | undefined>): () => void {
  const previous: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    previous[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of Object.entries(previous)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`SELECT 1 AS ok FROM pg_database WHERE datname = ${name}`;
    if (!row) await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const log = opts.log ?? ((m: string) => console.log(m));
  const dataDir = path.resolve(opts.dataDir ?? '.local');
  mkdirSync(dataDir, { recursive: true });
  const cleanups: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (e) {
        log(`shutdown: ${(e as Error).message}`);
      }
    }
  };

  try {
    // ---- PostgreSQL -------------------------------------------------------------------------------
    const externalOwner = opts.databaseUrl ?? process.env.DATABASE_OWNER_URL ?? process.env.DATABASE_URL;
    let ownerUrl: string;
    let appUrl: string;
    const appPassword = process.env.DATABASE_APP_PASSWORD ?? APP_PASSWORD_DEFAULT;
    if (externalOwner) {
      ownerUrl = externalOwner;
      appUrl =
        opts.appDatabaseUrl ??
        (process.env.DATABASE_OWNER_URL && process.env.DATABASE_URL && !opts.databaseUrl
          ? process.env.DATABASE_URL
          : appUrlFrom(ownerUrl, appPassword));
      log(`PostgreSQL: existing server ${redactUrl(ownerUrl)}`);
    } else {
      // As root, initdb runs as the postgres OS user, which must be able to enter the data dir.
      if (typeof process.getuid === 'function' && process.getuid() === 0) chmodSync(dataDir, 0o755);
      const pg: LocalPostgres = await startLocalPostgres({ dataDir: path.join(dataDir, 'pg') });
      cleanups.push(() => pg.stop());
      await ensureDatabase(pg.ownerUrl('postgres'), 'svp');
      ownerUrl = pg.ownerUrl('svp');
      appUrl = appUrlFrom(ownerUrl, appPassword);
      const pgDir = path.join(dataDir, 'pg');
      const shown = pgDir.startsWith(process.cwd() + path.sep) ? path.relative(process.cwd(), pgDir) : pgDir;
      log(`PostgreSQL: embedded, data in ${shown} (port ${pg.port})`);
    }
    await runMigrations(ownerUrl, {
      appRolePassword: appUrl === appUrlFrom(ownerUrl, appPassword) ? appPassword : undefined,
    });
    const seed = await seedDemo(ownerUrl);
    // The local sign-in page may list the seeded users (never set in AWS: only the owner can).
    {
      const owner = postgres(ownerUrl, { max: 1, onnotice: () => {} });
      try {
        await owner`INSERT INTO system_settings (key, value, description)
          VALUES ('dev_sign_in', 'true'::jsonb, 'local stack: /dev/sign-in lists seeded users')
          ON CONFLICT (key) DO UPDATE SET value = excluded.value`;
      } finally {
        await owner.end({ timeout: 5 });
      }
    }

    // ---- S3 -------------------------------------------------------------------------------------
    const s3: LocalS3 = await startS3OnItsPort(dataDir, log);
    cleanups.push(() => s3.close());
    const store = createObjectStore({ bucket: LOCAL_BUCKET, endpoint: s3.endpoint });
    for (const o of await seedLogoObjects(seed)) {
      if (!(await store.head(o.key))) await store.put(o.key, o.body, o.contentType);
    }

    // ---- Freepik --------------------------------------------------------------------------------
    const mode = opts.freepik ?? (process.env.FREEPIK_API_KEY ? 'real' : 'emulator');
    let emulator: FreepikEmulator | undefined;
    let freepikEnv: Record<string, string | undefined> = {};
    if (mode === 'emulator') {
      emulator = await startFreepikEmulator({ latencyMs: opts.emulatorLatencyMs ?? 0 });
      cleanups.push(() => emulator!.close());
      // Signed download URLs point at the emulator itself: plain http on loopback is allowed for it only.
      freepikEnv = {
        FREEPIK_BASE_URL: emulator.url,
        FREEPIK_API_KEY: EMULATOR_API_KEY,
        FREEPIK_LOCAL_HTTP_HOSTS: new URL(emulator.url).hostname,
      };
    } else if (!process.env.FREEPIK_API_KEY) {
      throw new Error('freepik: "real" needs FREEPIK_API_KEY');
    }
    const freepikBase = freepikEnv.FREEPIK_BASE_URL ?? process.env.FREEPIK_BASE_URL ?? 'https://api.freepik.com';

    // ---- environment + services, before any handler runs ---------------------------------------
    const auth: LocalAuthConfig = {
      keysDir: path.join(dataDir, 'keys'),
      issuer: process.env.JWT_ISSUER ?? LOCAL_ISSUER,
      audience: process.env.JWT_AUDIENCE ?? LOCAL_AUDIENCE,
    };
    const port = opts.port ?? Number(process.env.PORT ?? 3000);
    const restoreEnv = applyEnv({
      APP_MODE: 'local',
      DATABASE_URL: appUrl,
      DB_POOL_MAX: process.env.DB_POOL_MAX ?? '10',
      ASSET_BUCKET: LOCAL_BUCKET,
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      S3_ENDPOINT: s3.endpoint,
      S3_PUBLIC_ENDPOINT: s3.endpoint,
      JWT_ISSUER: auth.issuer,
      JWT_AUDIENCE: auth.audience,
      JWKS_FILE: jwksPath(auth.keysDir),
      LOCAL_KEYS_DIR: auth.keysDir,
      // Known now when a port is fixed; corrected below once a free port was picked.
      PUBLIC_BASE_URL: `http://127.0.0.1:${port || 3000}`,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      ...freepikEnv,
    });
    cleanups.push(() => restoreEnv());
    resetComposition();
    const db = connect(appUrl, {
      max: Number(process.env.DB_POOL_MAX ?? 10),
      appName: 'svp-local',
      // Behind a transaction-pooling proxy (PgBouncer, Supavisor) set DATABASE_PREPARE=false.
      prepare: prepareFromEnv(process.env.DATABASE_PREPARE),
    });
    cleanups.push(async () => {
      resetComposition();
      await db.close();
    });
    provide('dbHandle', db);
    provide('store', store);
    if (opts.demoData ?? process.env.LOCAL_DEMO_DATA !== 'false') {
      const demo = await seedDemoAnalytics(ownerUrl, seed, db);
      for (const t of demo.seeded)
        log(`Demo data: ${t.posts} posts and ${t.samples} metric samples for ${t.slug} (${DEMO_DAYS} days), rolled up`);
    }

    // ---- workflow -------------------------------------------------------------------------------
    // The AWS stack's "execution ended" rule, played locally (./execution-ended.ts).
    let describeExecution: LocalWorkflowRunner['describe'] = () => undefined;
    const ended = bridgeExecutionEnded({ describe: (n) => describeExecution(n), deliver: executionEnded, log });
    // Where every execution stands, so the next start resumes it (local/workflow/checkpoint-store.ts).
    const checkpoints = await createPgCheckpointStore({ ownerUrl, log });
    cleanups.push(() => checkpoints.close());
    const runner = await LocalWorkflowRunner.create({
      onEvent: (e) => {
        ended.onEvent(e);
        opts.onWorkflowEvent?.(e);
      },
      retryDelayMs: opts.retryDelayMs,
      log,
      checkpoints,
      maxInFlight:
        opts.workflowConcurrency ??
        positiveInt(process.env.LOCAL_WORKFLOW_CONCURRENCY, 'LOCAL_WORKFLOW_CONCURRENCY') ??
        DEFAULT_WORKFLOW_CONCURRENCY,
    });
    describeExecution = (n) => runner.describe(n);
    cleanups.push(async () => {
      ended.stop();
      const { suspended } = await runner.close();
      if (suspended)
        log(`workflow: ${suspended} execution(s) suspended; they resume where they stand at the next start`);
      await ended.drain();
    });
    provide('workflow', runner);

    // ---- API ------------------------------------------------------------------------------------
    let api: ApiServer | undefined;
    if (opts.api ?? true) {
      api = await startApiServer({ port, auth });
      cleanups.push(() => api!.close());
      process.env.PUBLIC_BASE_URL = api.url;
    }

    // After the API is up: a re-driven request may send approval links built from PUBLIC_BASE_URL.
    let recovery: RecoveryReport = { resumed: [], redriven: [], failed: [], answered: [], ms: 0 };
    if (opts.recover ?? true) {
      const owner = postgres(ownerUrl, { max: 1, onnotice: () => {} });
      try {
        const [{ approvalServices }, { sendStepCallback }] = await Promise.all([
          import('../../functions/handlers/composition/approvals.js'),
          import('../../functions/app/approvals/engine.js'),
        ]);
        recovery = await recoverInterruptedRequests({
          ownerSql: owner,
          db: db.db,
          runner,
          log,
          deliverDecision: (orgId, approvalId) => sendStepCallback(approvalServices(), orgId, approvalId),
        });
      } finally {
        await owner.end({ timeout: 5 });
      }
      const waiting = recovery.resumed.filter((r) => r.waiting).length;
      if (recovery.resumed.length) {
        log(
          `resumed ${recovery.resumed.length} request(s) where they stood in ${recovery.ms} ms: ` +
            `${waiting} waiting for a decision, ${recovery.resumed.length - waiting} working`,
        );
      }
      for (const r of recovery.resumed.filter((x) => !x.waiting))
        log(`resumed: request ${r.requestId} (run ${r.run}, ${r.status}) at "${r.state}"`);
      for (const r of recovery.redriven)
        log(
          `recovered: request ${r.requestId} (run ${r.run}, was ${r.fromStatus}) re-driven from "${r.state}" (no checkpoint)`,
        );
      for (const r of recovery.failed) log(`recovered: request ${r.requestId} marked failed: ${r.reason}`);
      for (const r of recovery.answered)
        log(`recovered: request ${r.requestId}: an approval decided while the stack went down was delivered`);
    }

    // ---- background loops owned by other modules, when present ---------------------------------
    if (opts.outbox ?? true) {
      const { startOutboxPrinter } = await import('./outbox-printer.js');
      const printer = startOutboxPrinter({ db: db.db, log });
      cleanups.push(() => printer.stop());
    }
    if (opts.scheduler ?? true) {
      const [{ startLocalScheduler }, { schedules }, { invokeSchedule }] = await Promise.all([
        import('../schedules/scheduler.js'),
        import('../../functions/handlers/scheduled/schedules.js'),
        import('../schedules/invoke-schedule.js'),
      ]);
      const scheduler = startLocalScheduler({
        schedules,
        run: (s, at) => invokeSchedule(s, at),
        log: (m) => log(`analytics schedules: ${m}`),
      });
      cleanups.push(() => scheduler.stop(10_000));
      // The approval engine's periodic jobs (EventBridge Scheduler in AWS, lib/config/functions.ts);
      // the outbox is printed above instead of mailed.
      const { APPROVAL_JOBS } = await import('../../lib/config/functions.js');
      const approvalJobs = startLocalScheduler({
        schedules: APPROVAL_JOBS.filter((j) => j.name !== 'approval-outbox'),
        run: async (j) => {
          const mod = (await import(path.join(PROJECT_ROOT_FOR_JOBS, j.entry))) as { handler: () => Promise<unknown> };
          return mod.handler();
        },
        log: (m) => log(`approval jobs: ${m}`),
      });
      cleanups.push(() => approvalJobs.stop(10_000));
    }

    let stopped = false;
    return {
      apiUrl: api?.url ?? '',
      s3Endpoint: s3.endpoint,
      bucket: LOCAL_BUCKET,
      ownerUrl,
      appUrl,
      db,
      store,
      freepik: { mode, baseUrl: freepikBase, emulator },
      seed,
      runner,
      broker: runner.broker,
      auth,
      recovery,
      mintToken: (email, o = {}) => issueLocalToken(auth, { email, ...o }),
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
      },
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/**
 * s3rver on the port it had last time (remembered in `<dataDir>/s3.port`): published image URLs
 * (manifests, webhooks) carry it, and must keep working after a restart.
 */
async function startS3OnItsPort(dataDir: string, log: (m: string) => void): Promise<LocalS3> {
  const portFile = path.join(dataDir, 's3.port');
  const previous = existsSync(portFile) ? Number(readFileSync(portFile, 'utf8').trim()) : 0;
  const start = (port: number) => startLocalS3({ dir: path.join(dataDir, 's3'), buckets: [LOCAL_BUCKET], port });
  let s3: LocalS3;
  try {
    s3 = await start(Number.isInteger(previous) && previous > 0 ? previous : 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    s3 = await start(0);
    log(
      `S3: port ${previous} is taken; image URLs published before now point at a closed port (delete ${portFile} to stop this message)`,
    );
  }
  writeFileSync(portFile, `${s3.port}\n`);
  return s3;
}

function positiveInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of at least 1 (got "${v}")`);
  return n;
}
