import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  generateLinkToken,
  hashLinkToken,
  isWellFormedLinkToken,
  issueFormToken,
  linkRefusal,
  originAllowed,
  reviewUrl,
  verifyFormToken,
  FORM_TOKEN_TTL_MS,
} from '../../../functions/domain/approvals/link-token.js';
import { Webhook } from 'standardwebhooks';
import {
  newWebhookSecret,
  retryDelayMs,
  standardWebhookSecret,
  webhookSignatureHeaders,
} from '../../../functions/domain/approvals/webhook-signature.js';
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
  const link = {
    expiresAt: new Date('2030-01-02T00:00:00Z'),
    usedAt: null,
    revokedAt: null,
    variantChecksums: { instagram_square: 'aa', x: 'bb' },
  };
  const ctx = { now, stepStatus: 'pending', requestOpen: true, currentChecksums: { x: 'bb', instagram_square: 'aa' } };

  test('a link works once, until it expires, for exactly the variants it was issued for', () => {
    expect(linkRefusal(link, ctx)).toBeNull();
    expect(linkRefusal({ ...link, usedAt: now }, ctx)).toBe('used');
    expect(linkRefusal({ ...link, revokedAt: now }, ctx)).toBe('revoked');
    expect(linkRefusal({ ...link, expiresAt: now }, ctx)).toBe('expired');
    expect(linkRefusal(link, { ...ctx, currentChecksums: { x: 'bb', instagram_square: 'changed' } })).toBe(
      'variants_changed',
    );
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
  test('the headers are Standard Webhooks: webhook-id, unix webhook-timestamp, v1 HMAC over id.timestamp.body with the whsec_ key', () => {
    const secret = newWebhookSecret();
    const at = new Date(1_900_000_000_500);
    const h = webhookSignatureHeaders(secret, { id: 'evt_1', body, at });
    expect(h['webhook-id']).toBe('evt_1');
    expect(h['webhook-timestamp']).toBe('1900000000');
    // The spec's construction, computed here without the library.
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    expect(h['webhook-signature']).toBe(
      `v1,${createHmac('sha256', key).update(`evt_1.1900000000.${body}`).digest('base64')}`,
    );
  });

  test('a secret stored before the switch (whsec_ + unpadded base64url) keeps its 32 bytes as the key', () => {
    const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => (250 - i * 7) & 0xff)); // has bytes that base64url writes as - and _
    const old = `whsec_${bytes.toString('base64url')}`;
    expect(old).toMatch(/[-_]/);
    // The receiver libraries cannot decode the old form...
    expect(() => new Webhook(old).sign('m', new Date(), body)).toThrow();
    // ...the standard form of the same bytes is what signs and what the tenant may use.
    const std = standardWebhookSecret(old);
    expect(std).toBe(`whsec_${bytes.toString('base64')}`);
    expect(standardWebhookSecret(std)).toBe(std);
    const at = new Date();
    const h = webhookSignatureHeaders(old, { id: 'evt_2', body, at });
    expect(new Webhook(std).verify(body, h)).toEqual(JSON.parse(body));
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
    const v = [
      { platform: 'a', sha256: '1' },
      { platform: 'b', sha256: '2' },
    ];
    const id = publicationEventId('11111111-2222-3333-4444-555555555555', v);
    expect(publicationEventId('11111111-2222-3333-4444-555555555555', [...v].reverse())).toBe(id);
    expect(publicationEventId('11111111-2222-3333-4444-555555555555', [v[0], { platform: 'b', sha256: '3' }])).not.toBe(
      id,
    );
  });
});
