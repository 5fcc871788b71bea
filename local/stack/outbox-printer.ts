/**
 * Local stand-in for SES: the outbox (functions/adapters/notify/outbox.ts) dispatched to the
 * console, so `npm start` shows every email the product would send.
 */
import type { Db } from '../../functions/adapters/db/client.js';
import { dispatchOutbox, type OutboxRow } from '../../functions/adapters/notify/outbox.js';
import type { Mailer } from '../../functions/domain/approvals/ports.js';

export type LogSink = ((line: string) => void) | { info: (message: string) => void };
const emit = (log: LogSink, line: string) => (typeof log === 'function' ? log(line) : log.info(line));

/** How the local console shows one email. */
export function formatOutboxEmail(r: Pick<OutboxRow, 'to' | 'subject' | 'text' | 'links'>): string {
  const bar = '-'.repeat(72);
  return [
    bar,
    `mail to: ${r.to}`,
    `subject: ${r.subject}`,
    '',
    r.text.trimEnd(),
    ...(r.links.length ? ['', ...r.links.map((l) => `link: ${l}`)] : []),
    bar,
  ].join('\n');
}

/**
 * Local stand-in for SES: prints new outbox rows to the console every `intervalMs` and marks them
 * sent. `stop()` ends the loop (and waits for a print in progress).
 */
export function startOutboxPrinter(opts: { db: Db; log: LogSink; intervalMs?: number }): { stop(): Promise<void> } {
  const interval = opts.intervalMs ?? 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const printer: Mailer = { send: async (e) => emit(opts.log, formatOutboxEmail(e)) };
  const tick = async () => {
    try {
      await dispatchOutbox(opts.db, printer, {
        onError: (_r, e) => emit(opts.log, `outbox printer: ${(e as Error).message}`),
      });
    } catch (e) {
      if (!stopped) emit(opts.log, `outbox printer: ${(e as Error).message}`);
    }
  };
  const loop = () => {
    if (stopped) return;
    running = tick().finally(() => {
      if (!stopped) timer = setTimeout(loop, interval);
    });
  };
  loop();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
