/** Shared wiring for tests that run the real client against the emulator. */
import { expect } from 'vitest';
import {
  createFreepikClient,
  type ClientConfig,
  type FreepikClient,
} from '../../../functions/adapters/freepik/client.js';
import { configForEmulator, loadFreepikConfig } from '../../../functions/adapters/freepik/config.js';
import type { EmulatorCall } from '../../../local/emulators/freepik/emulator.js';
import type { Clock } from '../../../functions/domain/ports.js';
import type { RateLimiter, UsageRecord, UsageRecorder } from '../../../functions/domain/sourcing-ports.js';

/** Real time, but waits are recorded and shortened to 1 ms so retry tests stay quick. */
export function fastClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => Date.now(),
    sleep: (ms, signal) => {
      sleeps.push(ms);
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        setTimeout(resolve, 1);
      });
    },
  };
}

export function emulatorClientConfig(url: string, over: Partial<ClientConfig> = {}): ClientConfig {
  const c = configForEmulator(loadFreepikConfig({}), url, 'emulator-key');
  return {
    ...c,
    apiKey: c.apiKey!,
    maxRetries: 3,
    timeoutMs: 2_000,
    deadlineMs: 20_000,
    backoff: { baseMs: 10, maxMs: 50 },
    mystic: { ...c.mystic, pollIntervalMs: 20, maxPollIntervalMs: 50, deadlineMs: 10_000 },
    ...over,
  };
}

export function emulatorClient(
  url: string,
  recorder: UsageRecorder,
  over: Partial<ClientConfig> = {},
  extra: { rateLimiter?: RateLimiter; clock?: Clock } = {},
): FreepikClient {
  return createFreepikClient({
    config: emulatorClientConfig(url, over),
    recorder,
    clock: extra.clock ?? fastClock(),
    rateLimiter: extra.rateLimiter,
  });
}

const clientEndpoint = (c: EmulatorCall) => (c.endpoint === 'GET /files/{token}' ? 'GET {file}' : c.endpoint);
const rowEndpoint = (r: Pick<UsageRecord, 'endpoint'>) =>
  r.endpoint === 'GET {signed-download-url}' || r.endpoint === 'GET {mystic-generated-url}' ? 'GET {file}' : r.endpoint;

/**
 * Usage rows and emulator calls agree one for one, in order: same endpoint, and the same status
 * whenever the client saw one (a reset or a timed-out slow answer leaves the client without one).
 */
export function expectRowsMatchCalls(rows: Pick<UsageRecord, 'endpoint' | 'statusCode'>[], calls: EmulatorCall[]) {
  expect(rows.map(rowEndpoint)).toEqual(calls.map(clientEndpoint));
  rows.forEach((r, i) => {
    if (r.statusCode !== null) expect(r.statusCode).toBe(calls[i].status);
  });
}
