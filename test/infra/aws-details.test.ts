/**
 * Smaller things only real AWS holds us to: database TLS that verifies the server, engine
 * versions that do not drift, keys that outlive what they encrypt, the proxy-pinning alarm, the
 * Freepik API name a stage calls, and Cognito's mail going through SES.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../functions/adapters/db/client.js';
import { loadFreepikConfig } from '../../functions/adapters/freepik/config.js';
import { FREEPIK_APIS, stages, type StageConfig } from '../../lib/config/stages.js';
import { freepikEnvironment } from '../../lib/constructs/app-function.js';
import { ACCOUNT, AwsModel, REGION } from './aws-model.js';
import { realStagesForAll, synthesize, type SynthesizedApp } from './support.js';

const { prod, dev } = realStagesForAll();

describe('database', () => {
  it('connects through the proxy with verify-full, and to the writer with the RDS CA loaded', () => {
    const fns = new AwsModel(prod().templates as never).functions();
    const users = fns.filter((f) => f.env.DATABASE_URL);
    expect(users.length).toBeGreaterThan(20);
    for (const f of users) expect(new URL(f.env.DATABASE_URL).searchParams.get('sslmode'), f.entry).toBe('verify-full');
    const owners = fns.filter((f) => f.env.DB_OWNER_SECRET_ARN);
    expect(owners.map((f) => f.entry).sort()).toEqual([
      'functions/handlers/migrate/handler.ts',
      'functions/handlers/migrate/logins.ts',
    ]);
    for (const f of owners)
      expect([f.env.DB_SSLMODE, f.env.NODE_EXTRA_CA_CERTS]).toEqual(['verify-full', '/var/runtime/ca-cert.pem']);
  });

  it('does not upgrade instances behind the pinned engine version', () => {
    for (const s of [prod(), dev()]) {
      const instances = Object.values(s.data.findResources('AWS::RDS::DBInstance'));
      expect(instances.length).toBeGreaterThan(0);
      for (const i of instances) expect(i.Properties.AutoMinorVersionUpgrade).toBe(false);
    }
  });

  it('keeps the data key wherever the cluster leaves a snapshot encrypted with it', () => {
    for (const s of [prod(), dev()]) {
      const [cluster] = Object.values(s.data.findResources('AWS::RDS::DBCluster'));
      expect(['Snapshot', 'Retain']).toContain(cluster.DeletionPolicy);
      const keyId = (cluster.Properties.KmsKeyId as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      expect(
        s.templates[s.dataStack.stackName].Resources[keyId] as unknown as { DeletionPolicy: string },
      ).toMatchObject({ DeletionPolicy: 'Retain' });
    }
  });

  it('alarms when proxy sessions stay pinned', () => {
    prod().appT.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'svp-prod-db-proxy-pinned',
      MetricName: 'DatabaseConnectionsCurrentlySessionPinned',
      Namespace: 'AWS/RDS',
    });
  });
});

describe('database client TLS', () => {
  let dir: string;
  let server: net.Server;
  let port: number;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'svp-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const context = tls.createSecureContext({
      key: readFileSync(path.join(dir, 'key.pem')),
      cert: readFileSync(path.join(dir, 'cert.pem')),
    });
    // Speaks just enough PostgreSQL to accept SSLRequest, then TLS with a self-signed certificate:
    // a server anyone could stand up on the proxy's address.
    server = net.createServer((socket) => {
      socket.once('data', () => {
        socket.write('S');
        const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
        secure.on('error', () => {});
        secure.on('data', () => secure.destroy());
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('never sends an IAM token to a server whose certificate it cannot verify', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'ASIATEST', AWS_SECRET_ACCESS_KEY: 'secret' });
    const h = connect(`postgres://svp_app@localhost:${port}/svp?sslmode=verify-full`, {
      iamAuth: { region: 'us-east-1' },
      max: 1,
    });
    try {
      await expect(h.sql`select 1`).rejects.toThrow(/self[- ]signed certificate/);
    } finally {
      await h.close().catch(() => {});
      process.env = saved;
    }
  });
});

describe('Freepik API name', () => {
  const freepikFunctions = (s: SynthesizedApp) =>
    new AwsModel(s.templates as never).functions().filter((f) => f.env.FREEPIK_BASE_URL);

  it('gives the Source image function the Magnific pair when the stage is configured for it; downloads follow the host', () => {
    const magnific = synthesize('prod', { config: { ...stages.prod, freepik: { ...FREEPIK_APIS.magnific } } });
    const fns = freepikFunctions(magnific);
    expect(fns.map((f) => f.entry)).toEqual(['functions/handlers/workflow/source-image.ts']);
    const [fn] = fns;
    expect(fn.env).toMatchObject({
      FREEPIK_BASE_URL: 'https://api.magnific.com',
      FREEPIK_KEY_HEADER: 'x-magnific-api-key',
    });
    expect(fn.env.FREEPIK_API_KEY_SECRET_ARN).toMatch(/^arn:aws:secretsmanager:/);
    // What the function makes of its environment at cold start.
    const parsed = loadFreepikConfig(fn.env);
    expect([parsed.baseUrl, parsed.keyHeader]).toEqual(['https://api.magnific.com', 'x-magnific-api-key']);
    expect(parsed.download.allowedHosts).toEqual(
      expect.arrayContaining(['img.magnific.com', 'downloadscdn*.magnific.com', 'img.freepik.com']),
    );
  });

  it('gives both stages the Freepik pair by default', () => {
    for (const s of [prod(), dev()]) {
      const [fn] = freepikFunctions(s);
      expect(fn.env).toMatchObject({
        FREEPIK_BASE_URL: 'https://api.freepik.com',
        FREEPIK_KEY_HEADER: 'x-freepik-api-key',
      });
      expect(fn.env.FREEPIK_DOWNLOAD_HOSTS).toBeUndefined();
    }
  });

  it('passes a replaced download allow-list through', () => {
    const s = synthesize('dev', {
      config: {
        ...stages.dev,
        freepik: { ...FREEPIK_APIS.freepik, downloadHosts: ['img.freepik.com', 'cdn.example.net'] },
      },
    });
    const [fn] = freepikFunctions(s);
    expect(loadFreepikConfig(fn.env).download.allowedHosts).toEqual(['img.freepik.com', 'cdn.example.net']);
  });

  it("refuses at synth what the function would refuse, and a host paired with the other name's header", () => {
    expect(() => freepikEnvironment({ baseUrl: 'https://api.magnific.com', keyHeader: 'x-freepik-api-key' })).toThrow(
      /api\.magnific\.com \(magnific\) takes its key in x-magnific-api-key/,
    );
    expect(() => freepikEnvironment({ baseUrl: 'https://api.freepik.com/', keyHeader: 'x-magnific-api-key' })).toThrow(
      /FREEPIK_APIS\.freepik/,
    );
    expect(() => freepikEnvironment({ baseUrl: 'api.magnific.com', keyHeader: 'x-magnific-api-key' })).toThrow(
      /FREEPIK_BASE_URL/,
    );
    expect(() => freepikEnvironment({ ...FREEPIK_APIS.magnific, keyHeader: 'x magnific' })).toThrow(
      /FREEPIK_KEY_HEADER/,
    );
    expect(() => freepikEnvironment({ ...FREEPIK_APIS.freepik, downloadHosts: [] })).toThrow(/downloadHosts is empty/);
    // A proxy in front of the API may expect any header.
    expect(
      freepikEnvironment({ baseUrl: 'https://freepik-proxy.internal.example.com', keyHeader: 'x-proxy-key' }),
    ).toEqual({ FREEPIK_BASE_URL: 'https://freepik-proxy.internal.example.com', FREEPIK_KEY_HEADER: 'x-proxy-key' });
  });
});

describe('Cognito mail', () => {
  const pools = (s: SynthesizedApp) =>
    Object.entries(s.templates[s.appStack.stackName].Resources).filter(([, r]) => r.Type === 'AWS::Cognito::UserPool');
  const identities = (s: SynthesizedApp) =>
    Object.entries(s.templates[s.appStack.stackName].Resources).filter(([, r]) => r.Type === 'AWS::SES::EmailIdentity');

  it("sends prod invitations and resets through the stage's own SES identity, which the pool waits for", () => {
    const model = new AwsModel(prod().templates as never);
    const stack = prod().appStack.stackName;
    const [[, pool]] = pools(prod());
    const [identityLid] = identities(prod()).find(
      ([, r]) => r.Properties!.EmailIdentity === stages.prod.auth.email!.sesIdentity,
    )!;
    expect(model.resolve(stack, pool.Properties!.EmailConfiguration)).toEqual({
      EmailSendingAccount: 'DEVELOPER',
      From: 'Social Visual Pipeline <sign-in@example.com>',
      ReplyToEmailAddress: 'support@example.com',
      SourceArn: `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${model.ref(stack, identityLid)}`,
    });
    expect(pool.DependsOn).toContain(identityLid);
  });

  it('leaves Cognito on its own sender for a first deploy (-c firstDeploy=true), when the identity cannot be verified yet', () => {
    const s = synthesize('prod', { context: { firstDeploy: 'true' } });
    const [[, pool]] = pools(s);
    expect(pool.Properties!.EmailConfiguration).toBeUndefined();
    // The identity itself is still created by that deploy, so SES can start verifying it.
    expect(identities(s).some(([, r]) => r.Properties!.EmailIdentity === stages.prod.auth.email!.sesIdentity)).toBe(
      true,
    );
  });

  it("keeps Cognito's default sender in dev", () => {
    const [[, pool]] = pools(dev());
    expect(stages.dev.auth.email).toBeUndefined();
    expect(pool.Properties!.EmailConfiguration).toBeUndefined();
  });

  it('sends through an identity verified outside the stack without depending on anything of ours, in the region given', () => {
    const config: StageConfig = {
      ...stages.prod,
      auth: {
        ...stages.prod.auth,
        email: {
          from: 'no-reply@mail.customer.example',
          sesIdentity: 'no-reply@mail.customer.example',
          sesRegion: 'eu-west-1',
        },
      },
    };
    const s = synthesize('prod', { config });
    const model = new AwsModel(s.templates as never);
    const [[, pool]] = pools(s);
    expect(model.resolve(s.appStack.stackName, pool.Properties!.EmailConfiguration)).toEqual({
      EmailSendingAccount: 'DEVELOPER',
      From: 'no-reply@mail.customer.example',
      SourceArn: `arn:aws:ses:eu-west-1:${ACCOUNT}:identity/no-reply@mail.customer.example`,
    });
    const ours = new Set(identities(s).map(([lid]) => lid));
    expect(ours.size).toBeGreaterThan(0);
    expect((pool.DependsOn ?? []).filter((d) => ours.has(d))).toEqual([]);
  });

  it('refuses a From address the identity does not cover', () => {
    for (const email of [
      { from: 'sign-in@other.example', sesIdentity: 'example.com' },
      { from: 'sign-in@example.com', sesIdentity: 'approvals@example.com' },
      { from: 'sign-in@mail.example.com', sesIdentity: 'example.com' },
    ]) {
      const config: StageConfig = { ...stages.prod, auth: { ...stages.prod.auth, email } };
      expect(() => synthesize('prod', { config }), JSON.stringify(email)).toThrow(/is not covered by the SES identity/);
    }
  });
});
