import { describe, expect, test } from 'vitest';
import { generateLinkToken, hashLinkToken, isWellFormedLinkToken, issueFormToken, linkRefusal, originAllowed, reviewUrl, verifyFormToken, FORM_TOKEN_TTL_MS } from '../../../functions/domain/approvals/link-token.js';
import { signatureHeader, verifySignature, retryDelayMs } from '../../../functions/domain/approvals/webhook-signature.js';
import { checksumProblems, publicationEventId } from '../../../functions/domain/approvals/manifest.js';

describe('link tokens', () => {
  test('256 random bits as 43 base64url characters; only the sha256 is kept', () => {
    const a = generateLinkToken();
    const b = generateLinkToken();
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.token, 'base64url')).toHaveLength(32);
    expect(a.token).not.toBe(b.token);
    expect(a.hash.equals(hashLinkToken(a.token))).toBe(true);
    expect(a.hash).toHaveLength(32);
  });

  test('malformed tokens are rejected before any lookup', () => {
    const { token } = generateLinkToken();
    expect(isWellFormedLinkToken(token)).toBe(true);
    expect(isWellFormedLinkToken(token.slice(1))).toBe(false);
    expect(isWellFormedLinkToken(`${token.slice(0, 42)}=`)).toBe(false);
    expect(isWellFormedLinkToken(`${token.slice(0, 42)}/`)).toBe(false);
  });

  test('links are built from configuration', () => {
    expect(reviewUrl('https://review.example.com/', 'abc')).toBe('https://review.example.com/review/abc');
  });

  const now = new Date('2030-01-01T00:00:00Z');
  const link = { expiresAt: new Date('2030-01-02T00:00:00Z'), usedAt: null, revokedAt: null, variantChecksums: { instagram_square: 'aa', x: 'bb' } };
  const ctx = { now, stepStatus: 'pending', requestOpen: true, currentChecksums: { x: 'bb', instagram_square: 'aa' } };

  test('a link works once, until it expires, for exactly the variants it was issued for', () => {
    expect(linkRefusal(link, ctx)).toBeNull();
    expect(linkRefusal({ ...link, usedAt: now }, ctx)).toBe('used');
    expect(linkRefusal({ ...link, revokedAt: now }, ctx)).toBe('revoked');
    expect(linkRefusal({ ...link, expiresAt: now }, ctx)).toBe('expired');
    expect(linkRefusal(link, { ...ctx, currentChecksums: { x: 'bb', instagram_square: 'changed' } })).toBe('variants_changed');
    expect(linkRefusal(link, { ...ctx, currentChecksums: { x: 'bb' } })).toBe('variants_changed');
    expect(linkRefusal(link, { ...ctx, stepStatus: 'approved' })).toBe('decided');
    expect(linkRefusal(link, { ...ctx, requestOpen: false })).toBe('request_closed');
  });

  test('form tokens are bound to the link and expire', () => {
    const { token } = generateLinkToken();
    const other = generateLinkToken().token;
    const f = issueFormToken(token, 'link-1', now);
    expect(verifyFormToken(f, token, 'link-1', now)).toBe(true);
    expect(verifyFormToken(f, token, 'link-2', now)).toBe(false);
    expect(verifyFormToken(f, other, 'link-1', now)).toBe(false);
    expect(verifyFormToken(f, token, 'link-1', new Date(now.getTime() + FORM_TOKEN_TTL_MS + 1))).toBe(false);
    const [t, n, mac] = f.split('.');
    // Every other spelling of the MAC is refused, including the last character, whose low bits
    // are base64url padding (decoding alone would not tell 'A' from 'B' there).
    for (const i of [0, 21, mac.length - 1]) {
      const flipped = `${mac.slice(0, i)}${mac[i] === 'A' ? 'B' : 'A'}${mac.slice(i + 1)}`;
      expect(verifyFormToken(`${t}.${n}.${flipped}`, token, 'link-1', now)).toBe(false);
    }
    expect(verifyFormToken('', token, 'link-1', now)).toBe(false);
  });

  test('origin check: the configured origin (or the null origin no-referrer pages send); other sites refused', () => {
    const base = 'https://review.example.com';
    expect(originAllowed({}, base)).toBe(true);
    expect(originAllowed({ origin: 'https://review.example.com', secFetchSite: 'same-origin' }, base)).toBe(true);
    expect(originAllowed({ origin: 'null', secFetchSite: 'same-origin' }, base)).toBe(true);
    expect(originAllowed({ origin: 'https://evil.example' }, base)).toBe(false);
    expect(originAllowed({ origin: 'https://review.example.com.evil.example' }, base)).toBe(false);
    expect(originAllowed({ origin: 'null', secFetchSite: 'cross-site' }, base)).toBe(false);
    expect(originAllowed({ secFetchSite: 'same-site' }, base)).toBe(false);
  });
});

describe('webhook signatures', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'content.published' });
  test('t=<unix>,v1=<hex hmac(secret, t.body)> verifies; anything else does not', () => {
    const h = signatureHeader('whsec_test', body, 1_900_000_000);
    expect(h).toMatch(/^t=1900000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature('whsec_test', h, body, 1_900_000_010)).toBe(true);
    expect(verifySignature('whsec_other', h, body, 1_900_000_010)).toBe(false);
    expect(verifySignature('whsec_test', h, `${body} `, 1_900_000_010)).toBe(false);
    expect(verifySignature('whsec_test', h, body, 1_900_000_000 + 3600)).toBe(false);
    expect(verifySignature('whsec_test', undefined, body, 1_900_000_000)).toBe(false);
  });

  test('backoff grows exponentially with bounded jitter and a cap', () => {
    expect(retryDelayMs(1, { baseMs: 1000, random: () => 0 })).toBe(1000);
    expect(retryDelayMs(4, { baseMs: 1000, random: () => 0 })).toBe(8000);
    expect(retryDelayMs(4, { baseMs: 1000, random: () => 1 })).toBe(9600);
    expect(retryDelayMs(40, { baseMs: 1000, maxMs: 60_000, random: () => 0 })).toBe(60_000);
  });
});

describe('publication', () => {
  test('checksum differences are named per platform', () => {
    expect(checksumProblems({ a: '1', b: '2' }, { a: '1', b: '2' })).toEqual([]);
    expect(checksumProblems({ a: '1', b: '2' }, { a: '9', c: '3' })).toEqual([
      { platform: 'a', problem: 'changed', approved: '1', actual: '9' },
      { platform: 'b', problem: 'missing', approved: '2' },
      { platform: 'c', problem: 'unexpected', actual: '3' },
    ]);
  });

  test('the event id depends on the request and the exact variants only', () => {
    const v = [{ platform: 'a', sha256: '1' }, { platform: 'b', sha256: '2' }];
    const id = publicationEventId('11111111-2222-3333-4444-555555555555', v);
    expect(publicationEventId('11111111-2222-3333-4444-555555555555', [...v].reverse())).toBe(id);
    expect(publicationEventId('11111111-2222-3333-4444-555555555555', [v[0], { platform: 'b', sha256: '3' }])).not.toBe(id);
  });
});
