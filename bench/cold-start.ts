/**
 * Cold starts of every Lambda bundle the synth produces: `cdk synth` with bundling (the assets
 * CDK would upload), then, per bundle, fresh Node processes (bench/cold-start-child.mjs) that load
 * it and answer one representative event against real local services (the local stack's
 * PostgreSQL with the demo seed, s3rver, the Freepik emulator):
 *  - API functions: an API Gateway v2 event for a cheap GET route of the function (a list of the
 *    seeded Acme Coffee tenant, as owner@acme.test with the claims the JWT authorizer passes;
 *    /health and /dashboard for the public ones);
 *  - workflow tasks: the pipeline in order on a fresh request per round (validate, source, compose,
 *    check, render one platform, decide, approval step, publish), so each does its real work;
 *    record-failure, record-rejection and the execution-ended handler on requests of their own;
 *  - scheduled jobs: the event EventBridge Scheduler sends (forced, so each run does the work);
 *  - the rest (migrations, CDK's provider framework) need AWS APIs to answer: loaded only.
 *
 * Reported per bundle: size, init (module load to handler ready), first invocation, their sum
 * (time to first response from the start of module load), the same init without
 * --enable-source-maps (set on every function, see lib/constructs/app-function.ts), and what
 * dominates: the import time of each package left outside the bundle (the runtime's AWS SDK
 * clients, sharp) measured apart, and a CPU profile of the init and of the first invocation (by
 * package, read through the bundle's source map). Goal (issue 18): API bundles < 250 ms to first response, the rendering
 * bundle (render-variant) < 600 ms. Prints tables and writes bench/results/cold-start.json.
 *
 *   npx tsx bench/cold-start.ts                    (or: npm run bench -- cold-start)
 *   BENCH_COLD_RUNS=3        timed cold starts per bundle and setting (median reported)
 *   BENCH_CDK_OUT=<dir>      use an existing synth output inside the project (e.g. cdk.out after
 *                            `npm run synth`) instead of synthesizing into .local/cold-start
 *   BENCH_STAGE=dev|prod     stage to synthesize (default dev)
 *   BENCH_ONLY=<substring>   only the bundles whose name contains it
 *   BENCH_COLD_SDK_BUNDLED=1 what-if: also time each entry rebuilt with the AWS SDK clients
 *                            bundled instead of taken from the runtime (not what deploys)
 *
 * Differences from AWS, all in the product's favour or neutral, listed so the numbers are read
 * right: Node here is the machine's (the functions run nodejs22.x); `@aws-sdk/client-*` are
 * resolved from the project (the Lambda runtime provides them); sharp's binaries are the host's
 * (the synth installs them for arm64; the same version for linux-x64 is added next to them); the
 * database is local without TLS or an IAM token (DATABASE_IAM_AUTH=false); APP_MODE=local lets
 * the local stand-ins answer for KMS, EventBridge and SES. Lambda's own runtime bootstrap and the
 * download of the code are not part of any number.
 */
import '../local/workflow/polyfills.js';
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import postgres from 'postgres';
import { claimsAsApiGateway } from '../local/auth/jwt-verifier.js';
import { routes } from '../functions/handlers/api/routes.js';
import { pathParamNames, type RouteEntry } from '../functions/handlers/api/route-def.js';
import { EMULATOR_API_KEY } from '../local/emulators/freepik/emulator.js';
import { startLocalStack, type LocalStack } from '../local/stack/stack.js';
import { benchStackOptions } from './bench-stack.js';
import { summarizeProfile, type CpuProfile, type ProfileSummary } from './cpu-profile.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(PROJECT_ROOT, '.local', 'cold-start');
const CHILD = fileURLToPath(new URL('./cold-start-child.mjs', import.meta.url));
const BUILTINS = new Set(builtinModules);
const API_GOAL_MS = 250;
const RENDER_GOAL_MS = 600;

/** One Lambda function of a synthesized template whose code is a bundled asset. */
interface Bundle {
  name: string;
  stack: string;
  /** Project-relative handler module (svp:handler metadata), when it is one of ours. */
  entry?: string;
  kind: 'api' | 'workflow' | 'job' | 'event' | 'other';
  dir: string;
  file: string;
  exportName: string;
  literalEnv: Record<string, string>;
  memoryMb?: number;
  bundleBytes: number;
  mapBytes: number;
  assetBytes: number;
  hostSharp: boolean;
  /** Packages the bundle imports at load but does not contain (the runtime's AWS SDK clients, sharp). */
  externals: string[];
  /** The same entry rebuilt with the AWS SDK clients inside (BENCH_COLD_SDK_BUNDLED=1), next to the original. */
  sdkBundled?: { file: string; bytes: number };
}

interface ChildResult {
  bootMs: number;
  importMs: number;
  invokeMs?: number;
  ok: boolean;
  status?: number;
  error?: string;
  result?: string;
  rssMb: number;
  wallMs: number;
  preloadMs?: Record<string, number>;
}

export interface ColdStartRow {
  name: string;
  kind: Bundle['kind'];
  entry?: string;
  event: string;
  bundle_kib: number;
  map_kib: number;
  asset_mib: number;
  memory_mb?: number;
  runs: number;
  boot_ms: number;
  init_ms: number;
  invoke_ms: number | null;
  first_response_ms: number | null;
  init_ms_without_source_maps: number;
  init_ms_spread: string;
  first_response_ms_spread: string;
  /** One cold start with the externals imported first: each one's import time, then the bundle's alone. */
  externals_ms: Record<string, number>;
  externals_total_ms: number;
  init_ms_bundle_alone: number;
  /** What-if (BENCH_COLD_SDK_BUNDLED=1): the same entry with the AWS SDK clients bundled. */
  sdk_bundled?: { bundle_kib: number; init_ms: number; first_response_ms: number | null };
  rss_mb: number;
  outcome: string;
  goal_ms?: number;
  goal_met?: boolean;
  init_top: string;
  invoke_top: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r1 = (x: number) => Math.round(x * 10) / 10;
const SDK_BUNDLED = 'index.sdk-bundled.mjs';
/** What deploys: the what-if variant written next to a bundle is not part of it. */
const dirBytes = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith(SDK_BUNDLED))
    .reduce(
      (n, e) =>
        n +
        (e.isDirectory() ? dirBytes(path.join(dir, e.name)) : e.isFile() ? statSync(path.join(dir, e.name)).size : 0),
      0,
    );

function synth(stage: string): string {
  const out = path.join(WORK, 'cdk.out');
  rmSync(out, { recursive: true, force: true });
  const t0 = performance.now();
  const env: NodeJS.ProcessEnv = { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', NODE_OPTIONS: '' };
  const r = spawnSync(
    path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk'),
    ['synth', '--quiet', '--no-notices', '-c', `stage=${stage}`, '-o', out],
    {
      cwd: PROJECT_ROOT,
      env,
      encoding: 'utf8',
      timeout: 600_000,
    },
  );
  if (r.status !== 0) throw new Error(`cdk synth failed (${r.status}):\n${(r.stderr || r.stdout).slice(-3000)}`);
  console.log(`synthesized stage ${stage} with bundling in ${Math.round((performance.now() - t0) / 1000)} s`);
  return out;
}

/** Every function of every template whose code is a bundled asset directory. */
function bundlesOf(cdkOut: string): Bundle[] {
  const out: Bundle[] = [];
  const hostSharp = `sharp-${process.platform}-${process.arch}`;
  for (const t of readdirSync(cdkOut).filter((f) => f.endsWith('.template.json'))) {
    const template = JSON.parse(readFileSync(path.join(cdkOut, t), 'utf8')) as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string>; Properties: Record<string, any> }>;
    };
    for (const [logicalId, r] of Object.entries(template.Resources)) {
      if (r.Type !== 'AWS::Lambda::Function' || !r.Metadata?.['aws:asset:path']) continue;
      const dir = path.join(cdkOut, r.Metadata['aws:asset:path']);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
      const [base, exportName] = String(r.Properties.Handler).split('.');
      const file = ['.mjs', '.js', '.cjs'].map((x) => path.join(dir, base + x)).find((f) => existsSync(f));
      if (!file) continue;
      const entry = r.Metadata['svp:handler'];
      const cdkPath = r.Metadata['aws:cdk:path'] ?? logicalId;
      const name = cdkPath.split('/').slice(1, -1).join('/') || logicalId;
      const kind: Bundle['kind'] = !entry
        ? 'other'
        : entry.startsWith('functions/handlers/api/')
          ? 'api'
          : entry.startsWith('functions/handlers/scheduled/') || name.startsWith('Job-')
            ? 'job'
            : entry.startsWith('functions/handlers/workflow/')
              ? 'workflow'
              : entry.startsWith('functions/handlers/events/')
                ? 'event'
                : 'other';
      const literalEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries((r.Properties.Environment?.Variables ?? {}) as Record<string, unknown>))
        if (typeof v === 'string') literalEnv[k] = v;
      // The synth installs sharp for the Lambda architecture; this machine needs its own binaries
      // of the same version beside them (the bundle and its JavaScript stay as synthesized).
      let sharp = false;
      const img = path.join(dir, 'node_modules', '@img');
      if (existsSync(path.join(dir, 'node_modules', 'sharp'))) {
        for (const p of [hostSharp, `sharp-libvips-${process.platform}-${process.arch}`]) {
          const from = path.join(PROJECT_ROOT, 'node_modules', '@img', p);
          if (!existsSync(path.join(img, p)) && existsSync(from)) {
            cpSync(from, path.join(img, p), { recursive: true });
            sharp = true;
          }
        }
      }
      // Lambda runs a .js handler as CommonJS (no package.json in /var/task); under the project
      // the nearest package.json says "module", so the staged asset gets its own.
      if (file.endsWith('.js') && !existsSync(path.join(dir, 'package.json')))
        writeFileSync(path.join(dir, 'package.json'), '{"type":"commonjs"}\n');
      const map = `${file}.map`;
      // Static imports left in the bundle (esbuild prints them as import{..}from"pkg" / import"pkg").
      const code = readFileSync(file, 'utf8');
      const externals = [
        ...new Set(
          [...code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[\w$\s{},*]+?\s*from\s*)?"([^"./][^"]*)"/g)].map((m) => m[1]),
        ),
      ].filter((x) => !x.startsWith('node:') && !BUILTINS.has(x));
      out.push({
        name,
        stack: t.replace('.template.json', ''),
        entry,
        kind,
        dir,
        file,
        exportName: exportName ?? 'handler',
        literalEnv,
        memoryMb: r.Properties.MemorySize,
        bundleBytes: statSync(file).size,
        mapBytes: existsSync(map) ? statSync(map).size : 0,
        assetBytes: dirBytes(dir),
        hostSharp: sharp,
        externals,
      });
    }
  }
  const order = { api: 0, workflow: 1, event: 2, job: 3, other: 4 };
  return out.sort((a, b) => order[a.kind] - order[b.kind] || a.name.localeCompare(b.name));
}

/**
 * What-if for the init cost of the AWS SDK clients: the bundle's entry rebuilt with the product's
 * esbuild options except that @aws-sdk/client-* are bundled (ESM, tree-shaken) instead of left
 * to the runtime's CommonJS copies. Written next to the original so it finds the same
 * node_modules (sharp) and copied folders (fonts).
 */
async function buildSdkBundled(b: Bundle): Promise<void> {
  if (!b.entry || !b.externals.some((x) => x.startsWith('@aws-sdk/client-'))) return;
  const [{ build }, { ESBUILD_OPTIONS, SHARP_NODE_MODULES }] = await Promise.all([
    import('esbuild'),
    import('../lib/constructs/app-function.js'),
  ]);
  const file = path.join(b.dir, SDK_BUNDLED);
  await build({
    entryPoints: [path.join(PROJECT_ROOT, b.entry)],
    outfile: file,
    ...ESBUILD_OPTIONS,
    external: b.externals.filter((x) => SHARP_NODE_MODULES.includes(x)),
    logLevel: 'error',
  });
  b.sdkBundled = { file, bytes: statSync(file).size };
}

/** The pipeline order the state machine runs the tasks in (a fresh request per round). */
const CHAIN = [
  'validate-brief',
  'source-image',
  'compose-master',
  'check-master',
  'render-variant',
  'decide',
  'approval-step',
  'publish',
];
const taskOf = (b: Bundle) => (b.entry ? path.basename(b.entry, '.ts') : '');

/** A cheap GET route of an API function: a list of the tenant (only {orgId}, {brandId}), else a public page. */
function routeFor(fn: string): RouteEntry | undefined {
  const gets = routes.filter((r) => r.fn === fn && r.method === 'GET');
  const only = (allowed: string[]) => (r: RouteEntry) => pathParamNames(r.path).every((p) => allowed.includes(p));
  return (
    gets.find((r) => r.auth === 'jwt' && only(['orgId'])(r)) ??
    gets.find((r) => r.auth === 'jwt' && only(['orgId', 'brandId'])(r)) ??
    gets.find((r) => r.auth === 'public' && only([])(r)) ??
    gets[0]
  );
}

function apiEvent(route: RouteEntry, params: Record<string, string>, claims: Record<string, string>) {
  const rawPath = route.path.replace(/\{([A-Za-z0-9_]+)\+?\}/g, (_, k: string) => params[k] ?? randomUUID());
  const pathParameters = Object.fromEntries(pathParamNames(route.path).map((k) => [k, params[k] ?? randomUUID()]));
  const routeKey = `${route.method} ${route.path}`;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    headers: { accept: 'application/json', host: 'api.example.com', 'user-agent': 'cold-start-bench' },
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method: route.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'cold-start-bench',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...(route.auth === 'jwt' ? { authorizer: { jwt: { claims, scopes: null } } } : {}),
    },
  };
}

/** The environment a function gets in AWS (its literal values) with local services for the rest. */
function childEnv(b: Bundle, stack: LocalStack, sourceMaps: boolean): NodeJS.ProcessEnv {
  const freepik = stack.freepik.emulator
    ? {
        FREEPIK_BASE_URL: stack.freepik.baseUrl,
        FREEPIK_API_KEY: EMULATOR_API_KEY,
        FREEPIK_LOCAL_HTTP_HOSTS: new URL(stack.freepik.baseUrl).hostname,
      }
    : {};
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG ?? 'C.UTF-8',
    TMPDIR: os.tmpdir(),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...b.literalEnv,
    NODE_OPTIONS: sourceMaps
      ? (b.literalEnv.NODE_OPTIONS ?? '')
      : (b.literalEnv.NODE_OPTIONS ?? '').replace('--enable-source-maps', '').trim(),
    APP_MODE: 'local',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    LOG_LEVEL: 'ERROR',
  };
  // Variables the template fills from other resources (tokens): their local stand-ins.
  Object.assign(env, {
    DATABASE_URL: stack.appUrl,
    DATABASE_READ_URL: stack.appUrl,
    DATABASE_IAM_AUTH: 'false',
    DB_POOL_MAX: '2',
    ASSET_BUCKET: stack.bucket,
    S3_ENDPOINT: stack.s3Endpoint,
    S3_PUBLIC_ENDPOINT: stack.s3Endpoint,
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:svp-bench',
    PUBLIC_BASE_URL: 'http://127.0.0.1:3000',
    MAIL_FROM: b.literalEnv.MAIL_FROM ?? 'approvals@example.com',
    FIELD_KEY_FILE: path.join(WORK, 'field.key'),
    // The migration function reads the owner secret from Secrets Manager: a name, never called.
    DB_OWNER_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:owner',
    DB_APP_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app',
    DB_NAME: 'svp',
    USER_ON_EVENT_FUNCTION_ARN: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
    ...freepik,
  });
  for (const k of [
    'FIELD_KMS_KEY_ID',
    'EVENT_BUS_NAME',
    'FREEPIK_API_KEY_SECRET_ARN',
    'ASSET_CDN_DOMAIN',
    'NODE_EXTRA_CA_CERTS',
  ])
    delete env[k];
  if (!env.NODE_OPTIONS) delete env.NODE_OPTIONS;
  return env;
}

async function coldStart(
  b: Bundle,
  event: unknown,
  env: NodeJS.ProcessEnv,
  opts: { profileDir?: string; preload?: string[] } = {},
): Promise<ChildResult> {
  const t0 = performance.now();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [CHILD, JSON.stringify({ file: b.file, exportName: b.exportName, event, ...opts })],
    {
      cwd: b.dir,
      env,
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const wallMs = performance.now() - t0;
  const last = stdout.trim().split('\n').pop()!;
  return { ...(JSON.parse(last) as Omit<ChildResult, 'wallMs'>), wallMs };
}

const topOf = (s: ProfileSummary | undefined, n: number) =>
  s
    ? s.byCategory
        .slice(0, n)
        .map((c) => `${c.category} ${c.ms}`)
        .join(', ')
    : '';

export async function benchColdStart(): Promise<ColdStartRow[]> {
  const runs = Math.max(1, Number(process.env.BENCH_COLD_RUNS) || 3);
  const only = process.env.BENCH_ONLY;
  mkdirSync(WORK, { recursive: true });
  const cdkOut = process.env.BENCH_CDK_OUT
    ? path.resolve(process.env.BENCH_CDK_OUT)
    : synth(process.env.BENCH_STAGE ?? 'dev');
  if (!cdkOut.startsWith(PROJECT_ROOT + path.sep)) {
    throw new Error(
      "BENCH_CDK_OUT must be inside the project: bundles resolve @aws-sdk/client-* (the Lambda runtime's) from its node_modules",
    );
  }
  const bundles = bundlesOf(cdkOut).filter((b) => !only || b.name.includes(only));
  const whatIf = process.env.BENCH_COLD_SDK_BUNDLED === '1';
  if (whatIf) for (const b of bundles) await buildSdkBundled(b);
  console.log(
    `${bundles.length} bundles; ${runs} timed cold starts each with and ${runs} without source maps, one with the externals timed apart, one profiled`,
  );

  const dataDir = path.join(WORK, 'stack');
  rmSync(dataDir, { recursive: true, force: true });
  const stack = await startLocalStack(benchStackOptions(dataDir, { api: false, recover: false }));
  const rows: ColdStartRow[] = [];
  const profiles: Record<string, { init?: ProfileSummary; invoke?: ProfileSummary }> = {};
  try {
    const acme = stack.seed.orgs.find((o) => o.slug === 'acme-coffee')!;
    const ownerUserId = stack.seed.userIds['owner@acme.test'];
    const claims = claimsAsApiGateway(decodeJwt(await stack.mintToken('owner@acme.test', { ttl: 3600 * 4 })));
    const sql = postgres(stack.ownerUrl, { max: 1, onnotice: () => {} });
    /** A request as the API would have created it, not started (the bench plays the state machine). */
    // The pipeline rounds end published: their workflow lets a compliance pass skip the review.
    const workflowId = stack.seed.workflowIds['acme-coffee'];
    await sql`update approval_workflows set allow_auto_approve = true where id = ${workflowId}`;
    const newRequest = async (status = 'queued', platforms = ['instagram_square']): Promise<string> => {
      const [{ id }] =
        await sql`insert into content_requests (organization_id, brand_id, workflow_id, requested_by, status, brief, image_spec, platforms, run)
        values (${acme.id}, ${acme.brandId}, ${workflowId}, ${ownerUserId}, ${status}::request_status,
          ${sql.json({
            headline: 'Slow mornings, fresh roasts',
            body: 'Our new single origin is in. Offer valid at participating stores only.',
            callToAction: 'Visit us today',
            hashtags: ['#AcmeCoffee'],
          })},
          ${sql.json({ source: 'stock', query: 'latte art' })}, ${platforms}, 1) returning id`;
      return id as string;
    };
    const ref = (requestId: string) => ({ orgId: acme.id, requestId, run: 1 });

    // Timed rounds alternate with and without source maps (drift hits both alike); then one
    // round with the externals imported first (what the bundle costs by itself), one profiled.
    type Round = 'maps' | 'no-maps' | 'sdk-bundled' | 'split' | 'profile';
    const timed: Round[] = whatIf ? ['maps', 'no-maps', 'sdk-bundled'] : ['maps', 'no-maps'];
    const plan: Round[] = [...Array.from({ length: runs }, () => timed).flat(), 'split', 'profile'];
    const chains = await Promise.all(plan.map(() => newRequest()));
    const eventFor = async (b: Bundle, round: number): Promise<{ label: string; event: unknown }> => {
      const task = taskOf(b);
      if (b.kind === 'api') {
        const fn = path.basename(b.entry!, '.ts');
        const route = routeFor(fn);
        if (!route) return { label: 'load only (no GET route)', event: null };
        return {
          label: `${route.method} ${route.path}`,
          event: apiEvent(route, { orgId: acme.id, brandId: acme.brandId }, claims),
        };
      }
      const chain = chains[round];
      switch (task) {
        case 'render-variant':
          return {
            label: 'render instagram_square (pipeline order)',
            event: { ...ref(chain), platform: 'instagram_square' },
          };
        case 'approval-step':
          return { label: 'action next (pipeline order)', event: { ...ref(chain), action: 'next', afterStep: -1 } };
        case 'record-rejection':
          return {
            label: "a reviewer's rejection",
            event: {
              ...ref(await newRequest('awaiting_approval')),
              approval: { decision: 'reject', reason: 'Off brand' },
            },
          };
        case 'record-failure':
          return {
            label: 'fail a fresh request',
            event: { ...ref(await newRequest()), error: { Error: 'States.TaskFailed', Cause: 'cold-start bench' } },
          };
        case 'execution-ended':
          return {
            label: 'TIMED_OUT of a fresh request',
            event: {
              version: '0',
              id: randomUUID(),
              'detail-type': 'Step Functions Execution Status Change',
              source: 'aws.states',
              account: '123456789012',
              time: new Date().toISOString(),
              region: 'us-east-1',
              resources: [],
              detail: {
                executionArn: 'arn:aws:states:us-east-1:123456789012:execution:svp:bench',
                status: 'TIMED_OUT',
                input: JSON.stringify(ref(await newRequest())),
              },
            },
          };
        case 'content-published':
          return {
            label: 'content.published (nothing to deliver)',
            event: {
              version: '0',
              id: randomUUID(),
              'detail-type': 'content.published',
              source: 'svp',
              account: '123456789012',
              time: new Date().toISOString(),
              region: 'us-east-1',
              resources: [],
              detail: { id: randomUUID(), organizationId: acme.id },
            },
          };
        default:
          if (CHAIN.includes(task)) return { label: 'pipeline order', event: ref(chain) };
          if (b.kind === 'job') {
            return b.entry!.includes('/scheduled/')
              ? {
                  label: `scheduled ${task} (forced)`,
                  event: { job: task, scheduledTime: new Date().toISOString(), force: true },
                }
              : { label: `scheduled ${task}`, event: {} };
          }
          return { label: 'load only (answers need AWS APIs)', event: null };
      }
    };
    // The chain tasks must run in pipeline order within a round; everything else in any order.
    const byChain = (b: Bundle) => {
      const i = CHAIN.indexOf(taskOf(b));
      return i < 0 ? CHAIN.length : i;
    };
    const ordered = [...bundles].sort((a, b) => byChain(a) - byChain(b));
    const results = new Map<
      string,
      { timed: ChildResult[]; noMaps: ChildResult[]; sdk: ChildResult[]; split?: ChildResult; label: string }
    >();
    for (const [round, kind] of plan.entries()) {
      for (const b of ordered) {
        const { label, event } = await eventFor(b, round);
        const entry = results.get(b.name) ?? { timed: [], noMaps: [], sdk: [], label };
        results.set(b.name, entry);
        try {
          if (kind === 'maps') entry.timed.push(await coldStart(b, event, childEnv(b, stack, true)));
          else if (kind === 'no-maps') entry.noMaps.push(await coldStart(b, event, childEnv(b, stack, false)));
          else if (kind === 'sdk-bundled') {
            if (b.sdkBundled)
              entry.sdk.push(await coldStart({ ...b, file: b.sdkBundled.file }, event, childEnv(b, stack, true)));
          } else if (kind === 'split')
            entry.split = await coldStart(b, event, childEnv(b, stack, true), { preload: b.externals });
          else {
            const dir = path.join(WORK, 'profiles', b.name.replace(/[^A-Za-z0-9-]+/g, '_'));
            rmSync(dir, { recursive: true, force: true });
            mkdirSync(dir, { recursive: true });
            await coldStart(b, event, childEnv(b, stack, true), { profileDir: dir });
            const read = (n: string) =>
              existsSync(path.join(dir, `${n}.cpuprofile`))
                ? summarizeProfile(
                    JSON.parse(readFileSync(path.join(dir, `${n}.cpuprofile`), 'utf8')) as CpuProfile,
                    PROJECT_ROOT,
                    12,
                  )
                : undefined;
            profiles[b.name] = { init: read('init'), invoke: read('invoke') };
          }
        } catch (e) {
          const err = e as { stderr?: string; message: string };
          const fail: ChildResult = {
            bootMs: 0,
            importMs: NaN,
            ok: false,
            error: `crashed: ${(err.stderr || err.message).split('\n').filter(Boolean).slice(-3).join(' | ').slice(0, 400)}`,
            rssMb: 0,
            wallMs: 0,
          };
          if (kind === 'maps') entry.timed.push(fail);
        }
      }
      console.log(`round ${round + 1}/${plan.length} done (${kind}; load ${os.loadavg()[0].toFixed(2)})`);
    }
    await sql.end();

    for (const b of bundles) {
      const r = results.get(b.name)!;
      const t = r.timed.filter((x) => Number.isFinite(x.importMs));
      const firsts = t.filter((x) => x.invokeMs !== undefined).map((x) => x.importMs + x.invokeMs!);
      const spread = (xs: number[]) => (xs.length ? `${r1(Math.min(...xs))}..${r1(Math.max(...xs))}` : '');
      const failures = r.timed.filter((x) => !x.ok);
      const outcome = !t.length
        ? (r.timed[0]?.error ?? 'no run')
        : failures.length
          ? `${failures.length}/${r.timed.length} failed: ${failures[0].error}`
          : t[0].invokeMs === undefined
            ? 'loaded'
            : t[0].status !== undefined
              ? `HTTP ${t[0].status}`
              : `ok ${t[0].result ?? ''}`.slice(0, 120);
      const goalMs = b.kind === 'api' ? API_GOAL_MS : taskOf(b) === 'render-variant' ? RENDER_GOAL_MS : undefined;
      const first = firsts.length ? r1(median(firsts)) : null;
      rows.push({
        name: b.name,
        kind: b.kind,
        entry: b.entry,
        event: r.label,
        bundle_kib: Math.round(b.bundleBytes / 1024),
        map_kib: Math.round(b.mapBytes / 1024),
        asset_mib: r1(b.assetBytes / 1048576),
        memory_mb: b.memoryMb,
        runs: t.length,
        boot_ms: t.length ? r1(median(t.map((x) => x.bootMs))) : NaN,
        init_ms: t.length ? r1(median(t.map((x) => x.importMs))) : NaN,
        invoke_ms: t.some((x) => x.invokeMs !== undefined)
          ? r1(median(t.filter((x) => x.invokeMs !== undefined).map((x) => x.invokeMs!)))
          : null,
        first_response_ms: first,
        init_ms_without_source_maps: r.noMaps.length ? r1(median(r.noMaps.map((x) => x.importMs))) : NaN,
        externals_ms: r.split?.preloadMs ?? {},
        externals_total_ms: r1(Object.values(r.split?.preloadMs ?? {}).reduce((a, v) => a + v, 0)),
        ...(b.sdkBundled && r.sdk.length
          ? {
              sdk_bundled: {
                bundle_kib: Math.round(b.sdkBundled.bytes / 1024),
                init_ms: r1(median(r.sdk.map((x) => x.importMs))),
                first_response_ms: r.sdk.every((x) => x.invokeMs !== undefined)
                  ? r1(median(r.sdk.map((x) => x.importMs + x.invokeMs!)))
                  : null,
              },
            }
          : {}),
        init_ms_bundle_alone: r.split ? r.split.importMs : NaN,
        init_ms_spread: spread(t.map((x) => x.importMs)),
        first_response_ms_spread: spread(firsts),
        rss_mb: t.length ? median(t.map((x) => x.rssMb)) : 0,
        outcome,
        ...(goalMs ? { goal_ms: goalMs, goal_met: first !== null && first < goalMs && !failures.length } : {}),
        init_top: topOf(profiles[b.name]?.init, 3),
        invoke_top: topOf(profiles[b.name]?.invoke, 3),
      });
    }
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
    for (const b of bundles)
      if (b.sdkBundled) for (const f of [b.sdkBundled.file, `${b.sdkBundled.file}.map`]) rmSync(f, { force: true });
  }

  console.table(
    rows.map((r) => ({
      bundle: r.name,
      KiB: r.bundle_kib,
      'asset MiB': r.asset_mib,
      'init ms': r.init_ms,
      'invoke ms': r.invoke_ms,
      'first resp ms': r.first_response_ms,
      'init no-maps': r.init_ms_without_source_maps,
      'externals ms': `${r.externals_total_ms} (${Object.entries(r.externals_ms)
        .map(([k, v]) => `${k.replace('@aws-sdk/client-', '')} ${v}`)
        .join(', ')})`,
      'bundle alone': r.init_ms_bundle_alone,
      ...(whatIf
        ? {
            'SDK bundled: KiB / init / first': r.sdk_bundled
              ? `${r.sdk_bundled.bundle_kib} / ${r.sdk_bundled.init_ms} / ${r.sdk_bundled.first_response_ms}`
              : '',
          }
        : {}),
      goal: r.goal_ms ? `${r.goal_met ? 'met' : 'MISSED'} <${r.goal_ms}` : '',
      outcome: r.outcome.slice(0, 48),
    })),
  );
  console.log('what dominates (CPU profile of one more cold start; ms of self time by package, idle excluded):');
  console.table(rows.map((r) => ({ bundle: r.name, init: r.init_top, 'first invocation': r.invoke_top })));
  const goalRows = rows.filter((r) => r.goal_ms);
  const missed = goalRows.filter((r) => !r.goal_met);
  console.log(
    `goal: API bundles < ${API_GOAL_MS} ms, render-variant < ${RENDER_GOAL_MS} ms to first response: ${
      missed.length
        ? `missed by ${missed.length} of ${goalRows.length} (${missed.map((r) => r.name).join(', ')})`
        : `met by all ${goalRows.length}`
    }`,
  );
  console.log(
    `load average (1 min) at the end: ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} CPUs; Node ${process.version}`,
  );
  console.log(
    `profiles (open in Chrome DevTools): ${path.relative(PROJECT_ROOT, path.join(WORK, 'profiles'))}` +
      `/<bundle>/{init,invoke}.cpuprofile; synth output kept for BENCH_CDK_OUT: ${path.relative(PROJECT_ROOT, cdkOut)}`,
  );
  mkdirSync(path.join(PROJECT_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    path.join(PROJECT_ROOT, 'bench/results/cold-start.json'),
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        loadAverage1m: os.loadavg()[0],
        runsPerBundle: runs,
        goals: { apiMs: API_GOAL_MS, renderMs: RENDER_GOAL_MS, met: missed.length === 0 },
        rows,
        profiles,
      },
      null,
      2,
    )}\n`,
  );
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  await benchColdStart();
  process.exit(0);
}
