/**
 * Bundles every Lambda function of the app with esbuild, using the options AppFunction gives CDK
 * (BUNDLE_OPTIONS), records the sizes in bench/results/bundle-sizes.json and checks what a
 * deployer would notice: API handlers stay under 1 MB, sharp is imported exactly by the functions
 * declared as rendering (which are the only ones that get its native binaries), and every bundle
 * loads as an ES module (the createRequire banner) — the system bundle answers GET /health —
 * and no bundle carries code of the local wing (local/: emulators, local runner, local servers).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/config/handlers.js';
import { AppFunction, BUNDLE_OPTIONS, ESBUILD_OPTIONS, SHARP_NODE_MODULES } from '../../lib/constructs/app-function.js';
import { httpApiEvent } from '../support/api-gateway-event.js';
import { removeOutdirs, synthesize } from './support.js';

const run = promisify(execFile);
const MB = 1024 * 1024;
/** Inside the project so bundles resolve externals (sharp, @aws-sdk/client-*) like Lambda's /var/task + runtime. */
const OUT = path.join(PROJECT_ROOT, '.local', 'bundle-test');

interface Row {
  fn: string;
  entry: string;
  group: string;
  bytes: number;
  kb: number;
  importsSharp: boolean;
  sharpInstalled: boolean;
  sharpReason?: string;
  /** Project files esbuild put into the bundle (repo-relative; node_modules left out). */
  sources: string[];
  /** AWS SDK clients the bundle imports statically, i.e. loads before its handler runs. */
  sdkAtLoad: string[];
}
let rows: Row[] = [];
let fns: AppFunction[] = [];

beforeAll(async () => {
  const { appStack } = synthesize('prod');
  fns = appStack.node.findAll().filter((c): c is AppFunction => c instanceof AppFunction);
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const entryPoints = Object.fromEntries(fns.map((f) => [f.node.id, path.join(PROJECT_ROOT, f.entryPath)]));
  const result = await build({
    entryPoints,
    outdir: OUT,
    outExtension: { '.js': '.mjs' },
    ...ESBUILD_OPTIONS,
    // sharp external for all: which bundles import it is what is checked below.
    external: [...BUNDLE_OPTIONS.external, ...SHARP_NODE_MODULES],
    metafile: true,
    logLevel: 'silent',
  });
  const outputs = result.metafile.outputs as Metafile['outputs'];
  rows = fns
    .map((f) => {
      const out = path.join(OUT, `${f.node.id}.mjs`);
      const meta = Object.entries(outputs).find(([p]) => path.resolve(PROJECT_ROOT, p) === out)![1];
      const bytes = statSync(out).size;
      const sources = Object.keys(meta.inputs)
        .map((p) => path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, p)).split(path.sep).join('/'))
        .filter((p) => !p.split('/').includes('node_modules'));
      return {
        fn: f.node.id,
        entry: f.entryPath,
        group: f.group,
        bytes,
        kb: Math.round(bytes / 102.4) / 10,
        importsSharp: meta.imports.some((i) => i.path === 'sharp'),
        sharpInstalled: f.includesSharp,
        sharpReason: f.sharpReason,
        sources,
        sdkAtLoad: meta.imports
          .filter((i) => i.external && i.kind === 'import-statement' && i.path.startsWith('@aws-sdk/client-'))
          .map((i) => i.path),
      };
    })
    .sort((a, b) => b.bytes - a.bytes);
  mkdirSync(path.join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(
    path.join(PROJECT_ROOT, 'bench', 'results', 'bundle-sizes.json'),
    `${JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        options: BUNDLE_OPTIONS,
        functions: rows.map(({ sources: _, sdkAtLoad: __, ...r }) => r),
      },
      null,
      2,
    )}\n`,
  );
  console.table(
    rows.map((r) => ({
      function: r.fn,
      group: r.group,
      KiB: r.kb,
      sharp: r.importsSharp ? (r.sharpReason ?? 'UNDECLARED') : '',
    })),
  );
}, 300_000);

afterAll(() => {
  rmSync(OUT, { recursive: true, force: true });
  removeOutdirs();
});

describe('Lambda bundles', () => {
  it('covers every function of the app', () => {
    expect(rows.length).toBe(fns.length);
    expect(rows.length).toBeGreaterThan(25);
  });

  it('ships no code of the local wing, no emulator and nothing from test/ or bench/ in any Lambda', () => {
    // Sanity: the paths are what the filter below expects (a renamed root would make it vacuous).
    expect(rows.every((r) => r.sources.includes(r.entry))).toBe(true);
    expect(rows.flatMap((r) => r.sources).some((p) => p.startsWith('functions/shared/'))).toBe(true);
    const foreign = rows.flatMap((r) =>
      r.sources.filter((p) => /^(local|test|bench)\//.test(p) || /emulator/i.test(p)).map((p) => `${r.fn}: ${p}`),
    );
    expect(foreign).toEqual([]);
  });

  it('loads an AWS SDK client only where first used (its import is 15-95 ms of a cold start)', () => {
    // The adapters import their client inside the first call, so a function that never calls a
    // service (/health, dashboard pages, most jobs) never pays for it. Only the migration
    // functions, which read their secret before anything else, import one up front.
    expect(rows.some((r) => r.sdkAtLoad.length)).toBe(true); // the check sees static imports at all
    const upFront = rows
      .filter((r) => r.sdkAtLoad.length && !r.entry.startsWith('functions/handlers/migrate/'))
      .map((r) => `${r.fn}: ${r.sdkAtLoad.join(', ')}`);
    expect(upFront).toEqual([]);
  });

  it('keeps every API handler under 1 MB', () => {
    const api = rows.filter((r) => r.entry.startsWith('functions/handlers/api/'));
    expect(api.length).toBeGreaterThan(8);
    expect(api.filter((r) => r.bytes >= MB).map((r) => `${r.fn}: ${r.kb} KiB`)).toEqual([]);
  });

  it('installs sharp exactly where the code imports it (else a cold-start crash or dead weight)', () => {
    const mismatched = rows
      .filter((r) => r.importsSharp !== r.sharpInstalled)
      .map((r) => `${r.entry}: imports sharp=${r.importsSharp}, installed=${r.sharpInstalled}`);
    expect(mismatched).toEqual([]);
    expect(rows.filter((r) => r.group === 'render').every((r) => r.importsSharp)).toBe(true);
  });

  it('has sharp only in functions that render or decode images', () => {
    const carriers = rows.filter((r) => r.importsSharp);
    expect(carriers.length).toBeGreaterThan(0);
    expect(
      carriers
        .filter((r) => r.sharpReason !== 'renders' && r.sharpReason !== 'decodes')
        .map((r) => `${r.entry} (${r.sharpReason})`),
    ).toEqual([]);
    // API handlers: only the ones that decode uploads or render previews.
    expect(
      rows
        .filter((r) => r.entry.startsWith('functions/handlers/api/') && r.importsSharp)
        .every((r) => ['assets', 'templates'].some((fn) => r.entry.endsWith(`/${fn}.ts`))),
    ).toBe(true);
  });

  it('loads every bundle as an ES module and exports a handler', async () => {
    const env = {
      ...process.env,
      NODE_OPTIONS: '',
      AWS_REGION: 'us-east-1',
      APP_MODE: 'aws',
      DATABASE_URL: 'postgres://svp_app@127.0.0.1:1/svp',
      DATABASE_IAM_AUTH: 'true',
      ASSET_BUCKET: 'bundle-test',
      PUBLIC_BASE_URL: 'https://api.example.com',
      MAIL_FROM: 'approvals@example.com',
      DB_OWNER_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:owner',
      DB_APP_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app',
      STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:x',
    };
    const failures: string[] = [];
    // Two at a time: this machine has two cores.
    const queue = [...rows];
    await Promise.all(
      [0, 1].map(async () => {
        for (let r = queue.shift(); r; r = queue.shift()) {
          const file = path.join(OUT, `${r.fn}.mjs`);
          try {
            const { stdout } = await run(
              process.execPath,
              [
                '--input-type=module',
                '-e',
                `const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler); process.exit(0);`,
              ],
              { env, timeout: 60_000 },
            );
            if (stdout.trim() !== 'function') failures.push(`${r.fn}: handler is ${stdout.trim()}`);
          } catch (e) {
            failures.push(
              `${r.fn}: ${String((e as { stderr?: string }).stderr ?? e)
                .split('\n')
                .slice(0, 4)
                .join(' | ')}`,
            );
          }
        }
      }),
    );
    expect(failures).toEqual([]);
  }, 300_000);

  it('answers GET /health from the bundled system function', async () => {
    const file = path.join(OUT, 'Api-system.mjs');
    const event = httpApiEvent('GET /health', { headers: { accept: 'application/json' } });
    const context =
      "{ awsRequestId: 'r-1', functionName: 'system', callbackWaitsForEmptyEventLoop: false, getRemainingTimeInMillis: () => 10000 }";
    const script =
      `const m = await import(${JSON.stringify(file)}); const out = await m.handler(${JSON.stringify(event)}, ${context}); ` +
      'console.log(JSON.stringify(out)); process.exit(0);';
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, NODE_OPTIONS: '', APP_MODE: 'aws', AWS_REGION: 'us-east-1' },
      timeout: 60_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { statusCode: number; body: string };
    expect(out.statusCode).toBe(200);
    expect(JSON.parse(out.body)).toMatchObject({ status: 'ok' });
  }, 120_000);
});
