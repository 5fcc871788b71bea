/**
 * The local runner's bound on executions in flight: at most `limit` executions run states at
 * once; the others wait in arrival order. "In flight" means working: an execution parked at a
 * task-token wait gives its slot back (a thousand requests waiting for approval must not block a
 * new one), and asks for one again when its answer comes. Executions that already started come
 * before new ones, so work that is under way finishes first and a burst keeps its head moving.
 */
export type AdmissionKind = 'continuing' | 'new';

interface Waiter {
  grant(): void;
  cancelled: boolean;
}

export class AdmissionQueue {
  private active = 0;
  private readonly queues: Record<AdmissionKind, Waiter[]> = { continuing: [], new: [] };

  /** `limit`: slots (Infinity = unbounded). */
  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`the in-flight limit must be at least 1 (got ${limit})`);
  }

  /** Executions holding a slot. */
  get inFlight(): number {
    return this.active;
  }
  /** Executions waiting for one. */
  get waiting(): number {
    return this.queues.continuing.length + this.queues.new.length;
  }

  /**
   * Waits for a slot. `cancel` gives up the wait (the execution was stopped); the promise then
   * never resolves, and no slot is taken.
   */
  acquire(kind: AdmissionKind): { granted: Promise<void>; cancel(): void } {
    if (this.active < this.limit && this.waiting === 0) {
      this.active++;
      return { granted: Promise.resolve(), cancel: () => {} };
    }
    let grant!: () => void;
    const granted = new Promise<void>((resolve) => {
      grant = resolve;
    });
    const waiter: Waiter = { grant, cancelled: false };
    this.queues[kind].push(waiter);
    return {
      granted,
      cancel: () => {
        if (waiter.cancelled) return;
        waiter.cancelled = true;
        const q = this.queues[kind];
        const i = q.indexOf(waiter);
        if (i >= 0) q.splice(i, 1);
      },
    };
  }

  /** Gives a slot back; the next waiter (continuing ones first) gets it. */
  release(): void {
    this.active = Math.max(0, this.active - 1);
    while (this.active < this.limit) {
      const next = this.queues.continuing.shift() ?? this.queues.new.shift();
      if (!next) return;
      if (next.cancelled) continue;
      this.active++;
      next.grant();
    }
  }
}
