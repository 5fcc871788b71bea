import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { claimsAsApiGateway, createJwtVerifier } from '../../../local/auth/jwt-verifier.js';
import { ensureLocalKeys, issueLocalToken, jwksPath, subjectForEmail } from '../../../local/auth/local-issuer.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'svp-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cfg = { keysDir: path.join(dir, 'keys'), issuer: 'https://iss.test', audience: 'aud-test' };

test('the key pair is created once (private key 0600), the JWKS holds only the public key', async () => {
  const [a, b] = await Promise.all([ensureLocalKeys(cfg.keysDir), ensureLocalKeys(cfg.keysDir)]);
  expect(a.kid).toBe(b.kid);
  expect(statSync(path.join(cfg.keysDir, 'private.jwk.json')).mode & 0o777).toBe(0o600);
  const jwks = JSON.parse(readFileSync(jwksPath(cfg.keysDir), 'utf8'));
  expect(jwks.keys).toHaveLength(1);
  expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: a.kid });
  expect(jwks.keys[0].d).toBeUndefined();
});

test('issued tokens verify like the authorizer would; expired / other audience / tampered are refused', async () => {
  const verify = createJwtVerifier({ ...cfg, jwksFile: jwksPath(cfg.keysDir) });
  const t = await issueLocalToken(cfg, { email: 'Ada@Example.test', name: 'Ada' });
  const p = await verify(`Bearer ${t}`);
  expect(p).toMatchObject({
    sub: subjectForEmail('ada@example.test'),
    email: 'ada@example.test',
    name: 'Ada',
    aud: 'aud-test',
    iss: 'https://iss.test',
  });
  const claims = claimsAsApiGateway(p);
  expect(typeof claims.exp).toBe('string');
  await expect(verify(`Bearer ${await issueLocalToken(cfg, { email: 'a@b.c', ttl: -5 })}`)).rejects.toMatchObject({
    code: 'unauthenticated',
    message: 'The token has expired',
  });
  await expect(verify(`Bearer ${await issueLocalToken(cfg, { email: 'a@b.c', audience: 'x' })}`)).rejects.toMatchObject(
    { code: 'unauthenticated' },
  );
  const [h, body, sig] = t.split('.');
  const forged = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), email: 'root@example.test' }),
  ).toString('base64url');
  await expect(verify(`Bearer ${h}.${forged}.${sig}`)).rejects.toMatchObject({ code: 'unauthenticated' });
  await expect(verify(undefined)).rejects.toMatchObject({ code: 'unauthenticated' });
  await expect(verify(`Basic ${t}`)).rejects.toMatchObject({ code: 'unauthenticated' });
});
