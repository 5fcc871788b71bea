import { afterAll, beforeAll, expect, test } from 'vitest';
import sharp from 'sharp';
import { startWorkflowHarness, type WorkflowHarness } from './support.js';

let h: WorkflowHarness;
beforeAll(async () => { h = await startWorkflowHarness(); });
afterAll(async () => { await h?.close(); });

test('a compliant request runs the synthesized state machine to the approval wait, then publishes when approved', async () => {
  const { requestId, executionName } = await h.submit();
  const token = await h.stack.runner.waitForToken(executionName, 'Await approval', 90_000);
  const waiting = await h.row(requestId);
  expect(waiting.status).toBe('awaiting_approval');
  expect(waiting.compliance.stage).toBe('final');
  expect(['pass', 'review']).toContain(waiting.compliance.decision);

  const steps = await h.steps(requestId, 0);
  expect(steps.map((s) => s.step)).toEqual(expect.arrayContaining([
    'validate', 'source', 'compose', 'check', 'render:instagram_square', 'render:facebook', 'render:instagram_story', 'decide', 'await_approval',
  ]));
  for (const s of steps.filter((x) => x.step !== 'await_approval')) {
    expect(s.status).toBe('succeeded');
    expect(s.duration_ms).toBeGreaterThanOrEqual(0);
  }

  // Every variant is in S3 under its tenant prefix, with the preset's exact size.
  const variants = await h.t.owner<{ platform: string; s3_key: string; width: number; height: number; sha256: string }[]>`
    SELECT platform, s3_key, width, height, sha256 FROM asset_variants WHERE request_id = ${requestId} ORDER BY platform`;
  expect(variants.map((v) => v.platform)).toEqual(['facebook', 'instagram_square', 'instagram_story']);
  for (const v of variants) {
    expect(v.s3_key.startsWith(`orgs/${h.acme.orgId}/requests/${requestId}/variants/`)).toBe(true);
    const meta = await sharp(await h.stack.store.get(v.s3_key)).metadata();
    expect([meta.width, meta.height]).toEqual([v.width, v.height]);
  }

  await h.stack.broker.sendTaskSuccess(token, { decision: 'approved' });
  const done = await h.stack.runner.waitForEnd(executionName, 30_000);
  expect(done.status).toBe('SUCCEEDED');
  const published = await h.row(requestId);
  expect(published.status).toBe('published');
  expect(published.manifest.variants).toHaveLength(3);
  // A second answer to the same wait is refused the way Step Functions refuses it.
  await expect(h.stack.broker.sendTaskSuccess(token, { decision: 'approved' })).rejects.toMatchObject({ name: 'TaskTimedOut' });
});
