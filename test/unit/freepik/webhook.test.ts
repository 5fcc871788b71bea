import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { parseMysticWebhook, signWebhook } from '../../../functions/adapters/freepik/webhook.js';

const secret = 'whsec-test-0123456789abcdef';
const body =
  '{"task_id":"2ebf4829-1","status":"COMPLETED","generated":["https://ai-statics.freepik.com/x.png"],"has_nsfw":[false]}';
const now = Date.UTC(2026, 0, 1, 12);
const ts = String(Math.floor(now / 1000));
const task = {
  taskId: '2ebf4829-1',
  status: 'COMPLETED',
  generated: ['https://ai-statics.freepik.com/x.png'],
  hasNsfw: [false],
};
const headersFor = (o: { id?: string; timestamp?: string; signature?: string; key?: string; raw?: string } = {}) => {
  const id = o.id ?? 'msg_1';
  const timestamp = o.timestamp ?? ts;
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': o.signature ?? signWebhook(o.key ?? secret, id, timestamp, o.raw ?? body),
  };
};

afterEach(() => {
  vi.useRealTimers();
});
const at = (ms: number) => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(ms);
};

describe('Mystic webhook signatures (Standard Webhooks, verified by the standardwebhooks library)', () => {
  test('a plain secret keys the HMAC with its bytes, as Freepik describes it; a whsec_ secret is base64', () => {
    expect(signWebhook(secret, 'msg_1', ts, body)).toBe(
      `v1,${createHmac('sha256', secret).update(`msg_1.${ts}.${body}`).digest('base64')}`,
    );
    const std = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    expect(signWebhook(std, 'msg_1', ts, body)).toBe(
      `v1,${createHmac('sha256', Buffer.alloc(32, 9)).update(`msg_1.${ts}.${body}`).digest('base64')}`,
    );
    at(now);
    expect(parseMysticWebhook({ secret: std, headers: headersFor({ key: std }), rawBody: body })).toEqual(task);
  });

  test('a correct v1 entry verifies, also among several (secret rotation), with headers in any case', () => {
    at(now);
    expect(parseMysticWebhook({ secret, headers: headersFor(), rawBody: Buffer.from(body) })).toEqual(task);
    const other = signWebhook('another-secret-0123456789', 'msg_1', ts, body);
    const rotated = { ...headersFor(), 'webhook-signature': `${other} ${headersFor()['webhook-signature']}` };
    expect(parseMysticWebhook({ secret, headers: rotated, rawBody: body })).toEqual(task);
    const upper = Object.fromEntries(Object.entries(headersFor()).map(([k, v]) => [k.toUpperCase(), [v]]));
    expect(parseMysticWebhook({ secret, headers: upper, rawBody: body })).toEqual(task);
  });

  test('tampered body, wrong id, wrong secret, other versions, missing headers: unauthenticated', () => {
    at(now);
    const refused = expect.objectContaining({ code: 'unauthenticated' });
    expect(() =>
      parseMysticWebhook({ secret, headers: headersFor(), rawBody: body.replace('COMPLETED', 'FAILED') }),
    ).toThrow(refused);
    expect(() =>
      parseMysticWebhook({ secret, headers: { ...headersFor(), 'webhook-id': 'msg_2' }, rawBody: body }),
    ).toThrow(refused);
    expect(() =>
      parseMysticWebhook({ secret: 'wrong-secret-0123456789', headers: headersFor(), rawBody: body }),
    ).toThrow(refused);
    expect(() =>
      parseMysticWebhook({
        secret,
        headers: { ...headersFor(), 'webhook-signature': headersFor()['webhook-signature'].replace('v1,', 'v2,') },
        rawBody: body,
      }),
    ).toThrow(refused);
    expect(() =>
      parseMysticWebhook({ secret, headers: { ...headersFor(), 'webhook-signature': 'v1,' }, rawBody: body }),
    ).toThrow(refused);
    expect(() =>
      parseMysticWebhook({ secret, headers: { ...headersFor(), 'webhook-signature': undefined }, rawBody: body }),
    ).toThrow(refused);
    // A timestamp changed after signing breaks the signature.
    expect(() =>
      parseMysticWebhook({
        secret,
        headers: { ...headersFor(), 'webhook-timestamp': String(Number(ts) + 1) },
        rawBody: body,
      }),
    ).toThrow(refused);
  });

  test('the replay window is 5 minutes either way', () => {
    const refused = expect.objectContaining({ code: 'unauthenticated' });
    at(now + 299_000);
    expect(parseMysticWebhook({ secret, headers: headersFor(), rawBody: body })).toEqual(task);
    at(now + 301_000);
    expect(() => parseMysticWebhook({ secret, headers: headersFor(), rawBody: body })).toThrow(refused);
    at(now - 301_000);
    expect(() => parseMysticWebhook({ secret, headers: headersFor(), rawBody: body })).toThrow(refused);
  });

  test('a verified body that is not a task is refused with typed errors', () => {
    at(now);
    const junk = '{"hello":1}';
    expect(() => parseMysticWebhook({ secret, headers: headersFor({ raw: junk }), rawBody: junk })).toThrow(
      expect.objectContaining({ code: 'validation_failed' }),
    );
    expect(() => parseMysticWebhook({ secret, headers: headersFor({ raw: 'not json' }), rawBody: 'not json' })).toThrow(
      expect.objectContaining({ code: 'bad_json' }),
    );
  });
});
