/**
 * The local stack as the benches start it: a free port, the Freepik emulator, and nothing running
 * beside the work being measured (no analytics schedules, no outbox printing, no demo requests
 * from the seed, no startup messages).
 */
import type { LocalStackOptions } from '../local/stack/stack.js';

/** Those options for a stack in `dataDir`; `more` adds to or overrides them. */
export function benchStackOptions(dataDir: string, more: LocalStackOptions = {}): LocalStackOptions {
  return {
    dataDir,
    port: 0,
    freepik: 'emulator',
    scheduler: false,
    outbox: false,
    demoData: false,
    log: () => {},
    ...more,
  };
}
