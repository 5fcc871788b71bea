/**
 * The local identity provider: an ES256 key pair generated once and kept under `.local/keys/`
 * (tests pass a temp dir), its JWKS written next to it as a file. Tokens look like Cognito ID
 * tokens (iss, aud, sub, email, name, token_use=id), so the API code path is the same locally and
 * in AWS. Subjects follow the convention `local|<email>` (see subjectForEmail).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

export interface LocalAuthConfig {
  /** Directory holding `private.jwk.json` and `jwks.json`. */
  keysDir: string;
  issuer: string;
  audience: string;
}

export const LOCAL_ISSUER = 'https://auth.local.svp.dev';
export const LOCAL_AUDIENCE = 'svp-local';

/** Defaults for `npm start` / dev:token; overridable by LOCAL_KEYS_DIR (or LOCAL_DATA_DIR), JWT_ISSUER, JWT_AUDIENCE. */
export function localAuthConfig(env: Record<string, string | undefined> = process.env): LocalAuthConfig {
  return {
    keysDir: path.resolve(env.LOCAL_KEYS_DIR ?? path.join(env.LOCAL_DATA_DIR ?? '.local', 'keys')),
    issuer: env.JWT_ISSUER ?? LOCAL_ISSUER,
    audience: env.JWT_AUDIENCE ?? LOCAL_AUDIENCE,
  };
}

/** The subject the local issuer uses for an email (dev:token and test fixtures rely on it). */
export const subjectForEmail = (email: string): string => `local|${email.trim().toLowerCase()}`;

export const jwksPath = (keysDir: string) => path.join(keysDir, 'jwks.json');
const privatePath = (keysDir: string) => path.join(keysDir, 'private.jwk.json');

interface LocalKeys {
  privateJwk: JWK;
  kid: string;
}
const keyCache = new Map<string, LocalKeys>();

/** Creates the key pair once (idempotent and safe against concurrent first runs) and writes the JWKS. */
export async function ensureLocalKeys(keysDir: string): Promise<LocalKeys> {
  const cached = keyCache.get(keysDir);
  if (cached) return cached;
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const file = privatePath(keysDir);
  if (!existsSync(file)) {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    try {
      // 'wx': if another process won the race, keep its key.
      writeFileSync(file, JSON.stringify(jwk), { flag: 'wx', mode: 0o600 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const privateJwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  const { d: _d, ...publicJwk } = privateJwk;
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks = { keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] };
  const tmp = `${jwksPath(keysDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(jwks, null, 2));
  renameSync(tmp, jwksPath(keysDir));
  const keys = { privateJwk, kid };
  keyCache.set(keysDir, keys);
  return keys;
}

export interface LocalTokenInput {
  email: string;
  /** Defaults to subjectForEmail(email). */
  sub?: string;
  name?: string;
  /** Lifetime in seconds (default 3600). Negative values mint already-expired tokens (tests). */
  ttl?: number;
  /** Override the audience (tests mint wrong-audience tokens with it). */
  audience?: string;
  issuer?: string;
}

export async function issueLocalToken(cfg: LocalAuthConfig, input: LocalTokenInput): Promise<string> {
  const { privateJwk, kid } = await ensureLocalKeys(cfg.keysDir);
  const key = await importJWK(privateJwk, 'ES256');
  const now = Math.floor(Date.now() / 1000);
  const ttl = input.ttl ?? 3600;
  const email = input.email.trim().toLowerCase();
  return new SignJWT({ email, email_verified: true, name: input.name ?? email.split('@')[0], token_use: 'id' })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
    .setIssuer(input.issuer ?? cfg.issuer)
    .setAudience(input.audience ?? cfg.audience)
    .setSubject(input.sub ?? subjectForEmail(email))
    .setIssuedAt(Math.min(now, now + ttl - 1))
    .setExpirationTime(now + ttl)
    .sign(key);
}
