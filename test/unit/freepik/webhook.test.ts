import { describe, expect, test } from 'vitest';
import { parseMysticWebhook, signWebhook, verifyWebhookSignature } from '../../../functions/adapters/freepik/webhook.js';

const secret = 'whsec-test-0123456789abcdef';
const body = '{"task_id":"2ebf4829-1","status":"COMPLETED","generated":["https://ai-statics.freepik.com/x.png"],"has_nsfw":[false]}';
const now = Date.UTC(2026, 0, 1, 12);
const ts = String(Math.floor(now / 1000));

describe('Mystic webhook signatures', () => {
  test('a correct v1 entry verifies, also among several (secret rotation)', () => {
    const sig = signWebhook(secret, 'msg_1', ts, body);
    expect(verifyWebhookSignature({ secret, id: 'msg_1', timestamp: ts, signature: sig, rawBody: body, nowMs: now })).toBe(true);
    const other = signWebhook('another-secret-0123456789', 'msg_1', ts, body);
    expect(verifyWebhookSignature({ secret, id: 'msg_1', timestamp: ts, signature: `${other} ${sig}`, rawBody: body, nowMs: now })).toBe(true);
  });
  test('tampered body, wrong id, wrong secret, other versions, stale or future timestamps fail', () => {
    const sig = signWebhook(secret, 'msg_1', ts, body);
    const base = { secret, id: 'msg_1', timestamp: ts, signature: sig, rawBody: body, nowMs: now };
    expect(verifyWebhookSignature({ ...base, rawBody: body.replace('COMPLETED', 'FAILED') })).toBe(false);
    expect(verifyWebhookSignature({ ...base, id: 'msg_2' })).toBe(false);
    expect(verifyWebhookSignature({ ...base, secret: 'wrong-secret-0123456789' })).toBe(false);
    expect(verifyWebhookSignature({ ...base, signature: sig.replace('v1,', 'v2,') })).toBe(false);
    expect(verifyWebhookSignature({ ...base, signature: 'v1,' })).toBe(false);
    expect(verifyWebhookSignature({ ...base, nowMs: now + 301_000 })).toBe(false);
    expect(verifyWebhookSignature({ ...base, nowMs: now - 301_000 })).toBe(false);
  });
  test('parseMysticWebhook returns the task or refuses with typed errors', () => {
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': ts, 'webhook-signature': signWebhook(secret, 'msg_1', ts, body) };
    expect(parseMysticWebhook({ secret, headers, rawBody: Buffer.from(body), nowMs: now })).toEqual({
      taskId: '2ebf4829-1', status: 'COMPLETED', generated: ['https://ai-statics.freepik.com/x.png'], hasNsfw: [false],
    });
    expect(() => parseMysticWebhook({ secret, headers: { ...headers, 'webhook-signature': undefined }, rawBody: body, nowMs: now })).toThrow(expect.objectContaining({ code: 'unauthenticated' }));
    const junk = '{"hello":1}';
    const h2 = { 'webhook-id': 'm', 'webhook-timestamp': ts, 'webhook-signature': signWebhook(secret, 'm', ts, junk) };
    expect(() => parseMysticWebhook({ secret, headers: h2, rawBody: junk, nowMs: now })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
