import { describe, expect, test } from 'vitest';
import { rollupsNote } from '../../../functions/app/analytics/dashboard-html.js';
import type { Dashboard } from '../../../functions/app/analytics/dashboard.js';

const never: Dashboard['rollups'] = [
  { job: 'rollup-content-hourly', lastRunAt: null, periodKey: null },
  { job: 'rollup-brand-compliance', lastRunAt: null, periodKey: null },
  { job: 'rollup-usage', lastRunAt: null, periodKey: null },
];
const schedules = { 'rollup-content-hourly': 'cron(5 * * * ? *)', 'rollup-brand-compliance': 'cron(15 * * * ? *)' };

describe('rollupsNote', () => {
  test('says so when no rollup has run, and how to run one locally', () => {
    const html = rollupsNote(never, { mode: 'local', schedules });
    expect(html).toContain('data-ran="0"');
    expect(html).toContain('No rollup has run yet');
    expect(html).toContain('npm run job -- rollup-content-hourly');
    expect(html).not.toContain('Rollups last ran');
  });

  test('gives each last run, and in AWS the schedules and how to invoke one', () => {
    const ran = never.map((r, i) =>
      i < 2 ? { ...r, lastRunAt: '2026-12-03T17:05:12.000Z', periodKey: '2026-12-03T16' } : r,
    );
    const html = rollupsNote(ran, { mode: 'aws', schedules });
    expect(html).toContain('Rollups last ran');
    expect(html).toContain('<time datetime="2026-12-03T17:05:12.000Z">2026-12-03 17:05 UTC</time>');
    expect(html).toContain('usage not yet');
    expect(html).toContain('<code>cron(5 * * * ? *)</code>');
    expect(html).toContain('usage <code>not scheduled</code>');
    expect(html).toContain('{"job":"rollup-content-hourly"}');
    expect(html).not.toContain('npm run job');
  });
});
