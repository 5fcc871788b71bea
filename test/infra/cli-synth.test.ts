/**
 * The CDK CLI path CI and operators use (`cdk synth` -> cdk.json -> bin/app.ts) works with no AWS
 * credentials or config at all, for both stages. Bundling and CloudFormation schema validation
 * are skipped here for speed (the nag plugin still runs, so a finding fails this too); the bundle
 * test covers bundling with the same esbuild options.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/config/handlers.js';
import { removeOutdirs, tempOutdir } from './support.js';

const run = promisify(execFile);
afterAll(removeOutdirs);

/** The environment minus anything that could give the CLI AWS credentials or a region. */
function credentialFreeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && !k.startsWith('CDK_')) env[k] = v;
  const home = tempOutdir('svp-nohome-');
  return {
    ...env,
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
    CDK_DISABLE_VERSION_CHECK: '1',
    NODE_OPTIONS: '',
  };
}

describe.each(['dev', 'prod'] as const)('cdk synth without AWS credentials (%s)', (stage) => {
  it('synthesizes every stack through cdk.json and bin/app.ts', async () => {
    const out = tempOutdir(`svp-cli-${stage}-`);
    const cdk = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');
    await run(
      cdk,
      [
        'synth',
        '--quiet',
        '--no-validation',
        '--no-notices',
        '-c',
        `stage=${stage}`,
        '-c',
        'skipBundling=true',
        '-o',
        out,
      ],
      {
        cwd: PROJECT_ROOT,
        env: credentialFreeEnv(),
        timeout: 240_000,
      },
    );
    const expected = [`svp-${stage}-data`, `svp-${stage}-app`, ...(stage === 'prod' ? ['svp-prod-backup-copy'] : [])];
    for (const name of expected) expect(existsSync(path.join(out, `${name}.template.json`)), name).toBe(true);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; environment?: string }>;
    };
    const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
    expect(stacks.map(([n]) => n).sort()).toEqual(expected.sort());
    // Environment-agnostic (deploys to the CLI's account/region); the copy vault pins only its region.
    for (const [name, a] of stacks) {
      expect(a.environment, name).toBe(
        name.endsWith('backup-copy') ? 'aws://unknown-account/eu-central-1' : 'aws://unknown-account/unknown-region',
      );
    }
  }, 300_000);
});
