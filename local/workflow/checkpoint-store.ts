/**
 * Where the local runner writes down how far each execution got, so a restarted process resumes
 * it instead of starting over (Step Functions keeps this itself; aws-local-stepfunctions keeps it
 * in memory only). Local use only.
 *
 * Stored in PostgreSQL, in a schema of its own (`local_runner`) that the local stack creates with
 * the owner role: the checkpoints describe executions of the requests in that same database, so
 * they go wherever the database goes (a fresh `.local/`, an external DATABASE_URL, a cloned test
 * database), and a stale checkpoint can never meet another database's requests. They are not a
 * product concept, so no product migration creates them, and the app role cannot read them (they
 * hold raw task tokens, which the approval tables only keep encrypted).
 *
 * Writes are coalesced per execution: the runner records every state it enters, only the latest
 * per execution is written, in one statement per batch. Losing the last few writes in a crash
 * only means resuming at an earlier state, which every task tolerates (they are idempotent).
 */
import postgres from 'postgres';

export interface ExecutionCheckpoint {
  executionName: string;
  /** The execution input (what StartExecution was given). */
  input: { orgId: string; requestId: string; run: number };
  startedAt: Date;
  /** The top-level state the execution was in, and that state's input. */
  state: string;
  stateInput: unknown;
  /** Set while the state waits for its task token: the token and when it was issued. */
  wait?: { token: string; issuedAt: Date; timeoutMs?: number };
  /** Restarts that found the execution working in this state (a parked wait is not counted). */
  interruptions: number;
}

export interface CheckpointStore {
  /** Records where an execution stands (written soon, coalesced with later calls). */
  put(cp: ExecutionCheckpoint): void;
  /** The execution ended or was stopped: nothing to resume. */
  remove(executionName: string): void;
  /** Resolves once everything put or removed before the call is written. */
  flush(): Promise<void>;
  /** Every checkpoint written (what a previous process left). */
  load(): Promise<ExecutionCheckpoint[]>;
  /** Flushes and disconnects. */
  close(): Promise<void>;
}

const SCHEMA = 'local_runner';
const TABLE = `${SCHEMA}.execution_checkpoints`;
const WRITE_ATTEMPTS = 3;

interface Row {
  execution_name: string;
  execution_input: ExecutionCheckpoint['input'];
  started_at: Date;
  state: string;
  state_input: unknown;
  wait_token: string | null;
  wait_issued_at: Date | null;
  wait_timeout_ms: string | number | null;
  interruptions: number;
}

/** The PostgreSQL store; creates its schema and table when missing. `ownerUrl`: a role that may create schemas. */
export async function createPgCheckpointStore(opts: {
  ownerUrl: string;
  log?: (m: string) => void;
}): Promise<CheckpointStore> {
  const sql = postgres(opts.ownerUrl, {
    max: 2,
    onnotice: () => {},
    connection: { application_name: 'svp-local-runner' },
  });
  try {
    await sql.unsafe(`
      CREATE SCHEMA IF NOT EXISTS ${SCHEMA};
      REVOKE ALL ON SCHEMA ${SCHEMA} FROM PUBLIC;
      CREATE TABLE IF NOT EXISTS ${TABLE} (
        execution_name  text PRIMARY KEY,
        execution_input jsonb NOT NULL,
        started_at      timestamptz NOT NULL,
        state           text NOT NULL,
        state_input     jsonb NOT NULL,
        wait_token      text,
        wait_issued_at  timestamptz,
        wait_timeout_ms bigint,
        interruptions   integer NOT NULL DEFAULT 0,
        updated_at      timestamptz NOT NULL DEFAULT now()
      );`);
  } catch (e) {
    await sql.end({ timeout: 5 });
    throw e;
  }
  return new PgCheckpointStore(sql, opts.log ?? (() => {}));
}

class PgCheckpointStore implements CheckpointStore {
  /** execution name -> latest checkpoint, or null for "remove". */
  private pending = new Map<string, ExecutionCheckpoint | null>();
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly sql: postgres.Sql,
    private readonly log: (m: string) => void,
  ) {}

  put(cp: ExecutionCheckpoint): void {
    this.pending.set(cp.executionName, cp);
    this.schedule();
  }

  remove(executionName: string): void {
    this.pending.set(executionName, null);
    this.schedule();
  }

  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.drain().finally(() => {
        this.flushing = undefined;
        if (this.pending.size) this.schedule();
      });
    }
    return this.flushing;
  }

  async load(): Promise<ExecutionCheckpoint[]> {
    await this.flush();
    const rows = await this.sql<
      Row[]
    >`SELECT * FROM ${this.sql(SCHEMA)}.execution_checkpoints ORDER BY started_at, execution_name`;
    return rows.map((r) => ({
      executionName: r.execution_name,
      input: r.execution_input,
      startedAt: r.started_at,
      state: r.state,
      stateInput: r.state_input,
      wait: r.wait_token
        ? {
            token: r.wait_token,
            issuedAt: r.wait_issued_at!,
            timeoutMs: r.wait_timeout_ms === null ? undefined : Number(r.wait_timeout_ms),
          }
        : undefined,
      interruptions: r.interruptions,
    }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush().catch((e) => this.log(`checkpoints: last write failed: ${(e as Error).message}`));
    await this.sql.end({ timeout: 5 });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing || this.closed) return;
    this.scheduled = true;
    // One write for everything recorded in this turn of the event loop (a burst enters many states at once).
    setImmediate(() => {
      this.scheduled = false;
      this.flush().catch(() => {});
    });
  }

  private async drain(): Promise<void> {
    for (let failures = 0; this.pending.size; ) {
      const batch = [...this.pending];
      this.pending.clear();
      try {
        await this.write(batch);
        failures = 0;
      } catch (e) {
        // Keep what was not superseded meanwhile; the next put or flush tries again.
        for (const [k, v] of batch) if (!this.pending.has(k)) this.pending.set(k, v);
        if (++failures >= WRITE_ATTEMPTS) {
          this.log(
            `checkpoints: write failed (${(e as Error).message}); ${this.pending.size} kept for the next attempt`,
          );
          throw e;
        }
        await new Promise((r) => setTimeout(r, 200 * failures));
      }
    }
  }

  private async write(batch: Array<[string, ExecutionCheckpoint | null]>): Promise<void> {
    const upserts = batch
      .filter((b): b is [string, ExecutionCheckpoint] => b[1] !== null)
      .map(([, cp]) => ({
        execution_name: cp.executionName,
        execution_input: cp.input,
        started_at: cp.startedAt.toISOString(),
        state: cp.state,
        state_input: cp.stateInput ?? null,
        wait_token: cp.wait?.token ?? null,
        wait_issued_at: cp.wait?.issuedAt.toISOString() ?? null,
        wait_timeout_ms: cp.wait?.timeoutMs ?? null,
        interruptions: cp.interruptions,
      }));
    const removed = batch.filter(([, v]) => v === null).map(([k]) => k);
    await this.sql.begin(async (tx) => {
      if (removed.length)
        await tx`DELETE FROM ${tx(SCHEMA)}.execution_checkpoints WHERE execution_name = ANY(${removed}::text[])`;
      if (!upserts.length) return;
      await tx`
        INSERT INTO ${tx(SCHEMA)}.execution_checkpoints
          (execution_name, execution_input, started_at, state, state_input, wait_token, wait_issued_at, wait_timeout_ms, interruptions, updated_at)
        SELECT execution_name, execution_input, started_at, state, coalesce(state_input, 'null'::jsonb),
          wait_token, wait_issued_at, wait_timeout_ms, interruptions, now()
        FROM jsonb_to_recordset(${tx.json(upserts as never)}::jsonb) AS x(
          execution_name text, execution_input jsonb, started_at timestamptz, state text, state_input jsonb,
          wait_token text, wait_issued_at timestamptz, wait_timeout_ms bigint, interruptions integer)
        ON CONFLICT (execution_name) DO UPDATE SET
          execution_input = excluded.execution_input, started_at = excluded.started_at, state = excluded.state,
          state_input = excluded.state_input, wait_token = excluded.wait_token, wait_issued_at = excluded.wait_issued_at,
          wait_timeout_ms = excluded.wait_timeout_ms, interruptions = excluded.interruptions, updated_at = now()`;
    });
  }
}
