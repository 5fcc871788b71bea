/**
 * A review page in a real browser (headless Chromium through playwright-core), phone-sized: the
 * variant images load from their short-lived URLs under the page's CSP, the reviewer approves and
 * sees the confirmation; the decision is recorded and the waiting task answered once.
 */
import { randomBytes } from 'node:crypto';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FieldCipher, LocalKeyProvider } from '../../functions/adapters/crypto/envelope.js';
import { LocalEventRecorder } from '../../functions/adapters/approvals/event-publisher.js';
import { listOutbox } from '../../functions/adapters/notify/outbox.js';
import { approvalServices } from '../../functions/handlers/composition/approvals.js';
import { provide } from '../../functions/handlers/composition/root.js';
import { beginStepWait } from '../../functions/app/approvals/step-tasks.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { launchBrowser, requireChromium, type TestBrowser } from '../support/browser.js';
import {
  createRequest,
  createTenant,
  createWorkflow,
  RecordingCallbacks,
  type Fixture,
} from '../integration/approvals/support.js';

/** The bits of HTMLImageElement read in the page (no DOM lib in this tsconfig). */
interface Img {
  complete: boolean;
  naturalWidth: number;
}
let api: TestApi;
let ctx: BrowserContext;
let browser: TestBrowser | undefined;
let f: Fixture;
const callbacks = new RecordingCallbacks();

beforeAll(async () => {
  requireChromium();
  api = await startTestApi();
  provide({
    callbacks,
    publicBaseUrl: api.url,
    appMode: 'local',
    events: new LocalEventRecorder(),
    secrets: new FieldCipher(new LocalKeyProvider(randomBytes(32))),
  });
  f = await createTenant(api.db.owner, 'Browser');
  browser = await launchBrowser({ width: 390, height: 844 });
  ctx = browser.ctx;
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
});

test('the review page shows the images, approves, and confirms', async () => {
  const wf = await createWorkflow(api.db.owner, f, [{ name: 'Brand review', approvers: { roles: ['approver'] } }]);
  const { requestId, variants } = await createRequest(api.db.owner, api.store, f, wf);
  const taskToken = `tok-${randomBytes(16).toString('hex')}`;
  await beginStepWait(approvalServices(), {
    orgId: f.orgId,
    requestId,
    run: 1,
    stepIndex: 0,
    phase: 'initial',
    taskToken,
  });
  const mail = (await listOutbox(api.appDb.db, { limit: 100 })).find((m) => m.to === f.users.approver1.email)!;

  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  const res = await page.goto(mail.links[0]);
  expect(res?.status()).toBe(200);
  const imgs = page.locator('figure img');
  await expect.poll(() => imgs.count(), { timeout: 10_000 }).toBe(variants.length);
  // Every image really decoded (a CSP or URL problem leaves naturalWidth at 0).
  await expect
    .poll(
      () =>
        imgs.evaluateAll((els) =>
          els.every((e) => (e as unknown as Img).complete && (e as unknown as Img).naturalWidth > 0),
        ),
      { timeout: 15_000 },
    )
    .toBe(true);
  // ...and they are the variants' own pixels (facebook 80 px wide, instagram_square 60 px, in platform order).
  expect(await imgs.evaluateAll((els) => els.map((e) => (e as unknown as Img).naturalWidth))).toEqual([80, 60]);
  // Phone-width layout: the decision buttons are on screen, not cut off.
  const approve = page.locator('button[value="approve"]');
  const box = await approve.boundingBox();
  expect(box!.width).toBeGreaterThan(100);
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);

  await approve.click();
  await page.locator('#confirmation').waitFor({ timeout: 15_000 });
  expect(await page.locator('#confirmation h1').textContent()).toContain('your decision was recorded');
  expect(await page.locator('#confirmation').textContent()).toContain('This step is approved.');
  // Nothing blocked by the page's CSP, and no failed load: the page brings its own icon (no /favicon.ico probe).
  expect(await page.locator('link[rel="icon"]').getAttribute('href')).toMatch(/^data:image\/svg\+xml,/);
  expect(errors).toEqual([]);

  const [d] = await api.db.owner<
    { decision: string }[]
  >`select d.decision from approval_decisions d join content_approvals a on a.id = d.approval_id where a.request_id = ${requestId}`;
  expect(d.decision).toBe('approve');
  expect(callbacks.successesFor(taskToken)).toHaveLength(1);

  // Back and resubmit: the link is spent.
  await page.goBack();
  await page.reload();
  expect(await page.locator('h1').first().textContent()).toContain('already used');
  await page.close();
});
