/**
 * Publishing what was approved and telling the tenant: the publish task (pipeline publish + the
 * approval hook), the content.published event, and signed webhooks with retries and a delivery
 * log; the webhook endpoint API.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { FieldCipher, LocalKeyProvider } from '../../../functions/adapters/crypto/envelope.js';
import { LocalEventRecorder } from '../../../functions/adapters/approvals/event-publisher.js';
import { listOutbox } from '../../../functions/adapters/notify/outbox.js';
import { publishApproved } from '../../../functions/app/approvals/publication.js';
import { approvalServices } from '../../../functions/handlers/composition/approvals.js';
import { provide } from '../../../functions/handlers/composition/root.js';
import { beginStepWait, nextApprovalStep } from '../../../functions/app/approvals/step-tasks.js';
import { deliverEvent, retryDueDeliveries } from '../../../functions/app/approvals/webhooks.js';
import type { PipelineDeps } from '../../../functions/app/pipeline/ports.js';
import { publish } from '../../../functions/app/pipeline/tasks.js';
import { Webhook } from 'standardwebhooks';
import { startTestApi } from '../../support/api.js';
import { startForAll } from '../../support/lifecycle.js';
import {
  createAcmeAndOther,
  createRequest,
  createWorkflow,
  decide,
  provideTestApprovals,
  startReceiver,
  type Fixture,
  type WorkflowStepsInput,
} from './support.js';

const api = startForAll(startTestApi, (server) => server.close());
const receiver = startForAll(startReceiver, (server) => server.close());
let acme: Fixture;
let other: Fixture;
let events: LocalEventRecorder;
let wf: string;
let ownerToken: string;

const reviewThenSignOff: WorkflowStepsInput = [
  { name: 'Review', approvers: { roles: ['approver'] } },
  { name: 'Sign-off', approvers: { roles: ['owner'] } },
];
beforeAll(async () => {
  ({ acme, other, workflowId: wf } = await createAcmeAndOther(api().db.owner, reviewThenSignOff));
  ownerToken = await api().token(acme.users.owner.email);
});

beforeEach(() => {
  events = new LocalEventRecorder();
  provideTestApprovals(api().url, { events, secrets: new FieldCipher(new LocalKeyProvider(Buffer.alloc(32, 7))) });
});

const pipeline = (): PipelineDeps => ({
  db: api().appDb.db,
  store: api().store,
  imageSource: () => {
    throw new Error('not used');
  },
  imaging: {} as never,
});
const status = async (id: string) =>
  (
    await api().db.owner<
      { status: string; manifest: any }[]
    >`select status, manifest from content_requests where id = ${id}`
  )[0];

/** Runs both steps of `wf` to approval through the review links. */
async function approveAll(f: Fixture, requestId: string, steps = 2) {
  for (let i = 0; i < steps; i++) {
    expect(
      await nextApprovalStep(approvalServices(), { orgId: f.orgId, requestId, run: 1, afterStep: i - 1 }),
    ).toMatchObject({ done: false, stepIndex: i });
    await beginStepWait(approvalServices(), {
      orgId: f.orgId,
      requestId,
      run: 1,
      stepIndex: i,
      phase: 'initial',
      taskToken: `tok-${randomBytes(16).toString('hex')}`,
    });
    const mail = (await listOutbox(api().appDb.db, { limit: 1000 }))
      .filter((r) => r.links.length && r.subject.includes(`step ${i + 1} of`))
      .at(-1)!;
    expect((await decide(mail.links[0], { decision: 'approve' })).status).toBe(200);
  }
  expect(
    await nextApprovalStep(approvalServices(), { orgId: f.orgId, requestId, run: 1, afterStep: steps - 1 }),
  ).toMatchObject({ done: true });
}

async function createHook(url: string, token = ownerToken, orgId = acme.orgId) {
  return api().call('POST', `/v1/orgs/${orgId}/webhooks`, { token, body: { url } });
}

describe('webhook endpoints API', () => {
  test('the secret is shown once and stored encrypted; only owners/admins manage endpoints', async () => {
    const r = await createHook(receiver().url);
    expect(r.status).toBe(201);
    // Standard Webhooks form: whsec_ + base64 of 32 random bytes (what the receiver libraries take).
    expect(r.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(r.body.secret.slice(6), 'base64')).toHaveLength(32);
    expect(r.body.events).toEqual(['content.published']);
    const [row] = await api().db.owner<
      { secret_enc: string }[]
    >`select secret_enc from webhook_endpoints where id = ${r.body.id}`;
    expect(row.secret_enc).not.toContain(r.body.secret);
    const list = await api().call('GET', `/v1/orgs/${acme.orgId}/webhooks`, { token: ownerToken });
    expect(list.text).not.toContain(r.body.secret);
    expect(
      (await api().call('GET', `/v1/orgs/${acme.orgId}/webhooks/${r.body.id}`, { token: ownerToken })).body,
    ).not.toHaveProperty('secret');

    const creator = await api().token(acme.users.creator.email);
    expect((await createHook(receiver().url, creator)).status).toBe(403);
    expect(
      (
        await api().call('GET', `/v1/orgs/${acme.orgId}/webhooks`, {
          token: await api().token(acme.users.approver1.email),
        })
      ).status,
    ).toBe(403);
    // Another tenant's owner cannot see this endpoint.
    const otherOwner = await api().token(other.users.owner.email);
    expect(
      (await api().call('GET', `/v1/orgs/${other.orgId}/webhooks/${r.body.id}`, { token: otherOwner })).status,
    ).toBe(404);

    const rotated = await api().call('POST', `/v1/orgs/${acme.orgId}/webhooks/${r.body.id}/rotate-secret`, {
      token: ownerToken,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(r.body.secret);
    const paused = await api().call('PATCH', `/v1/orgs/${acme.orgId}/webhooks/${r.body.id}`, {
      token: ownerToken,
      body: { isActive: false },
    });
    expect(paused.body.isActive).toBe(false);
    expect(
      (await api().call('DELETE', `/v1/orgs/${acme.orgId}/webhooks/${r.body.id}`, { token: ownerToken })).status,
    ).toBe(204);
    expect(
      (await api().call('GET', `/v1/orgs/${acme.orgId}/webhooks/${r.body.id}`, { token: ownerToken })).status,
    ).toBe(404);
    const actions = (
      await api().db.owner<
        { action: string }[]
      >`select action from user_activity_logs where resource_id = ${r.body.id} order by id`
    ).map((x) => x.action);
    expect(actions).toEqual(['webhook.create', 'webhook.rotate_secret', 'webhook.update', 'webhook.delete']);
  });

  test('deployed, only public https URLs are accepted', async () => {
    provide('appMode', 'aws');
    for (const url of [
      receiver().url,
      'https://10.1.2.3/hook',
      'https://127.0.0.1/hook',
      'https://localhost/hook',
      'ftp://example.com/x',
      'https://user:pw@example.com/x',
    ]) {
      const r = await createHook(url);
      expect(r.status, url).toBe(400);
    }
    const ok = await createHook('https://hooks.example.com/svp');
    expect(ok.status).toBe(201);
    await api().call('DELETE', `/v1/orgs/${acme.orgId}/webhooks/${ok.body.id}`, { token: ownerToken });
  });
});

describe('publish', () => {
  test('an approved request is published with its manifest, one event and a signed webhook (retried with backoff, logged)', async () => {
    const hook = await createHook(receiver().url);
    const { requestId, variants } = await createRequest(api().db.owner, api().store, acme, wf);
    await approveAll(acme, requestId);
    const manifest = await publishApproved(
      pipeline(),
      { orgId: acme.orgId, requestId, run: 1 },
      publish,
      approvalServices(),
    );
    const row = await status(requestId);
    expect(row.status).toBe('published');
    expect(row.manifest.variants.map((v: any) => [v.platform, v.s3Key, v.sha256]).sort()).toEqual(
      variants.map((v) => [v.platform, v.key, v.sha256]).sort(),
    );
    expect(manifest).toEqual(row.manifest);
    expect(events.events).toHaveLength(1);
    const event = events.events[0];
    expect(event).toMatchObject({ type: 'content.published', organizationId: acme.orgId });
    expect((event.data as any).approvals.map((a: any) => a.outcome)).toEqual(['approved', 'approved']);

    receiver().plan = [500, 503];
    receiver().received.length = 0;
    const out = await deliverEvent(approvalServices(), acme.orgId, event.id, { inlineAttempts: 3, inlineDelayMs: 1 });
    expect(Object.values(out)).toEqual(['delivered']);
    expect(receiver().received).toHaveLength(3);
    for (const got of receiver().received) {
      expect(got.headers['webhook-id']).toBe(event.id);
      expect(new Webhook(hook.body.secret).verify(got.body, got.headers as Record<string, string>)).toMatchObject({
        id: event.id,
      });
      expect(() =>
        new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(
          got.body,
          got.headers as Record<string, string>,
        ),
      ).toThrow(/signature/i);
    }
    const body = JSON.parse(receiver().received[2].body);
    expect(body).toMatchObject({
      id: event.id,
      type: 'content.published',
      data: { requestId, headline: expect.any(String) },
    });
    expect(body.data.variants).toHaveLength(2);
    const log = await api().call('GET', `/v1/orgs/${acme.orgId}/webhooks/${hook.body.id}/deliveries`, {
      token: ownerToken,
    });
    expect(log.body.items).toEqual([
      expect.objectContaining({ eventId: event.id, status: 'delivered', attempts: 3, lastStatusCode: 200 }),
    ]);

    // A re-delivered publish task: same manifest, same event id, no second webhook.
    const again = await publishApproved(
      pipeline(),
      { orgId: acme.orgId, requestId, run: 1 },
      publish,
      approvalServices(),
    );
    expect(again).toEqual(manifest);
    expect(events.events.map((e) => e.id)).toEqual([event.id, event.id]);
    await deliverEvent(approvalServices(), acme.orgId, event.id, { inlineDelayMs: 1 });
    expect(receiver().received).toHaveLength(3);
    expect((await api().db.owner`select 1 from webhook_deliveries where event_id = ${event.id}`).length).toBe(1);
    await api().call('DELETE', `/v1/orgs/${acme.orgId}/webhooks/${hook.body.id}`, { token: ownerToken });
  });

  test('bytes changed after approval: nothing is published', async () => {
    const { requestId, variants } = await createRequest(api().db.owner, api().store, acme, wf);
    await approveAll(acme, requestId);
    await api().store.put(variants[1].key, Buffer.from('not the approved image'), 'image/png');
    await expect(
      publishApproved(pipeline(), { orgId: acme.orgId, requestId, run: 1 }, publish, approvalServices()),
    ).rejects.toMatchObject({ code: 'invalid_state', message: expect.stringContaining('changed after approval') });
    expect((await status(requestId)).status).not.toBe('published');
    expect(events.events).toEqual([]);
  });

  test('without approvals a request is published only on a compliance pass under a workflow that allows auto-approval', async () => {
    const strict = await createRequest(api().db.owner, api().store, acme, wf, {
      compliance: { score: 95, decision: 'pass', findings: [] },
    });
    await api().db.owner`update content_requests set status = 'approved' where id = ${strict.requestId}`;
    await expect(
      publishApproved(
        pipeline(),
        { orgId: acme.orgId, requestId: strict.requestId, run: 1 },
        publish,
        approvalServices(),
      ),
    ).rejects.toMatchObject({ code: 'invalid_state', message: expect.stringContaining('Not approved') });

    const lenient = await createWorkflow(
      api().db.owner,
      acme,
      [{ name: 'Review', approvers: { roles: ['approver'] } }],
      { allowAutoApprove: true },
    );
    const auto = await createRequest(api().db.owner, api().store, acme, lenient, {
      compliance: { score: 95, decision: 'pass', findings: [] },
    });
    expect(
      await nextApprovalStep(approvalServices(), {
        orgId: acme.orgId,
        requestId: auto.requestId,
        run: 1,
        afterStep: -1,
      }),
    ).toEqual({ done: true, stepCount: 1, autoApproved: true });
    await publishApproved(
      pipeline(),
      { orgId: acme.orgId, requestId: auto.requestId, run: 1 },
      publish,
      approvalServices(),
    );
    expect((await status(auto.requestId)).status).toBe('published');
    expect((events.events[0].data as any).autoApproved).toBe(true);
  });

  test('an unreachable endpoint is retried later by the sweeper, with backoff', async () => {
    const down = await startReceiver();
    const deadUrl = down.url;
    await down.close();
    const hook = await createHook(deadUrl);
    const { requestId } = await createRequest(api().db.owner, api().store, acme, wf);
    await approveAll(acme, requestId);
    await publishApproved(pipeline(), { orgId: acme.orgId, requestId, run: 1 }, publish, approvalServices());
    const eventId = events.events[0].id;
    expect(Object.values(await deliverEvent(approvalServices(), acme.orgId, eventId, { inlineAttempts: 1 }))).toEqual([
      'retry',
    ]);
    const [d] = await api().db.owner<{ status: string; attempts: number; last_error: string; due_in: number }[]>`
      select status, attempts, last_error, extract(epoch from next_attempt_at - now())::float as due_in from webhook_deliveries where event_id = ${eventId}`;
    expect(d).toMatchObject({ status: 'pending', attempts: 1 });
    expect(d.last_error).toMatch(/ECONNREFUSED|connect/i);
    expect(d.due_in).toBeGreaterThan(20);
    // Not due yet: the sweeper leaves it alone.
    expect(await retryDueDeliveries(approvalServices())).toEqual({ attempted: 0, delivered: 0 });

    receiver().received.length = 0;
    receiver().plan = [];
    await api().call('PATCH', `/v1/orgs/${acme.orgId}/webhooks/${hook.body.id}`, {
      token: ownerToken,
      body: { url: receiver().url },
    });
    await api().db.owner`update webhook_deliveries set next_attempt_at = now() where event_id = ${eventId}`;
    expect(await retryDueDeliveries(approvalServices())).toEqual({ attempted: 1, delivered: 1 });
    expect(receiver().received).toHaveLength(1);
    expect(receiver().received[0].headers['x-svp-delivery-attempt']).toBe('2');
  });
});
