/**
 * The local stand-in for EventBridge Scheduler under `npm start`: evaluates the same schedule
 * expressions (functions/handlers/scheduled/schedules.ts) on a timer and calls `run` for each
 * firing with the time it was due, as the scheduler's <aws.scheduler.scheduled-time> would be.
 *
 *   const s = startLocalScheduler({ schedules, run: invokeSchedule, log });
 *   ...
 *   await s.stop();
 *
 * A schedule whose previous run is still going is not fired again (the job ledger would skip it
 * anyway). After a pause (laptop asleep) each schedule fires once for its latest missed time, not
 * once per missed time. Rate expressions are aligned to the Unix epoch (see schedule-expression.ts).
 */
import { nextFireTime, parseScheduleExpression, type ScheduleExpression } from './schedule-expression.js';

export interface LocalSchedule {
  name: string;
  expression: string;
}

export interface LocalSchedulerOptions<S extends LocalSchedule> {
  schedules: readonly S[];
  /** Runs one firing; rejections are logged, never thrown out of the timer. */
  run: (schedule: S, scheduledTime: Date) => Promise<unknown>;
  log?: (msg: string, data?: Record<string, unknown>) => void;
  /** Clock (tests). */
  now?: () => Date;
  /** Longest single timer; the schedule is re-evaluated at least this often (default 60 s). */
  maxTimerMs?: number;
}

export interface LocalScheduler {
  /** Stops firing and waits (up to `timeoutMs`, default 30 s) for runs in progress. */
  stop(timeoutMs?: number): Promise<void>;
  /** The next due time of every schedule. */
  upcoming(): { name: string; at: Date }[];
}

export function startLocalScheduler<S extends LocalSchedule>(opts: LocalSchedulerOptions<S>): LocalScheduler {
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? (() => {});
  const maxTimer = opts.maxTimerMs ?? 60_000;
  // Parse everything up front: a bad expression fails `npm start`, as it would fail a deploy.
  const entries = opts.schedules.map((s) => {
    const expr: ScheduleExpression = parseScheduleExpression(s.expression);
    return { s, expr, next: nextFireTime(expr, now()), running: undefined as Promise<void> | undefined };
  });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const tick = () => {
    if (stopped) return;
    const t = now();
    for (const e of entries) {
      if (e.next.getTime() > t.getTime()) continue;
      // Latest due time not after now (skips firings missed while the process slept).
      let due = e.next;
      for (let n = nextFireTime(e.expr, due); n.getTime() <= t.getTime(); n = nextFireTime(e.expr, n)) due = n;
      e.next = nextFireTime(e.expr, due);
      if (e.running) {
        log('local scheduler: previous run still going, skipping', {
          schedule: e.s.name,
          scheduledTime: due.toISOString(),
        });
        continue;
      }
      log('local scheduler: firing', { schedule: e.s.name, scheduledTime: due.toISOString() });
      e.running = opts
        .run(e.s, due)
        .then(
          () => undefined,
          (err: unknown) =>
            log('local scheduler: run failed', {
              schedule: e.s.name,
              error: err instanceof Error ? err.message : String(err),
            }),
        )
        .finally(() => {
          e.running = undefined;
        });
    }
    arm();
  };

  const arm = () => {
    if (stopped || !entries.length) return;
    const soonest = Math.min(...entries.map((e) => e.next.getTime()));
    timer = setTimeout(tick, Math.max(0, Math.min(maxTimer, soonest - now().getTime())));
    timer.unref?.();
  };
  arm();
  log('local scheduler: started', {
    schedules: entries.map((e) => ({ name: e.s.name, expression: e.s.expression, next: e.next.toISOString() })),
  });

  return {
    async stop(timeoutMs = 30_000) {
      stopped = true;
      if (timer) clearTimeout(timer);
      const inFlight = entries.map((e) => e.running).filter(Boolean) as Promise<void>[];
      if (inFlight.length) {
        let t: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(inFlight),
          new Promise<void>((r) => {
            t = setTimeout(r, timeoutMs);
          }),
        ]);
        if (t) clearTimeout(t);
      }
    },
    upcoming: () => entries.map((e) => ({ name: e.s.name, at: e.next })),
  };
}
