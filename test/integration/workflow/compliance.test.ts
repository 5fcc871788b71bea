/** Compliance verdicts that end a request without a reviewer. */
import { expect, test } from 'vitest';
import { ACME_BRIEF, startWorkflowHarness } from './support.js';
import { startForAll } from '../../support/lifecycle.js';

const h = startForAll(startWorkflowHarness, (harness) => harness.close());

test('a brief with a banned word is rejected before any image is bought', async () => {
  const callsBefore = h().stack.freepik.emulator!.calls().length;
  const { requestId, executionName } = await h().submit({
    brief: { ...ACME_BRIEF, headline: 'Cheap coffee, every morning' },
  });
  const end = await h().stack.runner.waitForEnd(executionName, 60_000);
  expect(end.status).toBe('SUCCEEDED');

  const r = await h().row(requestId);
  expect(r.status).toBe('rejected');
  expect(r.rejection_reason).toMatch(/^The brief cannot be published as written, so no image was bought\./);
  expect(r.rejection_reason).toMatch(/cheap/i);
  expect(r.rejection_reason).toMatch(/Fix: Rephrase these passages without the banned words/);
  expect(r.compliance.findings.some((f: { check: string }) => f.check === 'banned_words')).toBe(true);
  expect(h().stack.freepik.emulator!.calls().length).toBe(callsBefore);
  const [{ n }] = await h().t.owner`SELECT count(*)::int AS n FROM api_usage WHERE request_id = ${requestId}`;
  expect(n).toBe(0);
  expect((await h().steps(requestId, 1)).map((s) => s.step)).toEqual(['validate', 'reject']);
});

test('a brand whose threshold no image can reach rejects the request at the compliance check, without rendering variants', async () => {
  await h().t
    .owner`UPDATE brand_profiles SET compliance_thresholds = compliance_thresholds || '{"autoReject": 100, "autoPass": 100}'::jsonb
      WHERE id = ${h().acme.brandId}`;
  try {
    const { requestId, executionName } = await h().submit({ platforms: ['instagram_square'] });
    const end = await h().stack.runner.waitForEnd(executionName, 90_000);
    expect(end.status).toBe('SUCCEEDED');
    const r = await h().row(requestId);
    expect(r.status).toBe('rejected');
    expect(r.compliance.score).toBeLessThan(100);
    expect(r.rejection_reason).toMatch(/^Compliance score \d+ is below/);
    // The brief is clean (it passes "Validate brief"); the master fails, so no variant is rendered.
    expect((await h().steps(requestId, 1)).map((s) => s.step)).toEqual([
      'validate',
      'source',
      'compose',
      'check',
      'decide',
      'reject',
    ]);
  } finally {
    await h().t
      .owner`UPDATE brand_profiles SET compliance_thresholds = compliance_thresholds - 'autoReject' - 'autoPass' WHERE id = ${h().acme.brandId}`;
  }
});
