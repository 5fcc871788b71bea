/**
 * Outgoing webhooks as a tenant's receiver sees them: a local HTTP server that verifies every POST
 * with the `standardwebhooks` library (what a receiver in any language would use) and answers 204
 * only when the signature and timestamp hold, 401 otherwise. Deliveries go through the real
 * webhook transport from rows queued the way publishing queues them, with the secret the endpoint
 * API handed out.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { withTenant } from '../../../functions/adapters/db/client.js';
import { FieldCipher, LocalKeyProvider } from '../../../functions/adapters/crypto/envelope.js';
import { approvalServices } from '../../../functions/handlers/composition/approvals.js';
import { provide } from '../../../functions/handlers/composition/root.js';
import { realClock } from '../../../functions/adapters/limits/clock.js';
import {
  deliverEvent,
  enqueueDeliveries,
  SECRET_FIELD,
  type WebhookBody,
} from '../../../functions/app/approvals/webhooks.js';
import { standardWebhookSecret } from '../../../functions/domain/approvals/webhook-signature.js';
import { startTestApi, type TestApi } from '../../support/api.js';
import { createTenant, type Fixture } from './support.js';

interface Captured {
  headers: Record<string, string>;
  body: string;
  status: number;
  error?: string;
  payload?: unknown;
}

/** A receiver written the way our docs tell tenants to write one. */
async function startVerifyingReceiver() {
  const state = { secret: '' };
  const received: Captured[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = req.headers as Record<string, string>;
      try {
        const payload = new Webhook(state.secret).verify(body, headers);
        received.push({ headers, body, status: 204, payload });
        res.statusCode = 204;
      } catch (e) {
        received.push({ headers, body, status: 401, error: (e as Error).message });
        res.statusCode = 401;
      }
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/svp`;
  return {
    url,
    received,
    state,
    /** POSTs a (possibly altered) copy of a captured delivery, as an attacker replaying it would. */
    async resend(c: Pick<Captured, 'headers' | 'body'>): Promise<number> {
      const headers = Object.fromEntries(
        ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type'].map((k) => [k, c.headers[k]!]),
      );
      return (await fetch(url, { method: 'POST', headers, body: c.body })).status;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let api: TestApi;
let acme: Fixture;
let ownerToken: string;
let receiver: Awaited<ReturnType<typeof startVerifyingReceiver>>;
let hook: { id: string; secret: string };

beforeAll(async () => {
  api = await startTestApi();
  acme = await createTenant(api.db.owner, 'Acme');
  ownerToken = await api.token(acme.users.owner.email);
  receiver = await startVerifyingReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await api?.close();
});

beforeEach(async () => {
  // The real clock again after a test that set it back.
  provide({
    clock: realClock,
    appMode: 'local',
    sleep: async () => {},
    secrets: new FieldCipher(new LocalKeyProvider(Buffer.alloc(32, 7))),
  });
  const r = await api.call('POST', `/v1/orgs/${acme.orgId}/webhooks`, {
    token: ownerToken,
    body: { url: receiver.url },
  });
  expect(r.status).toBe(201);
  hook = { id: r.body.id, secret: r.body.secret };
  receiver.state.secret = hook.secret;
  receiver.received.length = 0;
});
afterEach(async () => {
  vi.useRealTimers();
  await api.call('DELETE', `/v1/orgs/${acme.orgId}/webhooks/${hook.id}`, { token: ownerToken });
});

/** Queues a content.published event for the tenant's endpoints, as publishing does, and delivers it once. */
async function publishAndDeliver(opts: { dueSince?: Date } = {}): Promise<{ event: WebhookBody; outcome: string }> {
  const event: WebhookBody = {
    id: randomUUID(),
    type: 'content.published',
    createdAt: new Date().toISOString(),
    data: { requestId: randomUUID(), headline: 'Café ☕ — “quoted”', variants: [] },
  };
  await withTenant(api.appDb.db, { orgId: acme.orgId }, (tx) => enqueueDeliveries(tx, acme.orgId, event));
  if (opts.dueSince)
    await api.db.owner`update webhook_deliveries set next_attempt_at = ${opts.dueSince} where event_id = ${event.id}`;
  const out = await deliverEvent(approvalServices(), acme.orgId, event.id, { inlineAttempts: 1 });
  return { event, outcome: Object.values(out)[0]! };
}

async function deliveryRow(eventId: string) {
  const [row] = await api.db.owner<
    { status: string; last_status_code: number | null }[]
  >`select status, last_status_code from webhook_deliveries where event_id = ${eventId}`;
  return row;
}

describe('Standard Webhooks, as a receiver built on the standardwebhooks library sees them', () => {
  test('a real delivery verifies with the secret the API handed out; webhook-id is the event id', async () => {
    const { event, outcome } = await publishAndDeliver();
    expect(outcome).toBe('delivered');
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0]!;
    expect(got).toMatchObject({
      status: 204,
      payload: { id: event.id, type: 'content.published', data: { headline: 'Café ☕ — “quoted”' } },
    });
    expect(got.headers['webhook-id']).toBe(event.id);
    expect(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(got.headers).not.toHaveProperty('x-svp-signature');
    expect(await deliveryRow(event.id)).toEqual({ status: 'delivered', last_status_code: 204 });
  });

  test('a tampered body, timestamp, id or signature is refused; the unaltered copy verifies', async () => {
    await publishAndDeliver();
    const original = receiver.received[0]!;
    expect(original.status).toBe(204);
    const h = original.headers;
    expect(await receiver.resend({ headers: h, body: original.body.replace('Café', 'Cafe') })).toBe(401);
    expect(await receiver.resend({ headers: h, body: `${original.body} ` })).toBe(401);
    expect(
      await receiver.resend({
        headers: { ...h, 'webhook-timestamp': String(Number(h['webhook-timestamp']) - 1) },
        body: original.body,
      }),
    ).toBe(401);
    expect(await receiver.resend({ headers: { ...h, 'webhook-id': randomUUID() }, body: original.body })).toBe(401);
    const forged = new Webhook(`whsec_${randomBytes(32).toString('base64')}`).sign(
      h['webhook-id']!,
      new Date(Number(h['webhook-timestamp']) * 1000),
      original.body,
    );
    expect(await receiver.resend({ headers: { ...h, 'webhook-signature': forged }, body: original.body })).toBe(401);
    expect(receiver.received.slice(1).every((r) => r.status === 401 && /signature/i.test(r.error!))).toBe(true);
    // Within the window an exact copy still verifies: receivers dedupe on webhook-id.
    expect(await receiver.resend(original)).toBe(204);
  });

  test('the replay window: a copy replayed more than 5 minutes later is refused, and so is a delivery signed with a stale clock', async () => {
    await publishAndDeliver();
    const original = receiver.received[0]!;
    const signedAt = Number(original.headers['webhook-timestamp']) * 1000;
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(signedAt + 4 * 60_000);
    expect(await receiver.resend(original)).toBe(204);
    vi.setSystemTime(signedAt + 6 * 60_000);
    expect(await receiver.resend(original)).toBe(401);
    expect(receiver.received.at(-1)!.error).toMatch(/too old/i);
    vi.useRealTimers();

    // The timestamp is the attempt's own (our clock): six minutes behind, the receiver refuses it
    // and the delivery is kept for a retry, with the receiver's answer in the log.
    const behind = () => Date.now() - 6 * 60_000;
    provide('clock', { now: behind });
    const { event, outcome } = await publishAndDeliver({ dueSince: new Date(Date.now() - 10 * 60_000) });
    expect(outcome).toBe('retry');
    expect(receiver.received.at(-1)).toMatchObject({ status: 401, error: expect.stringMatching(/too old/i) });
    expect(await deliveryRow(event.id)).toEqual({ status: 'pending', last_status_code: 401 });
  });

  test('an endpoint whose secret predates the switch (whsec_ + base64url) is verified with the same bytes in base64', async () => {
    const bytes = randomBytes(32);
    bytes[0] = 0xfb; // base64url writes it with "-" or "_": the old form the libraries reject
    const old = `whsec_${bytes.toString('base64url')}`;
    const sealed = await approvalServices().secrets.encrypt(old, {
      orgId: acme.orgId,
      field: SECRET_FIELD,
      rowId: hook.id,
    });
    await api.db.owner`update webhook_endpoints set secret_enc = ${sealed} where id = ${hook.id}`;
    receiver.state.secret = standardWebhookSecret(old);
    expect(receiver.state.secret).toBe(`whsec_${bytes.toString('base64')}`);
    const { outcome } = await publishAndDeliver();
    expect(outcome).toBe('delivered');
    expect(receiver.received.at(-1)!.status).toBe(204);
  });
});
