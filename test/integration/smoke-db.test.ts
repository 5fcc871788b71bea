import { expect, test } from 'vitest';
import { createTestDatabase } from '../support/db.js';
import { startForAll } from '../support/lifecycle.js';

const t = startForAll(createTestDatabase, (db) => db.drop());

test('migrated template has the tables', async () => {
  const rows = await t().owner`select count(*)::int as n from information_schema.tables where table_schema = 'public'`;
  expect(rows[0].n).toBeGreaterThan(15);
});
