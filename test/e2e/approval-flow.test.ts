/**
 * The approval flow end to end on the local stack: the HTTP API, the synthesized state machine on
 * the local runner (real task-token waits and timeouts), the seeded Acme tenant and its two-step
 * workflow, emails read from GET /dev/outbox, decisions posted through the review links, and a
 * webhook delivered to a receiver running in this test.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { ACME_BRIEF, startWorkflowHarness, type WorkflowHarness } from '../integration/workflow/support.js';
import {
  decide,
  getPage,
  postForm,
  reviewForm,
  startReceiver,
  waitFor,
  type Receiver,
} from '../integration/approvals/support.js';

let h: WorkflowHarness;
let receiver: Receiver;
let tokens: Record<'owner' | 'creator' | 'approver', string>;
let secret: string;
let n = 0;

beforeAll(async () => {
  h = await startWorkflowHarness({ api: true });
  receiver = await startReceiver();
  tokens = {
    owner: await h.stack.mintToken('owner@acme.test'),
    creator: await h.stack.mintToken('creator@acme.test'),
    approver: await h.stack.mintToken('approver@acme.test'),
  };
  const r = await call('POST', `/v1/orgs/${h.acme.orgId}/webhooks`, tokens.owner, { url: receiver.url });
  expect(r.status).toBe(201);
  secret = r.body.secret;
}, 180_000);
afterAll(async () => {
  await receiver?.close();
  await h?.close();
});

async function call(
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const r = await fetch(h.stack.apiUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

/** Submits a brief through the API as the Acme creator; returns the request id and its headline. */
async function submit(extra: Record<string, unknown> = {}): Promise<{ id: string; headline: string }> {
  const headline = `${ACME_BRIEF.headline} ${++n}`;
  const r = await call('POST', `/v1/orgs/${h.acme.orgId}/content-requests`, tokens.creator, {
    brandId: h.acme.brandId,
    brief: { ...ACME_BRIEF, headline },
    image: { source: 'stock', query: 'coffee cup' },
    platforms: ['instagram_square', 'facebook'],
    ...extra,
  });
  expect(r.status).toBe(202);
  return { id: r.body.id, headline };
}

/** The newest email to `to` about `headline` from GET /dev/outbox, once it exists. */
async function mailFor(to: string, headline: string, subject?: RegExp, timeoutMs = 120_000) {
  return waitFor(
    `mail to ${to} about "${headline}"`,
    async () => {
      const r = await fetch(`${h.stack.apiUrl}/dev/outbox?to=${encodeURIComponent(to)}`);
      expect(r.status).toBe(200);
      const items = ((await r.json()) as { items: unknown }).items as {
        to: string;
        subject: string;
        text: string;
        links: string[];
      }[];
      return items.filter((m) => m.text.includes(headline) && (!subject || subject.test(m.subject))).at(-1);
    },
    timeoutMs,
    200,
  );
}

test('a request for Acme goes through both seeded steps by the emailed links and is published with a signed webhook', async () => {
  const { id, headline } = await submit();
  const first = await mailFor('approver@acme.test', headline);
  expect(first.subject).toContain('step 1 of 2: Brand review');
  expect(first.links).toHaveLength(1);
  expect(first.links[0].startsWith(`${h.stack.apiUrl}/review/`)).toBe(true);
  expect((await h.row(id)).status).toBe('awaiting_approval');
  // Nobody asked the creator to approve their own request.
  const toCreator = (await (await fetch(`${h.stack.apiUrl}/dev/outbox?to=creator@acme.test`)).json()) as {
    items: { text: string }[];
  };
  expect(toCreator.items.filter((m: { text: string }) => m.text.includes(headline))).toEqual([]);

  const page = await getPage(first.links[0]);
  expect(page.status).toBe(200);
  expect(page.html).toContain(headline);
  expect(
    (await decide(first.links[0], { decision: 'approve', comment: 'Lovely' }, { form: reviewForm(page.html) })).status,
  ).toBe(200);

  const second = await mailFor('owner@acme.test', headline);
  expect(second.subject).toContain('step 2 of 2: Final sign-off');
  const ownerPage = await getPage(second.links[0]);
  expect(ownerPage.html).toContain('Lovely');
  expect((await decide(second.links[0], { decision: 'approve' }, { form: reviewForm(ownerPage.html) })).status).toBe(
    200,
  );

  const done = await h.waitForStatus(id, ['published', 'failed', 'rejected'], 60_000);
  expect(done.status).toBe('published');
  expect(done.manifest.variants.map((v: { platform: string }) => v.platform).sort()).toEqual([
    'facebook',
    'instagram_square',
  ]);
  const detail = await call('GET', `/v1/orgs/${h.acme.orgId}/content-requests/${id}`, tokens.creator);
  expect(detail.body.status).toBe('published');

  const delivery = await waitFor(
    'the webhook',
    async () => receiver.received.find((r) => JSON.parse(r.body).data?.requestId === id),
    30_000,
  );
  // What a tenant's receiver does: the Standard Webhooks library checks the signature and the timestamp.
  const body = new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as {
    id: string;
    data: { variants: { sha256: string }[] };
  };
  expect(body).toMatchObject({ type: 'content.published', id: delivery.headers['webhook-id'] });
  expect(body.data.variants.map((v: { sha256: string }) => v.sha256).sort()).toEqual(
    done.manifest.variants.map((v: { sha256: string }) => v.sha256).sort(),
  );
  // Publishing makes the images public: each variant has a permanent URL (the S3 server locally,
  // CloudFront in AWS) that anyone can fetch without credentials, and it is the approved image.
  for (const v of body.data.variants as {
    platform: string;
    url: string;
    sha256: string;
    width: number;
    height: number;
  }[]) {
    expect(v.url).toMatch(
      new RegExp(`/published/${h.acme.orgId}/${id}/${v.platform}-${v.sha256.slice(0, 16)}\\.(jpg|png|webp)$`),
    );
    expect(done.manifest.variants.find((m: { platform: string }) => m.platform === v.platform).url).toBe(v.url);
    const res = await fetch(v.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(v.sha256);
    const meta = await sharp(bytes).metadata();
    expect([meta.width, meta.height]).toEqual([v.width, v.height]);
  }
  // The delivery log is written once the receiver answered.
  await waitFor(
    'the delivery log',
    async () =>
      (await h.t.owner<{ status: string }[]>`select status from webhook_deliveries where event_id = ${body.id}`)[0]
        ?.status === 'delivered',
    10_000,
  );

  const audit = (
    await h.t.owner<{ action: string }[]>`select action from user_activity_logs where resource_id = ${id} order by id`
  ).map((r) => r.action);
  expect(audit).toEqual(expect.arrayContaining(['approval.viewed', 'approval.approved', 'content_request.published']));
  // The raw task tokens never reached an email.
  const leaked = await h.t.owner<
    { n: number }[]
  >`select count(*)::int as n from outbox where body_text like '%lsfn1.%' or links::text like '%lsfn1.%'`;
  expect(leaked[0].n).toBe(0);
});

test('reject at step 1 ends the execution and the request rejected with the reason', async () => {
  const { id, headline } = await submit();
  const mail = await mailFor('approver@acme.test', headline);
  expect((await decide(mail.links[0], { decision: 'reject', comment: 'Cup is off-brand' })).status).toBe(200);
  const done = await h.waitForStatus(id, ['rejected', 'failed', 'published'], 30_000);
  expect(done).toMatchObject({ status: 'rejected', rejection_reason: 'Cup is off-brand' });
  const exec = await h.stack.runner.waitForEnd(`req-${id}-r1`, 30_000);
  expect(exec.status).toBe('SUCCEEDED');
});

test('two approvers clicking at once under an "all" quorum: one decision each, exactly one SendTaskSuccess', async () => {
  const [second] = await h.t.owner<
    { id: string }[]
  >`select app.ensure_user_by_email('approver2@acme.test', 'Second Approver') as id`;
  await h.t
    .owner`insert into user_organizations (organization_id, user_id, role) values (${h.acme.orgId}, ${second.id}, 'approver') on conflict do nothing`;
  const wf = await call('POST', `/v1/orgs/${h.acme.orgId}/approval-workflows`, tokens.owner, {
    name: 'Both approvers',
    steps: [{ name: 'Both', approvers: { roles: ['approver'] }, quorum: { type: 'all' } }],
  });
  expect(wf.status).toBe(201);
  const calls: string[] = [];
  const original = h.stack.broker.sendTaskSuccess.bind(h.stack.broker);
  h.stack.broker.sendTaskSuccess = async (token: string, output: unknown) => {
    calls.push(token);
    return original(token, output);
  };
  try {
    const { id, headline } = await submit({ approvalWorkflowId: wf.body.id });
    const [m1, m2] = [await mailFor('approver@acme.test', headline), await mailFor('approver2@acme.test', headline)];
    const [f1, f2] = [reviewForm((await getPage(m1.links[0])).html), reviewForm((await getPage(m2.links[0])).html)];
    const results = await Promise.all([
      postForm(m1.links[0], { ...f1, decision: 'approve' }, h.stack.apiUrl),
      postForm(m2.links[0], { ...f2, decision: 'approve' }, h.stack.apiUrl),
      postForm(m2.links[0], { ...f2, decision: 'approve' }, h.stack.apiUrl),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 410]);
    expect((await h.waitForStatus(id, ['published', 'failed', 'rejected'], 60_000)).status).toBe('published');
    const ds = await h.t.owner<
      { approver_id: string }[]
    >`select d.approver_id from approval_decisions d join content_approvals a on a.id = d.approval_id where a.request_id = ${id}`;
    expect(ds.map((d) => d.approver_id).sort()).toEqual([h.stack.seed.userIds['approver@acme.test'], second.id].sort());
    expect(calls).toHaveLength(1);
  } finally {
    h.stack.broker.sendTaskSuccess = original;
  }
});

test('a step that misses its (shortened) deadline escalates: old links stop working, the owner decides; a second miss expires it', async () => {
  const wf = await call('POST', `/v1/orgs/${h.acme.orgId}/approval-workflows`, tokens.owner, {
    name: 'Quick review',
    steps: [{ name: 'Quick', approvers: { roles: ['approver'] }, deadlineHours: 0.001, escalateTo: { role: 'owner' } }],
  });
  expect(wf.status).toBe(201);

  const a = await submit({ approvalWorkflowId: wf.body.id });
  const late = await mailFor('approver@acme.test', a.headline);
  const escalated = await mailFor('owner@acme.test', a.headline, /^Escalated review/, 60_000);
  expect((await getPage(late.links[0])).status).toBe(410);
  expect((await decide(escalated.links[0], { decision: 'approve' })).status).toBe(200);
  expect((await h.waitForStatus(a.id, ['published', 'failed', 'rejected'], 60_000)).status).toBe('published');

  const b = await submit({ approvalWorkflowId: wf.body.id });
  await mailFor('owner@acme.test', b.headline, /^Escalated review/, 90_000);
  const expired = await h.waitForStatus(b.id, ['rejected', 'failed', 'published'], 60_000);
  expect(expired).toMatchObject({ status: 'rejected', rejection_reason: 'approval expired' });
  const audit = (
    await h.t.owner<{ action: string }[]>`select action from user_activity_logs where resource_id = ${b.id} order by id`
  ).map((r) => r.action);
  expect(audit).toEqual(expect.arrayContaining(['approval.escalated', 'approval.expired']));
});
