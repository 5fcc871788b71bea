/**
 * Verifies a bearer token the way the API Gateway HTTP API JWT authorizer does: signature against
 * the JWKS, `iss`, `aud` (or Cognito's `client_id`), `exp`/`nbf`. Used by the local API server;
 * in AWS the authorizer does this before the Lambda runs.
 */
import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { AppError } from '../../functions/shared/errors.js';

export interface JwtVerifierConfig {
  issuer: string;
  audience: string;
  /** A JWKS file (local issuer) ... */
  jwksFile?: string;
  /** ... or a remote JWKS URL (Cognito). */
  jwksUrl?: string;
}

export type JwtVerifier = (authorizationHeader: string | undefined) => Promise<JWTPayload>;

export function createJwtVerifier(cfg: JwtVerifierConfig): JwtVerifier {
  let keySet: JWTVerifyGetKey | undefined;
  const getKeySet = () => {
    if (keySet) return keySet;
    if (cfg.jwksUrl) keySet = createRemoteJWKSet(new URL(cfg.jwksUrl));
    else if (cfg.jwksFile) keySet = createLocalJWKSet(JSON.parse(readFileSync(cfg.jwksFile, 'utf8')) as JSONWebKeySet);
    else throw new Error('configuration error: JWKS_FILE or JWKS_URL is required');
    return keySet;
  };
  return async (header) => {
    const m = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(header ?? '');
    if (!m)
      throw new AppError('unauthenticated', 'Send an Authorization: Bearer <token> header', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    try {
      const { payload } = await jwtVerify(m[1], getKeySet(), {
        issuer: cfg.issuer,
        algorithms: ['ES256', 'RS256'],
        requiredClaims: ['exp', 'sub'],
      });
      // The HTTP API authorizer accepts the audience in `aud` (ID tokens) or `client_id` (access tokens).
      const aud = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
      if (!aud.includes(cfg.audience) && payload.client_id !== cfg.audience) {
        throw new AppError('unauthenticated', 'The token is for another audience', {
          headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
        });
      }
      return payload;
    } catch (e) {
      if (e instanceof AppError) throw e;
      const reason =
        e instanceof errors.JWTExpired
          ? 'The token has expired'
          : e instanceof errors.JWTClaimValidationFailed
            ? `The token is not valid (${e.claim})`
            : 'The token is not valid';
      throw new AppError('unauthenticated', reason, {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
    }
  };
}

/**
 * API Gateway passes verified claims to the Lambda as strings (numbers stringified, arrays as
 * `[a b]`); the local server does the same so handlers see exactly what they would see in AWS.
 */
export function claimsAsApiGateway(payload: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (v === undefined || v === null) continue;
    out[k] = Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}
