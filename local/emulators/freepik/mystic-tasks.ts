/**
 * Mystic tasks as the real API runs them: CREATED, then IN_PROGRESS, then COMPLETED with a signed
 * image URL. Without a webhook a task advances one step per poll (tests stay fast and exact); with
 * a `webhook_url` and a secret it advances on a timer and each status change is delivered as a
 * Standard Webhooks-signed POST, as Freepik does.
 */
import { randomUUID } from 'node:crypto';
import { signWebhook } from '../../../functions/adapters/freepik/webhook.js';
import type { MysticAspectRatio, MysticResolution } from '../../../functions/domain/sourcing-plan.js';
import { mysticSize } from '../../../functions/domain/sourcing-plan.js';
import { mysticTheme } from './catalog.js';

export interface MysticTask {
  id: string;
  prompt: string;
  aspect: MysticAspectRatio;
  resolution: MysticResolution;
  polls: number;
  status: string;
  colors?: string[];
  webhookUrl?: string;
  timer?: NodeJS.Timeout;
}

export type NewMysticTask = Pick<MysticTask, 'prompt' | 'aspect' | 'resolution' | 'colors' | 'webhookUrl'>;

export interface MysticTaskOptions {
  /** Polls (or timer steps) until COMPLETED. */
  pollsToComplete: number;
  webhookSecret?: string;
  /** Timer step for webhook-driven tasks. */
  stepMs: number;
  fileUrl: (theme: string, width: number, height: number) => string;
}

export interface MysticTasks {
  create(fields: NewMysticTask): MysticTask;
  /** The task after this poll (a poll advances a task that has no timer); undefined when unknown. */
  poll(id: string): MysticTask | undefined;
  /** The contract's `data` for a task; `statusOverride` is what a fault makes the poll report. */
  body(t: MysticTask, statusOverride?: string): Record<string, unknown>;
  /** Forgets every task and stops their timers. */
  clear(): void;
}

export function createMysticTasks(opts: MysticTaskOptions): MysticTasks {
  const tasks = new Map<string, MysticTask>();

  function body(t: MysticTask, statusOverride?: string) {
    const status = statusOverride ?? t.status;
    const { width, height } = mysticSize(t.aspect, t.resolution);
    const generated =
      status === 'COMPLETED' ? [opts.fileUrl(mysticTheme(t.id, t.prompt, t.colors), width, height)] : [];
    return { task_id: t.id, status, generated, ...(status === 'COMPLETED' ? { has_nsfw: [false] } : {}) };
  }

  function notify(t: MysticTask) {
    if (!t.webhookUrl || !opts.webhookSecret) return;
    const raw = JSON.stringify(body(t));
    const id = randomUUID();
    const ts = String(Math.floor(Date.now() / 1000));
    fetch(t.webhookUrl, {
      method: 'POST',
      body: raw,
      signal: AbortSignal.timeout(2000),
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': ts,
        'webhook-signature': signWebhook(opts.webhookSecret, id, ts, raw),
      },
    }).catch(() => {});
  }

  function advance(t: MysticTask) {
    t.polls++;
    const next = t.polls >= opts.pollsToComplete ? 'COMPLETED' : 'IN_PROGRESS';
    if (next !== t.status) {
      t.status = next;
      notify(t);
    }
  }

  return {
    create(fields) {
      const t: MysticTask = { ...fields, id: randomUUID(), polls: 0, status: 'CREATED' };
      tasks.set(t.id, t);
      if (t.webhookUrl && opts.webhookSecret) {
        notify(t);
        t.timer = setInterval(() => {
          advance(t);
          if (t.status === 'COMPLETED') clearInterval(t.timer);
        }, opts.stepMs);
        t.timer.unref();
      }
      return t;
    },
    poll(id) {
      const t = tasks.get(id);
      if (t && !t.timer) advance(t);
      return t;
    },
    body,
    clear() {
      for (const t of tasks.values()) if (t.timer) clearInterval(t.timer);
      tasks.clear();
    },
  };
}
