/**
 * background_jobs access for the job runner: claim a (job, period) with INSERT ... ON CONFLICT DO
 * NOTHING RETURNING, re-take a failed or stale run with a compare-and-set UPDATE, record outcomes.
 * The table is global (no tenant column); the app role may SELECT/INSERT/UPDATE it.
 */
import type postgres from 'postgres';
import { decideClaim, type ClaimDecision, type JobRow, type JobStatus } from '../../domain/analytics/jobs.js';

export interface Claim {
  /** True when this delivery owns the run and must do the work. */
  claimed: boolean;
  jobId: string;
  attempts: number;
  decision: ClaimDecision | { action: 'claim'; reason: 'first_delivery' };
  /** State of the row when the claim was refused. */
  status?: JobStatus;
}

export interface JobLedger {
  claim(jobName: string, periodKey: string, opts?: { force?: boolean; now?: Date }): Promise<Claim>;
  succeed(jobId: string, result: unknown): Promise<void>;
  fail(jobId: string, error: string): Promise<void>;
  /** The latest successful run of a job (for "data as of" on the dashboard). */
  lastSuccess(jobName: string): Promise<{ periodKey: string; finishedAt: Date } | undefined>;
}

type Row = { id: string; status: JobStatus; attempts: number; started_at: Date };

export function createJobLedger(sql: postgres.Sql): JobLedger {
  return {
    async claim(jobName, periodKey, opts = {}) {
      const now = opts.now ?? new Date();
      const inserted = await sql<Row[]>`
        INSERT INTO background_jobs (job_name, period_key, status, attempts, started_at)
        VALUES (${jobName}, ${periodKey}, 'running', 1, now())
        ON CONFLICT (job_name, period_key) DO NOTHING
        RETURNING id, status, attempts, started_at`;
      if (inserted.length)
        return {
          claimed: true,
          jobId: inserted[0].id,
          attempts: 1,
          decision: { action: 'claim', reason: 'first_delivery' },
        };

      const [row] = await sql<
        Row[]
      >`SELECT id, status, attempts, started_at FROM background_jobs WHERE job_name = ${jobName} AND period_key = ${periodKey}`;
      const existing: JobRow = { id: row.id, status: row.status, attempts: row.attempts, startedAt: row.started_at };
      const decision = decideClaim(existing, now, { force: opts.force });
      if (decision.action === 'skip')
        return { claimed: false, jobId: row.id, attempts: row.attempts, decision, status: row.status };
      // Compare-and-set on the state we decided on: of two deliveries re-taking the same failed run,
      // exactly one wins.
      const retaken = await sql<Row[]>`
        UPDATE background_jobs SET status = 'running', attempts = attempts + 1, started_at = now(), finished_at = NULL, error = NULL
        WHERE id = ${row.id} AND status = ${row.status} AND attempts = ${row.attempts}
        RETURNING id, status, attempts, started_at`;
      if (!retaken.length)
        return {
          claimed: false,
          jobId: row.id,
          attempts: row.attempts,
          decision: { action: 'skip', reason: 'in_progress' },
          status: 'running',
        };
      return { claimed: true, jobId: row.id, attempts: retaken[0].attempts, decision };
    },
    async succeed(jobId, result) {
      await sql`UPDATE background_jobs
        SET status = 'succeeded', finished_at = now(), result = ${JSON.stringify(toJson(result))}::jsonb, error = NULL
        WHERE id = ${jobId}`;
    },
    async fail(jobId, error) {
      await sql`UPDATE background_jobs SET status = 'failed', finished_at = now(), error = ${error.slice(0, 4000)} WHERE id = ${jobId}`;
    },
    async lastSuccess(jobName) {
      const [row] = await sql<{ period_key: string; finished_at: Date }[]>`
        SELECT period_key, finished_at FROM background_jobs WHERE job_name = ${jobName} AND status = 'succeeded'
        ORDER BY finished_at DESC LIMIT 1`;
      return row ? { periodKey: row.period_key, finishedAt: row.finished_at } : undefined;
    },
  };
}

/** BigInts (postgres.js bigint type) are not JSON: store them as numbers. */
function toJson(v: unknown): postgres.JSONValue {
  return JSON.parse(JSON.stringify(v ?? null, (_k, x) => (typeof x === 'bigint' ? Number(x) : x)));
}
