import { expect, test } from 'vitest';
import { rdsIamToken } from '../../functions/adapters/db/iam-token.js';

test('an RDS IAM token is a SigV4-presigned connect URL for the proxy host, user and region', async () => {
  const token = await rdsIamToken({
    hostname: 'proxy.example.us-east-1.rds.amazonaws.com',
    port: 5432,
    username: 'svp_app',
    region: 'us-east-1',
    credentials: {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      sessionToken: 'tok/en+=',
    },
  });
  expect(token.startsWith('proxy.example.us-east-1.rds.amazonaws.com:5432/?')).toBe(true);
  const q = new URLSearchParams(token.split('?')[1]);
  expect(q.get('Action')).toBe('connect');
  expect(q.get('DBUser')).toBe('svp_app');
  expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
  expect(q.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/us-east-1\/rds-db\/aws4_request$/);
  expect(q.get('X-Amz-Expires')).toBe('900');
  expect(q.get('X-Amz-Security-Token')).toBe('tok/en+=');
  expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
});

test('without credentials it fails loudly instead of connecting with an empty password', async () => {
  await expect(
    rdsIamToken({
      hostname: 'h',
      port: 5432,
      username: 'u',
      region: 'us-east-1',
      credentials: { accessKeyId: '', secretAccessKey: '' },
    }),
  ).rejects.toThrow(/no AWS credentials/);
});
