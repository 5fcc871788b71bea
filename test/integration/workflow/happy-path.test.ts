import { expect, test } from 'vitest';
import sharp from 'sharp';
import { startWorkflowHarness } from './support.js';
import { startForAll } from '../../support/lifecycle.js';

const h = startForAll(startWorkflowHarness, (harness) => harness.close());

test('a compliant request runs the synthesized state machine to the approval wait; a reviewer rejection ends it rejected', async () => {
  const { requestId, executionName } = await h().submit();
  const token = await h().stack.runner.waitForToken(executionName, 'Await approval', 90_000);
  const waiting = await h().row(requestId);
  expect(waiting.status).toBe('awaiting_approval');
  expect(waiting.compliance.stage).toBe('final');
  expect(['pass', 'review']).toContain(waiting.compliance.decision);

  const steps = await h().steps(requestId, 1);
  expect(steps.map((s) => s.step)).toEqual(
    expect.arrayContaining([
      'validate',
      'source',
      'compose',
      'check',
      'render:instagram_square',
      'render:facebook',
      'render:instagram_story',
      'decide',
      'await_approval',
    ]),
  );
  for (const s of steps.filter((x) => x.step !== 'await_approval')) {
    expect(s.status).toBe('succeeded');
    expect(s.duration_ms).toBeGreaterThanOrEqual(0);
  }

  // Every variant is in S3 under its tenant prefix, with the preset's exact size.
  const variants = await h().t.owner<
    {
      platform: string;
      s3_key: string;
      width: number;
      height: number;
      sha256: string;
      adjustments: Array<{ kind: string; reason: string }>;
    }[]
  >`
    SELECT platform, s3_key, width, height, sha256, adjustments FROM asset_variants WHERE request_id = ${requestId} ORDER BY platform`;
  expect(variants.map((v) => v.platform)).toEqual(['facebook', 'instagram_square', 'instagram_story']);
  for (const v of variants) {
    // What the renderer changed on its own is stored with the variant (possibly nothing).
    expect(Array.isArray(v.adjustments), v.platform).toBe(true);
    for (const a of v.adjustments) expect(a).toMatchObject({ kind: expect.any(String), reason: expect.any(String) });
    expect(v.s3_key.startsWith(`orgs/${h().acme.orgId}/requests/${requestId}/variants/`)).toBe(true);
    const meta = await sharp(await h().stack.store.get(v.s3_key)).metadata();
    expect([meta.width, meta.height]).toEqual([v.width, v.height]);
  }

  // The wait is a real task-token wait: answering it resumes the execution.
  await h().stack.broker.sendTaskSuccess(token, { decision: 'rejected', reason: 'Logo too close to the headline' });
  const done = await h().stack.runner.waitForEnd(executionName, 30_000);
  expect(done.status).toBe('SUCCEEDED');
  const rejected = await h().row(requestId);
  expect(rejected.status).toBe('rejected');
  expect(rejected.rejection_reason).toBe('Logo too close to the headline');
  const wait = (await h().steps(requestId, 1)).find((s) => s.step === 'await_approval')!;
  expect(wait.status).toBe('succeeded');
  // A second answer to the same wait is refused the way Step Functions refuses it.
  await expect(h().stack.broker.sendTaskSuccess(token, { decision: 'approved' })).rejects.toMatchObject({
    name: 'TaskTimedOut',
  });
  await expect(h().stack.broker.sendTaskSuccess('made-up', {})).rejects.toMatchObject({ name: 'InvalidToken' });
});

test('re-driving a finished request pays Freepik nothing and rewrites the same variants under the same keys', async () => {
  const { requestId, executionName } = await h().submit();
  const token = await h().stack.runner.waitForToken(executionName, 'Await approval', 90_000);
  await h().stack.broker.sendTaskSuccess(token, { decision: 'changes_requested', reason: 'Warmer light, please' });
  await h().stack.runner.waitForEnd(executionName, 30_000);
  expect((await h().row(requestId)).status).toBe('changes_requested');

  const snapshot = async () => ({
    calls: h().stack.freepik.emulator!.calls().length,
    usage: (await h().t.owner`SELECT count(*)::int AS n FROM api_usage WHERE request_id = ${requestId}`)[0].n,
    asset: (await h().t.owner`SELECT id, s3_key, sha256 FROM generated_assets WHERE request_id = ${requestId}`).map(
      (r) => ({ ...r }),
    ),
    variants: (
      await h().t
        .owner`SELECT id, platform, s3_key FROM asset_variants WHERE request_id = ${requestId} ORDER BY platform`
    ).map((r) => ({ ...r })),
  });
  const before = await snapshot();
  expect(before.usage).toBeGreaterThan(0);
  expect(before.variants).toHaveLength(3);

  const { startNewRun } = await import('../../../local/workflow/recovery.js');
  const again = await startNewRun(h().stack.db.db, h().stack.runner, {
    orgId: h().acme.orgId,
    requestId,
    expectedRun: 1,
  });
  expect(again.run).toBe(2);
  await h().stack.runner.waitForToken(again.executionName, 'Await approval', 90_000);
  const after = await snapshot();

  expect((await h().row(requestId)).status).toBe('awaiting_approval');
  expect(after.calls).toBe(before.calls);
  expect(after.usage).toBe(before.usage);
  expect(after.asset).toEqual(before.asset);
  expect(after.variants).toEqual(before.variants);
  const source = (await h().steps(requestId, 2)).find((s) => s.step === 'source')!;
  expect(source.detail.reused).toBe(true);
  for (const v of after.variants) expect(await h().stack.store.head(v.s3_key)).toBeDefined();
  await h().stack.runner.stop({ executionName: again.executionName, reason: 'test over' });
});
