/**
 * The deploy-time migration handler end to end: a CloudFormation Create event reads the owner and
 * app credentials from Secrets Manager (a local stand-in speaking the AWS JSON protocol) and
 * migrates a real database; Delete does nothing; a bad secret fails the deployment.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

let t: TestDatabase;
let server: http.Server;
const secrets = new Map<string, string>();
const calls: string[] = [];
let handler: (
  e: CloudFormationCustomResourceEvent,
) => Promise<{ PhysicalResourceId: string; Data?: Record<string, unknown> }>;

const OWNER_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:svp-owner-AbCdEf';
const APP_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:svp-app-AbCdEf';

beforeAll(async () => {
  t = await createTestDatabase();
  const u = new URL(t.ownerUrl);
  secrets.set(
    OWNER_ARN,
    JSON.stringify({
      username: u.username,
      password: u.password,
      host: u.hostname,
      port: Number(u.port),
      dbname: t.name,
      engine: 'postgres',
    }),
  );
  secrets.set(APP_ARN, JSON.stringify({ username: 'svp_app', password: inject('pgAppPassword') }));
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      calls.push(String(req.headers['x-amz-target']));
      const id = (JSON.parse(body) as { SecretId: string }).SecretId;
      const s = secrets.get(id);
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (!s) {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'not found' }));
        return;
      }
      res.end(JSON.stringify({ ARN: id, Name: id.split(':').pop(), SecretString: s, VersionId: 'v1' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'eu-west-1',
    DB_OWNER_SECRET_ARN: OWNER_ARN,
    DB_APP_SECRET_ARN: APP_ARN,
    DB_SSLMODE: 'disable',
  });
  ({ handler } = await import('../../../functions/handlers/migrate/handler.js'));
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await t?.drop();
});

const event = (type: 'Create' | 'Update' | 'Delete', physical?: string) =>
  ({
    RequestType: type,
    ServiceToken: 'x',
    ResponseURL: 'https://example.invalid',
    StackId: 'stack',
    RequestId: 'r1',
    LogicalResourceId: 'Migrations',
    ResourceType: 'Custom::DbMigrations',
    ResourceProperties: { ServiceToken: 'x', Fingerprint: 'abc' },
    ...(physical ? { PhysicalResourceId: physical, OldResourceProperties: {} } : {}),
  }) as unknown as CloudFormationCustomResourceEvent;

test('Create migrates with credentials from Secrets Manager and returns a stable physical id', async () => {
  const r = await handler(event('Create'));
  expect(r.PhysicalResourceId).toBe(`svp-db-migrations-${t.name}`);
  expect(r.Data).toMatchObject({ AppliedNow: 0 });
  expect(Number(r.Data!.Total)).toBeGreaterThan(3);
  expect(calls.filter((c) => c === 'secretsmanager.GetSecretValue')).toHaveLength(2);
  const u = await handler(event('Update', r.PhysicalResourceId));
  expect(u.PhysicalResourceId).toBe(r.PhysicalResourceId);
});

test('Delete is a no-op that reads no secret', async () => {
  const before = calls.length;
  expect(await handler(event('Delete', 'svp-db-migrations-x'))).toEqual({ PhysicalResourceId: 'svp-db-migrations-x' });
  expect(calls.length).toBe(before);
});

test('a secret without credentials fails the deployment without echoing the secret', async () => {
  secrets.set(OWNER_ARN, JSON.stringify({ user: 'nobody', pass: 'hunter2' }));
  const err = await handler(event('Create')).then(
    () => null,
    (e: Error) => e,
  );
  expect(err?.message).toMatch(/lacks username, password/);
  expect(err?.message).not.toContain('hunter2');
});
