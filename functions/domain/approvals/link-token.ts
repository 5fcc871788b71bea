/**
 * Review links are capabilities: 256 random bits, base64url (43 characters), shown once in the
 * email and stored only as their sha256. A link is single use, expires, and is bound to the exact
 * variant checksums the approver is asked to review, so an approval can never be applied to
 * images that changed after the email went out.
 *
 * The review form carries a per-render token, HMAC-SHA256 keyed with the raw link token over
 * (link id, nonce, issue time): it proves the POST comes from a page rendered for this very link
 * (a cross-site form cannot forge it without the link token) and needs no server-wide secret.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const LINK_TOKEN_BYTES = 32;
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export interface LinkToken {
  /** The raw token: goes into the emailed URL and nowhere else. */
  token: string;
  /** sha256 of the token: the only form the database holds. */
  hash: Buffer;
}

export function generateLinkToken(random: (n: number) => Buffer = randomBytes): LinkToken {
  const token = random(LINK_TOKEN_BYTES).toString('base64url');
  return { token, hash: hashLinkToken(token) };
}

export const hashLinkToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** True when `s` has the shape of a link token (cheap check before any database lookup). */
export const isWellFormedLinkToken = (s: string): boolean => TOKEN_RE.test(s);

/** The review URL for a token, built from configuration (never from a request's Host header). */
export function reviewUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/review/${token}`;
}

export type LinkRefusal = 'used' | 'revoked' | 'expired' | 'variants_changed' | 'decided' | 'request_closed';

export interface LinkState {
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
  /** Checksums the link was issued for. */
  variantChecksums: Record<string, string>;
}

/** Same platforms, same sha256 each. */
export function sameChecksums(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/**
 * Null when the link may still be used to decide, else why not. Order matters for the message the
 * approver sees: a link used by its owner says "used" even after the step closed.
 */
export function linkRefusal(
  link: LinkState,
  ctx: { now: Date; stepStatus: string; requestOpen: boolean; currentChecksums: Record<string, string> },
): LinkRefusal | null {
  if (link.usedAt) return 'used';
  if (ctx.stepStatus !== 'pending') return 'decided';
  if (!ctx.requestOpen) return 'request_closed';
  if (link.revokedAt) return 'revoked';
  if (link.expiresAt.getTime() <= ctx.now.getTime()) return 'expired';
  if (!sameChecksums(link.variantChecksums, ctx.currentChecksums)) return 'variants_changed';
  return null;
}

/** How long the review form stays valid after rendering. */
export const FORM_TOKEN_TTL_MS = 2 * 60 * 60 * 1000;

function formMac(linkToken: string, linkId: string, nonce: string, issuedAt: number): Buffer {
  return createHmac('sha256', linkToken).update(`review-form\n${linkId}\n${nonce}\n${issuedAt}`).digest();
}

/** `<issuedAt>.<nonce>.<mac>` for a freshly rendered review form. */
export function issueFormToken(
  linkToken: string,
  linkId: string,
  now: Date,
  random: (n: number) => Buffer = randomBytes,
): string {
  const nonce = random(16).toString('base64url');
  const issuedAt = now.getTime();
  return `${issuedAt}.${nonce}.${formMac(linkToken, linkId, nonce, issuedAt).toString('base64url')}`;
}

/** True when `formToken` was issued for this link token and link id within the TTL. */
export function verifyFormToken(formToken: string, linkToken: string, linkId: string, now: Date): boolean {
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(formToken ?? '');
  if (!m) return false;
  const issuedAt = Number(m[1]);
  const age = now.getTime() - issuedAt;
  if (age < -60_000 || age > FORM_TOKEN_TTL_MS) return false;
  // Compared as text: 43 base64url characters carry 2 spare bits, so decoding first would accept
  // four spellings of one MAC (a changed last character could still verify).
  const expected = Buffer.from(formMac(linkToken, linkId, m[2], issuedAt).toString('base64url'));
  const got = Buffer.from(m[3]);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/**
 * Origin check for a state-changing POST. A present Origin must be the configured public origin,
 * except `null`: under `Referrer-Policy: no-referrer` browsers send `Origin: null` even on a
 * same-origin form post, so `null` proves nothing either way (the form token is the guard then).
 * Fetch metadata, when sent, must say the post came from our own page (`same-origin`) or from the
 * user directly (`none`); `same-site` and `cross-site` are refused.
 */
export function originAllowed(headers: { origin?: string; secFetchSite?: string }, publicBaseUrl: string): boolean {
  if (headers.secFetchSite && !['same-origin', 'none'].includes(headers.secFetchSite)) return false;
  if (!headers.origin || headers.origin === 'null') return true;
  try {
    return new URL(headers.origin).origin === new URL(publicBaseUrl).origin;
  } catch {
    return false;
  }
}
