/**
 * The approval engine against real PostgreSQL, s3rver and the real HTTP stack (route table,
 * middy chain, review pages). The workflow side is played by calling the wait/escalate/expire
 * tasks directly; callbacks go to a recorder that answers like Step Functions.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { listOutbox } from '../../../functions/adapters/notify/outbox.js';
import { approvalServices } from '../../../functions/handlers/composition/approvals.js';
import {
  beginStepWait,
  escalateStep,
  expireStep,
  nextApprovalStep,
  StepAlreadyDecided,
} from '../../../functions/app/approvals/step-tasks.js';
import { sendDueReminders } from '../../../functions/app/approvals/reminders.js';
import { generateLinkToken } from '../../../functions/domain/approvals/link-token.js';
import { startTestApi } from '../../support/api.js';
import { startForAll } from '../../support/lifecycle.js';
import {
  createAcmeAndOther,
  createRequest,
  createWorkflow,
  decide,
  getPage,
  imageUrls,
  postForm,
  provideTestApprovals,
  RecordingCallbacks,
  reviewForm,
  type Fixture,
  type WorkflowStepsInput,
} from './support.js';

const api = startForAll(startTestApi, (server) => server.close());
let callbacks: RecordingCallbacks;
let acme: Fixture;
let other: Fixture;
let twoStep: string;

const twoStepWorkflow: WorkflowStepsInput = [
  { name: 'Brand review', approvers: { roles: ['approver', 'creator'] }, quorum: { type: 'any' }, deadlineHours: 48 },
  { name: 'Final sign-off', approvers: { roles: ['owner'] }, quorum: { type: 'any' }, deadlineHours: 48 },
];
beforeAll(async () => {
  ({ acme, other, workflowId: twoStep } = await createAcmeAndOther(api().db.owner, twoStepWorkflow));
});

beforeEach(() => {
  callbacks = new RecordingCallbacks();
  provideTestApprovals(api().url, { callbacks });
});

/** A request of Acme's in `rendering`, under the two-step workflow unless told otherwise. */
const acmeRequest = (workflowId = twoStep, opts?: Parameters<typeof createRequest>[4]) =>
  createRequest(api().db.owner, api().store, acme, workflowId, opts);
/** A workflow of Acme's whose one step, "Review", every approver must answer, with these deadlines. */
const everyApproverReviews = (deadlines: Omit<WorkflowStepsInput[number], 'name' | 'approvers' | 'quorum'>) =>
  createWorkflow(api().db.owner, acme, [
    { name: 'Review', approvers: { roles: ['approver'] }, quorum: { type: 'all' }, ...deadlines },
  ]);
const ref = (f: Fixture, requestId: string) => ({ orgId: f.orgId, requestId, run: 1 });
async function wait(f: Fixture, requestId: string, stepIndex = 0, phase: 'initial' | 'escalated' = 'initial') {
  const taskToken = `tok-${randomBytes(24).toString('base64url')}`;
  const r = await beginStepWait(approvalServices(), { ...ref(f, requestId), stepIndex, phase, taskToken });
  return { taskToken, ...r };
}
/** A signed-in member's decision through the API (no link). */
const decideSignedIn = (f: Fixture, approvalId: string, token: string, decision: string) =>
  api().call('POST', `/v1/orgs/${f.orgId}/approvals/${approvalId}/decision`, { token, body: { decision } });
/** The newest review link mailed to `email` about `requestId`'s headline. */
async function linkFor(email: string, requestId: string): Promise<string | undefined> {
  const [req] = await api().db.owner<
    { headline: string }[]
  >`select brief->>'headline' as headline from content_requests where id = ${requestId}`;
  const rows = (await listOutbox(api().appDb.db, { limit: 1000 })).filter(
    (r) => r.to === email && r.text.includes(req.headline),
  );
  return rows.at(-1)?.links[0];
}
async function mustLink(email: string, requestId: string) {
  const l = await linkFor(email, requestId);
  if (!l) throw new Error(`no link mailed to ${email}`);
  return l;
}
/** Acme's two approvers open their mailed links, then post "approve" at the same moment, `rounds` times each. */
async function approveTogether(requestId: string, rounds = 1): Promise<number[]> {
  const links = [
    await mustLink(acme.users.approver1.email, requestId),
    await mustLink(acme.users.approver2.email, requestId),
  ];
  const forms = [reviewForm((await getPage(links[0]!)).html), reviewForm((await getPage(links[1]!)).html)];
  const posts = Array.from({ length: rounds }, () =>
    links.map((l, i) => postForm(l, { ...forms[i], decision: 'approve' }, api().url)),
  ).flat();
  return (await Promise.all(posts)).map((r) => r.status).sort();
}
const status = async (requestId: string) =>
  (
    await api().db.owner<
      { status: string; rejection_reason: string | null }[]
    >`select status, rejection_reason from content_requests where id = ${requestId}`
  )[0];
const decisions = (requestId: string) => api().db.owner<
  { approver_id: string; decision: string; comment: string | null }[]
>`
  select d.approver_id, d.decision, d.comment from approval_decisions d join content_approvals a on a.id = d.approval_id
    where a.request_id = ${requestId} order by d.created_at`;
const auditActions = async (requestId: string) =>
  (
    await api().db.owner<{ action: string; actor: string | null }[]>`
  select action, actor from user_activity_logs where resource_id = ${requestId} order by id`
  ).map((r) => r.action);

describe('notifications and links', () => {
  test('the wait stores the task token encrypted and mails one link per approver, never to the creator', async () => {
    const { requestId } = await acmeRequest();
    const w = await wait(acme, requestId);
    expect(w.notified).toBe(2);
    const [row] = await api().db.owner<
      { task_token_enc: string; approver_ids: string[]; status: string }[]
    >`select task_token_enc, approver_ids, status from content_approvals where request_id = ${requestId}`;
    expect(row.task_token_enc).not.toContain(w.taskToken);
    expect(
      await approvalServices().secrets.decrypt(row.task_token_enc, {
        orgId: acme.orgId,
        field: 'content_approvals.task_token_enc',
        rowId: w.approvalId,
      }),
    ).toBe(w.taskToken);
    expect(row.approver_ids.sort()).toEqual([acme.users.approver1.id, acme.users.approver2.id].sort());
    expect(await linkFor(acme.users.creator.email, requestId)).toBeUndefined();
    const mail = (await listOutbox(api().appDb.db, { limit: 1000 })).filter((r) =>
      r.links.some((l) => l.includes('/review/')),
    );
    for (const m of mail) expect(m.text).not.toContain(w.taskToken);
    const link = await mustLink(acme.users.approver1.email, requestId);
    expect(link.startsWith(`${api().url}/review/`)).toBe(true);
    expect((await status(requestId)).status).toBe('awaiting_approval');

    // A re-driven wait (same run and step) stores the new token and sends nothing again.
    const before = (await listOutbox(api().appDb.db, { limit: 1000 })).length;
    const again = await wait(acme, requestId);
    expect(again.approvalId).toBe(w.approvalId);
    expect(again.notified).toBe(0);
    expect((await listOutbox(api().appDb.db, { limit: 1000 })).length).toBe(before);
  });

  test('GET shows the review page (brief, compliance, every variant) and decides nothing; it is audited', async () => {
    const { requestId, variants } = await acmeRequest();
    const adjusted = [
      {
        kind: 'overlay_opacity',
        from: 0.9,
        to: 0.95,
        reason: 'The call to action reads at 4.1:1 on the band; its opacity went from 90% to 95% <for> 4.5:1.',
      },
    ];
    await api().db
      .owner`update asset_variants set adjustments = ${api().db.owner.json(adjusted)} where request_id = ${requestId} and platform = 'facebook'`;
    await wait(acme, requestId);
    const link = await mustLink(acme.users.approver1.email, requestId);
    const page = await getPage(link);
    expect(page.status).toBe(200);
    // What the renderer changed on its own is shown with the variant, escaped.
    expect(page.html).toContain('overlay opacity raised');
    expect(page.html).toContain('its opacity went from 90% to 95% &lt;for&gt; 4.5:1.');
    expect(page.html.match(/Adjusted automatically/g)).toHaveLength(1);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.html).toContain('<meta name="viewport"');
    expect(page.html).toContain('Fresh colours for a new season.');
    expect(page.html).toContain('Headline contrast 4.1:1 is below 4.5:1');
    const urls = imageUrls(page.html);
    expect(urls).toHaveLength(variants.length);
    for (const u of urls) {
      const img = await fetch(u);
      expect(img.status).toBe(200);
      expect((await img.arrayBuffer()).byteLength).toBeGreaterThan(50);
    }
    await getPage(link); // a mail scanner opening it again
    expect(await decisions(requestId)).toEqual([]);
    expect(callbacks.calls).toEqual([]);
    expect((await auditActions(requestId)).filter((a) => a === 'approval.viewed')).toHaveLength(2);
  });
});

describe('decisions', () => {
  test('approve closes the step with exactly one SendTaskSuccess; the link cannot be replayed and the other approver is told', async () => {
    const { requestId } = await acmeRequest();
    const w = await wait(acme, requestId);
    const link = await mustLink(acme.users.approver1.email, requestId);
    const page = await getPage(link);
    const form = reviewForm(page.html);
    const done = await decide(link, { decision: 'approve' }, { form });
    expect(done.status).toBe(200);
    expect(done.html).toContain('your decision was recorded');
    expect(callbacks.calls).toEqual([
      { kind: 'success', token: w.taskToken, output: expect.objectContaining({ decision: 'approved', stepIndex: 0 }) },
    ]);

    const replay = await postForm(link, { ...form, decision: 'approve' }, new URL(link).origin);
    expect(replay.status).toBe(410);
    expect(replay.html).toContain('already used');
    expect((await getPage(link)).html).toContain('You approved');
    const late = await decide(await mustLink(acme.users.approver2.email, requestId), {
      decision: 'reject',
      comment: 'too late',
    }).catch(() => undefined);
    // The other approver's link was retired when the step closed.
    expect(late).toBeUndefined();
    const lateGet = await getPage(await mustLink(acme.users.approver2.email, requestId));
    expect(lateGet.status).toBe(409);
    expect(lateGet.html).toContain('already decided');
    expect(await decisions(requestId)).toHaveLength(1);
    expect(callbacks.calls).toHaveLength(1);
    expect(await auditActions(requestId)).toContain('approval.approved');

    // Step 2 goes to the owner; the earlier decision is shown on their page.
    expect(await nextApprovalStep(approvalServices(), { ...ref(acme, requestId), afterStep: 0 })).toMatchObject({
      done: false,
      stepIndex: 1,
      stepName: 'Final sign-off',
    });
    await wait(acme, requestId, 1);
    const ownerPage = await getPage(await mustLink(acme.users.owner.email, requestId));
    expect(ownerPage.html).toContain('Brand review');
    expect(ownerPage.html).toMatch(/approver1 Acme approved/);
  });

  test('reject at step 1 needs a reason and ends the request rejected with it', async () => {
    const { requestId } = await acmeRequest();
    const w = await wait(acme, requestId);
    const link = await mustLink(acme.users.approver1.email, requestId);
    const noReason = await decide(link, { decision: 'reject', comment: '' });
    expect(noReason.status).toBe(400);
    expect(noReason.html).toContain('Say why you reject');
    expect(await decisions(requestId)).toEqual([]);

    const r = await decide(link, { decision: 'reject', comment: 'The logo is cropped' });
    expect(r.status).toBe(200);
    expect(await status(requestId)).toEqual({ status: 'rejected', rejection_reason: 'The logo is cropped' });
    expect(callbacks.successesFor(w.taskToken)).toEqual([
      expect.objectContaining({
        output: expect.objectContaining({ decision: 'rejected', reason: 'The logo is cropped' }),
      }),
    ]);
    expect(await auditActions(requestId)).toContain('approval.rejected');
  });

  test('request changes needs a comment and ends the request changes_requested', async () => {
    const { requestId } = await acmeRequest();
    const w = await wait(acme, requestId);
    const link = await mustLink(acme.users.approver2.email, requestId);
    expect((await decide(link, { decision: 'request_changes' })).status).toBe(400);
    const r = await decide(link, { decision: 'request_changes', comment: 'Use the spring palette' });
    expect(r.status).toBe(200);
    expect((await status(requestId)).status).toBe('changes_requested');
    expect(callbacks.successesFor(w.taskToken)[0].output).toMatchObject({
      decision: 'changes_requested',
      reason: 'Use the spring palette',
    });
  });

  test('delegation hands the vote to another member of the same organization, who gets a fresh link', async () => {
    const { requestId } = await acmeRequest();
    const w = await wait(acme, requestId);
    const link = await mustLink(acme.users.approver1.email, requestId);
    // Someone from another organization is refused (and the form comes back with the problem).
    const foreign = await decide(link, { decision: 'delegate', delegate_to: other.users.approver1.id });
    expect(foreign.status).toBe(400);
    expect(foreign.html).toContain('Pick an active member of your organization');
    const toCreator = await decide(link, { decision: 'delegate', delegate_to: acme.users.creator.id });
    expect(toCreator.status).toBe(400);
    expect(await linkFor(other.users.approver1.email, requestId)).toBeUndefined();

    const ok = await decide(link, { decision: 'delegate', delegate_to: acme.users.viewer.id, comment: 'On holiday' });
    expect(ok.status).toBe(200);
    expect(ok.html).toContain('You delegated the review');
    expect(callbacks.calls).toEqual([]);
    const fresh = await mustLink(acme.users.viewer.email, requestId);
    expect(fresh).not.toBe(link);
    expect((await getPage(link)).status).toBe(410);
    const r = await decide(fresh, { decision: 'approve' });
    expect(r.status).toBe(200);
    expect(callbacks.successesFor(w.taskToken)).toHaveLength(1);
    expect((await decisions(requestId)).map((d) => d.decision)).toEqual(['delegate', 'approve']);
    expect(await auditActions(requestId)).toEqual(expect.arrayContaining(['approval.delegated', 'approval.approved']));
  });
});

describe('signed-in approvers', () => {
  test('list the steps waiting for me and decide without a link (same rules, one callback)', async () => {
    const { requestId } = await acmeRequest();
    const w = await wait(acme, requestId);
    const token = await api().token(acme.users.approver2.email);
    const mine = await api().call('GET', `/v1/orgs/${acme.orgId}/approvals?mine=true&status=pending`, { token });
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((i: { id: string }) => i.id)).toContain(w.approvalId);
    const viewer = await api().token(acme.users.viewer.email);
    expect(
      (await api().call('GET', `/v1/orgs/${acme.orgId}/approvals?mine=true`, { token: viewer })).body.items.map(
        (i: { id: string }) => i.id,
      ),
    ).not.toContain(w.approvalId);
    // The viewer role may not decide at all; a reject without a reason is a 400.
    expect((await decideSignedIn(acme, w.approvalId, viewer, 'approve')).status).toBe(403);
    expect((await decideSignedIn(acme, w.approvalId, token, 'reject')).status).toBe(400);
    const r = await decideSignedIn(acme, w.approvalId, token, 'approve');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'approved' });
    expect(callbacks.successesFor(w.taskToken)).toHaveLength(1);
    // The emailed link of the same approver is retired.
    expect((await getPage(await mustLink(acme.users.approver2.email, requestId))).status).toBe(409);
    const again = await decideSignedIn(acme, w.approvalId, token, 'approve');
    expect(again.status).toBe(409);
    // Another tenant cannot even see the step.
    const outsider = await api().token(other.users.owner.email);
    expect((await decideSignedIn(other, w.approvalId, outsider, 'approve')).status).toBe(404);
  });
});

describe('refused links', () => {
  test('tampered, made-up and expired links are refused; nothing is decided', async () => {
    const { requestId } = await acmeRequest();
    await wait(acme, requestId);
    const link = await mustLink(acme.users.approver1.email, requestId);
    const form = reviewForm((await getPage(link)).html);
    const token = link.split('/review/')[1];
    const flipped = `${token.slice(0, 10)}${token[10] === 'a' ? 'b' : 'a'}${token.slice(11)}`;
    for (const bad of [flipped, token.slice(0, -1), `${token}x`, generateLinkToken().token, 'not-a-token']) {
      expect((await getPage(`${api().url}/review/${bad}`)).status).toBe(404);
      expect((await postForm(`${api().url}/review/${bad}`, { ...form, decision: 'approve' }, api().url)).status).toBe(
        404,
      );
    }
    await api().db
      .owner`update approval_links set expires_at = now() - interval '1 second' where approval_id = ${form.approval}`;
    const expired = await getPage(link);
    expect(expired.status).toBe(410);
    expect(expired.html).toContain('expired');
    expect((await postForm(link, { ...form, decision: 'approve' }, api().url)).status).toBe(410);
    expect(await decisions(requestId)).toEqual([]);
    expect(callbacks.calls).toEqual([]);
  });

  test("a link cannot act on another organization's request", async () => {
    const wfOther = await createWorkflow(api().db.owner, other, [
      { name: 'Review', approvers: { roles: ['approver'] } },
    ]);
    const a = await acmeRequest();
    const b = await createRequest(api().db.owner, api().store, other, wfOther);
    await wait(acme, a.requestId);
    const wb = await wait(other, b.requestId);
    const linkA = await mustLink(acme.users.approver1.email, a.requestId);
    const formA = reviewForm((await getPage(linkA)).html);
    const r = await postForm(linkA, { ...formA, approval: wb.approvalId, decision: 'approve' }, api().url);
    expect(r.status).toBe(403);
    expect(await decisions(b.requestId)).toEqual([]);
    expect(await decisions(a.requestId)).toEqual([]);
    expect((await status(b.requestId)).status).toBe('awaiting_approval');
    expect(callbacks.calls).toEqual([]);
    // ...and the audit trail says so, in the link's own tenant.
    expect(await auditActions(a.requestId)).toContain('approval.link_refused');
  });

  test('a form from another site, or without its form token, is refused', async () => {
    const { requestId } = await acmeRequest();
    await wait(acme, requestId);
    const link = await mustLink(acme.users.approver1.email, requestId);
    const form = reviewForm((await getPage(link)).html);
    expect((await postForm(link, { ...form, decision: 'approve' }, 'https://evil.example')).status).toBe(403);
    expect((await postForm(link, { approval: form.approval, decision: 'approve' }, api().url)).status).toBe(403);
    expect(
      (
        await postForm(
          link,
          { ...form, form_token: `${form.form_token.slice(0, -2)}AA`, decision: 'approve' },
          api().url,
        )
      ).status,
    ).toBe(403);
    expect(await decisions(requestId)).toEqual([]);
  });

  test('a link is bound to the variants it was sent for', async () => {
    const { requestId } = await acmeRequest();
    await wait(acme, requestId);
    const link = await mustLink(acme.users.approver1.email, requestId);
    const form = reviewForm((await getPage(link)).html);
    await api().db
      .owner`update asset_variants set sha256 = repeat('0', 64) where request_id = ${requestId} and platform = 'facebook'`;
    expect((await getPage(link)).status).toBe(409);
    expect((await postForm(link, { ...form, decision: 'approve' }, api().url)).status).toBe(409);
    expect(await decisions(requestId)).toEqual([]);
  });
});

describe('creators and concurrency', () => {
  test('a creator cannot approve their own work: no link, no forged link, no API decision, no delegation to them', async () => {
    const { requestId } = await acmeRequest();
    const w = await wait(acme, requestId);
    expect(await linkFor(acme.users.creator.email, requestId)).toBeUndefined();
    // A link row for the creator (as if an admin forged one) is still refused.
    const forged = generateLinkToken();
    await api().db
      .owner`insert into approval_links (organization_id, approval_id, approver_id, token_hash, variant_checksums, expires_at)
      select organization_id, id, ${acme.users.creator.id}, ${forged.hash}, variant_checksums, now() + interval '1 day' from content_approvals
        where id = ${w.approvalId}`;
    const page = await getPage(`${api().url}/review/${forged.token}`);
    expect(page.status).toBe(403);
    expect(page.html).toContain('You cannot review your own request');
    // The signed-in API says the same (the creator role may not decide at all; an owner who created it may not either).
    const own = await acmeRequest(twoStep, { creatorId: acme.users.owner.id });
    const ow = await wait(acme, own.requestId);
    const ownerToken = await api().token(acme.users.owner.email);
    const r = await decideSignedIn(acme, ow.approvalId, ownerToken, 'approve');
    expect(r.status).toBe(403);
    expect(r.body.detail).toContain('your own request');
    expect(await decisions(requestId)).toEqual([]);
    expect(await decisions(own.requestId)).toEqual([]);
    expect(callbacks.calls).toEqual([]);
  });

  test('two approvers clicking at the same moment: one decision each, exactly one SendTaskSuccess', async () => {
    const all = await createWorkflow(api().db.owner, acme, [
      { name: 'Both', approvers: { roles: ['approver'] }, quorum: { type: 'all' } },
    ]);
    const { requestId } = await acmeRequest(all);
    const w = await wait(acme, requestId);
    expect(await approveTogether(requestId, 2)).toEqual([200, 200, 410, 410]);
    const ds = await decisions(requestId);
    expect(ds.map((d) => d.approver_id).sort()).toEqual([acme.users.approver1.id, acme.users.approver2.id].sort());
    expect(callbacks.successesFor(w.taskToken)).toHaveLength(1);
    expect(callbacks.calls).toHaveLength(1);
  });

  test('with "any one" quorum, the second of two simultaneous approvers is told the step is decided', async () => {
    const { requestId } = await acmeRequest();
    const w = await wait(acme, requestId);
    expect(await approveTogether(requestId)).toEqual([200, 409]);
    expect(await decisions(requestId)).toHaveLength(1);
    expect(callbacks.successesFor(w.taskToken)).toHaveLength(1);
  });
});

describe('deadlines', () => {
  test('a due reminder mails a fresh link to whoever has not answered; their old link stops working', async () => {
    const wf = await everyApproverReviews({ reminderHours: 1, deadlineHours: 48 });
    const { requestId } = await acmeRequest(wf);
    const w = await wait(acme, requestId);
    const old1 = await mustLink(acme.users.approver1.email, requestId);
    await decide(await mustLink(acme.users.approver2.email, requestId), { decision: 'approve' });
    expect(await sendDueReminders(approvalServices())).toEqual({ steps: 0, emails: 0 });
    await api().db
      .owner`update content_approvals set remind_at = now() - interval '1 minute' where id = ${w.approvalId}`;
    const r = await sendDueReminders(approvalServices());
    expect(r.emails).toBe(1);
    const fresh = await mustLink(acme.users.approver1.email, requestId);
    expect(fresh).not.toBe(old1);
    const mail = (await listOutbox(api().appDb.db, { limit: 1000 })).find((m) => m.links[0] === fresh)!;
    expect(mail.subject).toMatch(/^Reminder:/);
    expect((await getPage(old1)).status).toBe(410);
    expect((await decide(fresh, { decision: 'approve' })).status).toBe(200);
    expect(callbacks.successesFor(w.taskToken)).toHaveLength(1);
    // One reminder per step: the sweep does not send it again.
    expect(await sendDueReminders(approvalServices())).toEqual({ steps: 0, emails: 0 });
  });

  test('escalation: the old links stop working and the escalation target decides alone', async () => {
    const wf = await everyApproverReviews({ deadlineHours: 0.001, escalateTo: { role: 'brand_manager' } });
    const { requestId } = await acmeRequest(wf);
    const w = await wait(acme, requestId);
    const old = await mustLink(acme.users.approver1.email, requestId);
    // approver2 approves in time; approver1 does not: the "all" quorum is not met by the deadline.
    await decide(await mustLink(acme.users.approver2.email, requestId), { decision: 'approve' });
    callbacks.closed.add(w.taskToken); // Step Functions timed the task out
    expect(await escalateStep(approvalServices(), { ...ref(acme, requestId), stepIndex: 0 })).toMatchObject({
      decision: 'pending',
    });
    expect((await getPage(old)).status).toBe(410);
    const esc = await wait(acme, requestId, 0, 'escalated');
    const mail = (await listOutbox(api().appDb.db, { limit: 1000 }))
      .filter((r) => r.to === acme.users.manager.email)
      .at(-1)!;
    expect(mail.subject).toMatch(/^Escalated review/);
    const r = await decide(mail.links[0], { decision: 'approve' });
    expect(r.status).toBe(200);
    expect(callbacks.successesFor(esc.taskToken)).toHaveLength(1);
    expect(callbacks.successesFor(esc.taskToken)[0].output).toMatchObject({ decision: 'approved' });
    expect(await auditActions(requestId)).toEqual(expect.arrayContaining(['approval.escalated', 'approval.approved']));
  });

  test('expiry after the escalated deadline ends the request rejected: "approval expired"', async () => {
    const wf = await createWorkflow(api().db.owner, acme, [
      { name: 'Review', approvers: { roles: ['approver'] }, deadlineHours: 0.001 },
    ]);
    const { requestId } = await acmeRequest(wf);
    await wait(acme, requestId);
    await escalateStep(approvalServices(), { ...ref(acme, requestId), stepIndex: 0 });
    await wait(acme, requestId, 0, 'escalated');
    const ownerLink = await mustLink(acme.users.owner.email, requestId);
    expect(await expireStep(approvalServices(), { ...ref(acme, requestId), stepIndex: 0 })).toEqual(
      expect.objectContaining({ decision: 'rejected', reason: 'approval expired' }),
    );
    expect(await status(requestId)).toEqual({ status: 'rejected', rejection_reason: 'approval expired' });
    expect((await getPage(ownerLink)).status).toBe(409);
    expect(await auditActions(requestId)).toEqual(expect.arrayContaining(['approval.escalated', 'approval.expired']));
    // The request is over: a late wait is refused.
    await expect(wait(acme, requestId, 0, 'escalated')).rejects.toMatchObject({ code: 'invalid_state' });
  });

  test('a re-driven wait of a step decided earlier reports the recorded answer instead of mailing again', async () => {
    const { requestId } = await acmeRequest();
    await wait(acme, requestId);
    await decide(await mustLink(acme.users.approver1.email, requestId), { decision: 'approve' });
    const mails = (await listOutbox(api().appDb.db, { limit: 1000 })).length;
    await expect(wait(acme, requestId)).rejects.toBeInstanceOf(StepAlreadyDecided);
    expect((await listOutbox(api().appDb.db, { limit: 1000 })).length).toBe(mails);
    expect(await decisions(requestId)).toHaveLength(1);
  });
});
