/**
 * Who is calling: read from the claims the JWT authorizer verified (never from the raw token or a
 * header), then mapped to a users row through app.resolve_user (SECURITY DEFINER: identity
 * resolution happens before any tenant is known).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { sql } from 'drizzle-orm';
import type { SqlRunner as Db } from '../sql-runner.js';
import { AppError } from '../errors.js';

export interface VerifiedClaims {
  sub: string;
  email: string;
  name?: string;
}

/** The signed-in user of a 'jwt' route. */
export interface Caller extends VerifiedClaims {
  userId: string;
}

/** Claims placed on the event by the API Gateway JWT authorizer (or the local server playing it). */
export function claimsFromEvent(event: APIGatewayProxyEventV2): VerifiedClaims {
  const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } }).authorizer
    ?.jwt?.claims;
  const sub = typeof claims?.sub === 'string' ? claims.sub : undefined;
  const email = typeof claims?.email === 'string' ? claims.email : undefined;
  if (!sub) throw new AppError('unauthenticated', 'No verified identity on the request');
  // We key users by email for invitations; a token without one (e.g. a Cognito access token) cannot be mapped.
  if (!email?.includes('@'))
    throw new AppError('unauthenticated', 'The token carries no email claim; send the ID token');
  // Users are linked (and invited) by email, so an unverified email must never map to an account:
  // otherwise signing up with someone else's address would take over their memberships.
  const verified = claims?.email_verified === true || claims?.email_verified === 'true';
  if (!verified) throw new AppError('unauthenticated', 'The email on this token is not verified');
  const name = typeof claims?.name === 'string' && claims.name ? claims.name : undefined;
  return { sub, email: email.toLowerCase(), name };
}

// sub -> user id never changes once linked, so a short per-container cache saves a round trip per request.
const cache = new Map<string, { userId: string; until: number }>();
const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

export async function resolveCaller(db: Db, claims: VerifiedClaims): Promise<Caller> {
  const now = Date.now();
  const hit = cache.get(claims.sub);
  if (hit && hit.until > now) return { ...claims, userId: hit.userId };
  const rows = await db.execute<{ id: string | null }>(
    sql`select app.resolve_user(${claims.sub}, ${claims.email}, ${claims.name ?? null}) as id`,
  );
  const userId = rows[0]?.id;
  if (!userId) throw new AppError('unauthenticated', 'Unknown user');
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(claims.sub, { userId, until: now + TTL_MS });
  return { ...claims, userId };
}

/** Tests that rewrite users between requests call this. */
export function clearCallerCache(): void {
  cache.clear();
}
