import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

test('migrated template has the tables', async () => {
  const rows = await t.owner`select count(*)::int as n from information_schema.tables where table_schema = 'public'`;
  expect(rows[0].n).toBeGreaterThan(15);
});
