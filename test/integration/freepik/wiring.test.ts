/**
 * The "Source image" Lambda's wiring (functions/handlers/composition/freepik.ts) builds
 * its image source with the same builder as everything else: every FREEPIK_* setting reaches the
 * Lambda. Shown on the one that once did not: the longest wait for a rate-bucket token.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startFreepikEmulator, type FreepikEmulator } from '../../../local/emulators/freepik/emulator.js';
import { imageSourceFromEnv, loadSourceConfig } from '../../../functions/handlers/composition/freepik.js';
import { provide, resetComposition } from '../../../functions/handlers/composition/root.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

let t: TestDatabase;
let emu: FreepikEmulator;
let orgId: string;
const saved = { ...process.env };

beforeAll(async () => {
  t = await createTestDatabase();
  emu = await startFreepikEmulator();
  const [o] =
    await t.owner`insert into organizations (name, slug) values ('Wiring', ${`wiring-${randomUUID().slice(0, 8)}`}) returning id`;
  orgId = o.id as string;
});
afterAll(async () => {
  process.env = saved;
  resetComposition();
  await emu?.close();
  await t?.drop();
});

/** The Lambda's image source for this environment: one token, one more per second. */
async function lambdaImageSource(maxWaitMs: number) {
  Object.assign(process.env, {
    FREEPIK_BASE_URL: emu.url,
    FREEPIK_API_KEY: 'emulator-key',
    FREEPIK_LOCAL_HTTP_HOSTS: '127.0.0.1',
    FREEPIK_RATE_KEY: `wiring:${randomUUID()}`,
    FREEPIK_RATE_CAPACITY: '1',
    FREEPIK_RATE_PER_SECOND: '1',
    FREEPIK_RATE_MAX_WAIT_MS: String(maxWaitMs),
  });
  resetComposition();
  provide('dbHandle', t.app);
  await loadSourceConfig();
  return imageSourceFromEnv();
}

test('FREEPIK_RATE_MAX_WAIT_MS=0: with the shared bucket empty the second call is refused at once, without an HTTP call', async () => {
  const src = await lambdaImageSource(0);
  await src.searchStock({ orgId }, 'harbour');
  const before = emu.calls().length;
  const started = Date.now();
  await expect(src.searchStock({ orgId }, 'harbour')).rejects.toMatchObject({ code: 'rate_limited', retryable: true });
  expect(Date.now() - started).toBeLessThan(900);
  expect(emu.calls().length).toBe(before);
});

test('FREEPIK_RATE_MAX_WAIT_MS=5000: the second call waits for the refill (~1 s) and goes through', async () => {
  const src = await lambdaImageSource(5_000);
  await src.searchStock({ orgId }, 'harbour');
  const started = Date.now();
  expect((await src.searchStock({ orgId }, 'harbour')).length).toBeGreaterThan(0);
  expect(Date.now() - started).toBeGreaterThanOrEqual(700);
});
