/**
 * Restarting the local stack, as anyone does during a working week: the same stack `npm start`
 * runs (HTTP API, runner, PostgreSQL, S3 objects and keys in a data directory that survives),
 * stopped and started three times on the same port. A request waiting at approval step 2 of 2
 * goes straight back to its wait (same run, timeline, approvals, links, deadline and mail count)
 * and its emailed link still completes it; a request caught mid-render finishes once; a failed
 * one stays failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { WorkflowEvent } from '../../local/workflow/local-runner.js';
import { startLocalStack, type LocalStack } from '../../local/stack/stack.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { decide, getPage, reviewForm, waitFor } from '../integration/approvals/support.js';
import { ACME_BRIEF } from '../integration/workflow/support.js';

let t: TestDatabase;
let dataDir: string;
let port: number;
let stack: LocalStack | undefined;
const events: WorkflowEvent[] = [];
// Briefs and platform sets the seeded brand passes (compliance decides "review", so both wait for approval).
const HEADLINE_A = `${ACME_BRIEF.headline} 1`;
const HEADLINE_B = ACME_BRIEF.headline;
const PLATFORMS_B = ['instagram_square', 'facebook', 'instagram_story', 'instagram_portrait', 'pinterest'];
const logs: string[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'svp-restart-'));
  port = await freePort();
});
afterAll(async () => {
  await stack?.stop();
  await t?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const start = () =>
  startLocalStack({
    dataDir,
    port,
    databaseUrl: t.ownerUrl,
    appDatabaseUrl: t.appUrl,
    freepik: 'emulator',
    scheduler: false,
    outbox: false,
    log: (m) => logs.push(m),
    onWorkflowEvent: (e) => events.push(e),
  });

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const p = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return p;
}

async function submit(s: LocalStack, token: string, headline: string, platforms: string[]): Promise<string> {
  const acme = s.seed.orgs.find((o) => o.slug === 'acme-coffee')!;
  const r = await fetch(`${s.apiUrl}/v1/orgs/${acme.id}/content-requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      brandId: acme.brandId,
      brief: { ...ACME_BRIEF, headline },
      image: { source: 'stock', query: 'coffee cup' },
      platforms,
    }),
  });
  expect(r.status).toBe(202);
  return ((await r.json()) as { id: string }).id;
}

/** The newest mail to `to` about `headline` (GET /dev/outbox), once it exists. */
async function mailFor(s: LocalStack, to: string, headline: string, subject: RegExp) {
  return waitFor(
    `mail to ${to} about "${headline}"`,
    async () => {
      const r = await fetch(`${s.apiUrl}/dev/outbox?to=${encodeURIComponent(to)}`);
      const items = ((await r.json()) as { items: { subject: string; text: string; links: string[] }[] }).items;
      return items.filter((m) => m.text.includes(`Headline: ${headline}\n`) && subject.test(m.subject)).at(-1);
    },
    120_000,
    100,
  );
}

async function approveThrough(link: string): Promise<void> {
  const page = await getPage(link);
  expect(page.status).toBe(200);
  expect((await decide(link, { decision: 'approve' }, { form: reviewForm(page.html) })).status).toBe(200);
}

async function statusOf(id: string): Promise<string> {
  return (await t.owner<{ status: string }[]>`SELECT status FROM content_requests WHERE id = ${id}`)[0].status;
}

async function waitForStatus(id: string, statuses: string[], timeoutMs = 120_000): Promise<void> {
  await waitFor(
    `request ${id} to be ${statuses.join('|')}`,
    async () => statuses.includes(await statusOf(id)),
    timeoutMs,
    25,
  );
}

/** Everything a user (requester, reviewer, client) can see of a request, and the mail it caused. */
async function snapshot(id: string) {
  const [request] =
    await t.owner`SELECT status, run, failure, execution_name, updated_at, compliance FROM content_requests WHERE id = ${id}`;
  const timeline =
    await t.owner`SELECT run, step, status, started_at, finished_at, duration_ms, detail FROM request_steps WHERE request_id = ${id} ORDER BY started_at, step`;
  const approvals =
    await t.owner`SELECT id, run, step_index, status, phase, approver_ids, due_at, remind_at, task_token_enc, callback_sent_at, updated_at
    FROM content_approvals WHERE request_id = ${id} ORDER BY step_index`;
  const links = await t.owner`SELECT l.id, l.approver_id, l.expires_at, l.used_at, l.revoked_at FROM approval_links l
    JOIN content_approvals a ON a.id = l.approval_id WHERE a.request_id = ${id} ORDER BY l.id`;
  const [{ n: mails }] = await t.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox o
    WHERE EXISTS (SELECT 1 FROM content_approvals a WHERE a.request_id = ${id} AND o.dedupe_key LIKE 'approval-link:' || a.id || ':%')`;
  const [{ n: downloads }] = await t.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM api_usage
    WHERE request_id = ${id} AND outcome = 'success' AND endpoint = 'GET /v1/resources/{id}/download'`;
  return { request, timeline, approvals, links, mails, downloads };
}

test('three restarts: one waiting at step 2 of 2 stays there and its link completes it; one mid-render finishes once; a failed one stays failed', {
  timeout: 420_000,
}, async () => {
  stack = await start();
  const creator = await stack.mintToken('creator@acme.test');

  // (a) Waits for approval at step 2 of 2: step 1 approved through its emailed link.
  const a = await submit(stack, creator, HEADLINE_A, ['instagram_square', 'facebook']);
  await approveThrough((await mailFor(stack, 'approver@acme.test', HEADLINE_A, /step 1 of 2/)).links[0]);
  const stepTwo = await mailFor(stack, 'owner@acme.test', HEADLINE_A, /step 2 of 2/);
  await stack.runner.waitForToken(`req-${a}-r1`, 'Await approval', 60_000);
  const [waitBefore] = stack.broker.pending({ executionName: `req-${a}-r1` });

  // (c) Failed: Freepik refuses the key once (permanent: no retries).
  stack.freepik.emulator!.setFaults({ rules: [{ match: 'api', times: 1, fault: { kind: 'status', status: 401 } }] });
  const c = await submit(stack, creator, 'Restart: failed', ['instagram_square']);
  await waitForStatus(c, ['failed']);
  stack.freepik.emulator!.reset();

  const aBefore = await snapshot(a);
  const cBefore = await snapshot(c);
  expect(aBefore.request).toMatchObject({ status: 'awaiting_approval', run: 1 });
  expect(aBefore.approvals.map((x) => x.status)).toEqual(['approved', 'pending']);
  expect(aBefore.mails).toBe(2);
  expect(cBefore.request).toMatchObject({ status: 'failed', run: 1 });

  // (b) Caught mid-render: five platforms, four rendered at a time; the stack stops meanwhile.
  const b = await submit(stack, creator, HEADLINE_B, PLATFORMS_B);
  await waitFor(
    '(b) rendering',
    async () => events.some((e) => e.requestId === b && e.type === 'state_entered' && e.state === 'Render variant'),
    120_000,
    10,
  );
  await stack.stop();
  expect(await statusOf(b)).toBe('rendering');
  // What sourcing bought for (b) before the stop (an image per layout group that needs its own).
  const [{ n: boughtB }] = await t.owner<
    { n: number }[]
  >`SELECT coalesce(sum(downloads), 0)::int AS n FROM request_sourcing WHERE request_id = ${b}`;
  expect(boughtB).toBeGreaterThanOrEqual(1);
  const rendersBefore = (
    await t.owner<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM request_steps WHERE request_id = ${b} AND step LIKE 'render:%' AND status = 'succeeded'`
  )[0].n;
  expect(rendersBefore).toBeLessThan(PLATFORMS_B.length);

  for (let restart = 1; restart <= 3; restart++) {
    const since = events.length;
    stack = await start();
    const byId = new Map(stack.recovery.resumed.map((r) => [r.requestId, r]));
    expect(stack.recovery.redriven).toEqual([]);
    expect(stack.recovery.failed).toEqual([]);
    // (a) straight back to its wait: nothing ran, nothing changed, nobody was mailed.
    expect(byId.get(a)).toMatchObject({ run: 1, state: 'Await approval', waiting: true });
    expect(await snapshot(a)).toEqual(aBefore);
    expect(await snapshot(c)).toEqual(cBefore);
    // The same token is waiting again, with its original issue time (the deadline runs from there);
    // the resumed execution registers it as it re-enters the wait.
    const resumed = stack;
    await waitFor(
      '(a) token registered again',
      async () => resumed.broker.pending({ executionName: `req-${a}-r1` }).length > 0,
      30_000,
      10,
    );
    expect(stack.broker.pending({ executionName: `req-${a}-r1` })).toEqual([waitBefore]);
    expect(
      events
        .slice(since)
        .filter((e) => e.requestId === a)
        .map((e) => e.type),
    ).toEqual(['execution_resumed', 'waiting_for_token']);

    if (restart === 1) {
      // (b) continues at the Map (its iterations render again, idempotently) and reaches its wait once.
      expect(byId.get(b)).toMatchObject({ run: 1, state: 'Render variants', waiting: false });
      await stack.runner.waitForToken(`req-${b}-r1`, 'Await approval', 120_000);
    } else {
      expect(byId.get(b)).toMatchObject({ run: 1, state: 'Await approval', waiting: true });
    }
    expect([...byId.keys()].sort()).toEqual([a, b].sort());
    await stack.stop();
  }

  // Once more, and the links mailed before the first restart finish the job.
  stack = await start();
  await approveThrough(stepTwo.links[0]);
  await waitForStatus(a, ['published']);
  const aAfter = await snapshot(a);
  expect(aAfter.request).toMatchObject({ status: 'published', run: 1 });
  expect(aAfter.approvals.map((x) => x.status)).toEqual(['approved', 'approved']);
  expect(aAfter.mails).toBe(2);
  expect(aAfter.downloads).toBe(1);

  // (b) went through once: one execution, its image bought once, one variant and one render step
  // per platform, one approval step 1 and one mail for it; its link (from before two restarts) works.
  await approveThrough((await mailFor(stack, 'approver@acme.test', HEADLINE_B, /step 1 of 2/)).links[0]);
  await approveThrough((await mailFor(stack, 'owner@acme.test', HEADLINE_B, /step 2 of 2/)).links[0]);
  await waitForStatus(b, ['published']);
  const bAfter = await snapshot(b);
  expect(bAfter.request).toMatchObject({ status: 'published', run: 1 });
  expect(bAfter.downloads).toBe(boughtB);
  expect(bAfter.mails).toBe(2);
  expect(bAfter.timeline.map((s) => s.step).filter((s) => s.startsWith('render:'))).toHaveLength(PLATFORMS_B.length);
  expect(bAfter.timeline.every((s) => s.run === 1 && s.step !== 'recovered')).toBe(true);
  const [{ n: variants }] = await t.owner<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM asset_variants WHERE request_id = ${b}`;
  expect(variants).toBe(PLATFORMS_B.length);
  expect(events.filter((e) => e.requestId === b && e.type === 'execution_started')).toHaveLength(1);
  // The request is published by the last task; the execution's end is reported right after it.
  await waitFor(
    '(b) execution ended',
    async () =>
      events.some(
        (e) => e.requestId === b && ['execution_succeeded', 'execution_failed', 'execution_aborted'].includes(e.type),
      ),
    30_000,
    10,
  );
  expect(
    events
      .filter((e) => e.requestId === b && (e.type === 'execution_failed' || e.type === 'execution_succeeded'))
      .map((e) => e.type),
  ).toEqual(['execution_succeeded']);
  const [{ n: published }] = await t.owner<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM user_activity_logs WHERE resource_id = ${b} AND action = 'content_request.published'`;
  expect(published).toBe(1);

  // (c) untouched throughout.
  expect(await snapshot(c)).toEqual(cBefore);

  // What was published stays where its URLs (manifest, webhook) say, restart after restart.
  const [{ manifest }] = await t.owner<
    { manifest: { variants: { url: string }[] } }[]
  >`SELECT manifest FROM content_requests WHERE id = ${a}`;
  await stack.stop();
  stack = await start();
  for (const v of manifest.variants) expect((await fetch(v.url)).status, v.url).toBe(200);
  expect(logs.some((l) => /resumed 2 request\(s\) where they stood/.test(l))).toBe(true);
});
