/**
 * The notification outbox: dedupe keys make a re-sent notification a no-op, the local printer shows
 * each new email once (and marks it sent), and GET /dev/outbox lists them only in local mode.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { withTenant } from '../../../functions/adapters/db/client.js';
import { enqueueEmail, listOutbox } from '../../../functions/adapters/notify/outbox.js';
import { startOutboxPrinter } from '../../../local/stack/outbox-printer.js';
import { startTestApi, type TestApi } from '../../support/api.js';
import { createTenant, waitFor, type Fixture } from './support.js';

let api: TestApi;
let f: Fixture;
beforeAll(async () => {
  api = await startTestApi();
  f = await createTenant(api.db.owner, 'Mail');
});
afterAll(async () => {
  await api?.close();
});

const queue = (key: string, to = 'reviewer@example.test') =>
  withTenant(api.appDb.db, { orgId: f.orgId }, (tx) =>
    enqueueEmail(tx, {
      organizationId: f.orgId,
      to,
      subject: `Review needed ${key}`,
      text: `Open http://127.0.0.1/review/${key}`,
      links: [`http://127.0.0.1/review/${key}`],
      dedupeKey: key,
    }),
  );

test('the same dedupe key queues one email; the printer prints each new email once and marks it sent', async () => {
  expect(await queue('k-1')).toBe(true);
  expect(await queue('k-1')).toBe(false);
  const lines: string[] = [];
  const printer = startOutboxPrinter({ db: api.appDb.db, log: (l) => lines.push(l), intervalMs: 20 });
  try {
    await waitFor('the first email on the console', async () => lines.some((l) => l.includes('Review needed k-1')));
    expect(await queue('k-2', 'second@example.test')).toBe(true);
    await waitFor('the second email on the console', async () => lines.some((l) => l.includes('Review needed k-2')));
    const printed = lines.join('\n');
    expect(printed).toContain('mail to: second@example.test');
    expect(printed).toContain('link: http://127.0.0.1/review/k-2');
    expect(printed.split('Review needed k-1').length - 1).toBe(1);
  } finally {
    await printer.stop();
  }
  const rows = await listOutbox(api.appDb.db);
  expect(rows.map((r) => [r.subject, r.status])).toEqual([
    ['Review needed k-1', 'sent'],
    ['Review needed k-2', 'sent'],
  ]);
});

test('GET /dev/outbox answers only in local mode', async () => {
  const saved = process.env.APP_MODE;
  try {
    delete process.env.APP_MODE;
    expect((await api.call('GET', '/dev/outbox')).status).toBe(404);
    process.env.APP_MODE = 'aws';
    expect((await api.call('GET', '/dev/outbox')).status).toBe(404);
    process.env.APP_MODE = 'local';
    await queue('k-3', 'third@example.test');
    const r = await api.call('GET', '/dev/outbox?to=third@example.test');
    expect(r.status).toBe(200);
    expect(r.body.items).toEqual([
      expect.objectContaining({
        to: 'third@example.test',
        subject: 'Review needed k-3',
        text: expect.stringContaining('/review/k-3'),
        links: ['http://127.0.0.1/review/k-3'],
      }),
    ]);
  } finally {
    if (saved === undefined) delete process.env.APP_MODE;
    else process.env.APP_MODE = saved;
  }
});
