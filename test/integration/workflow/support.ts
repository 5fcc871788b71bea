/**
 * One local stack per test file for the workflow tests: a fresh test database (seeded with the
 * demo tenants), s3rver, the Freepik emulator and the local runner executing the synthesized
 * state machine. Requests are inserted directly (the API has its own tests) and started through
 * the runner, exactly as POST /content-requests does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../../local/stack/stack.js';
import type { WorkflowEvent } from '../../../local/workflow/local-runner.js';
import { executionNameFor } from '../../../functions/domain/ports.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

export interface WorkflowHarness {
  stack: LocalStack;
  t: TestDatabase;
  /** The stack's data directory (S3 objects, keys); a restarted stack reuses it. */
  dataDir: string;
  events: WorkflowEvent[];
  acme: { orgId: string; brandId: string; creatorId: string; workflowId: string };
  /** Inserts a request for the Acme brand (status queued, run 0) and starts it. */
  submit(overrides?: Partial<RequestInput>): Promise<{ requestId: string; executionName: string }>;
  insert(overrides?: Partial<RequestInput>): Promise<string>;
  /** Polls the request until its status is one of `statuses` (fails after `timeoutMs`). */
  waitForStatus(requestId: string, statuses: string[], timeoutMs?: number): Promise<RequestRowView>;
  row(requestId: string): Promise<RequestRowView>;
  steps(
    requestId: string,
    run?: number,
  ): Promise<Array<{ run: number; step: string; status: string; duration_ms: number | null; detail: any }>>;
  /** Between tests: the emulator forgets its faults and calls; nothing is left running or waiting. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface RequestInput {
  brief: Record<string, unknown>;
  imageSpec: Record<string, unknown>;
  platforms: string[];
  workflowId: string | null;
}

export interface RequestRowView {
  id: string;
  status: string;
  run: number;
  failure: any;
  compliance: any;
  rejection_reason: string | null;
  manifest: any;
}

/** A brief the seeded Acme brand accepts (disclaimer and hashtag present, no banned word). */
export const ACME_BRIEF = {
  headline: 'Slow mornings, fresh roasts',
  body: 'Our new single origin is in. Offer valid at participating stores only.',
  callToAction: 'Visit us today',
  hashtags: ['#AcmeCoffee'],
};

export async function startWorkflowHarness(opts: Partial<LocalStackOptions> = {}): Promise<WorkflowHarness> {
  const t = await createTestDatabase();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'svp-wf-'));
  const events: WorkflowEvent[] = [];
  const stack = await startLocalStack({
    dataDir,
    port: 0,
    databaseUrl: t.ownerUrl,
    appDatabaseUrl: t.appUrl,
    freepik: 'emulator',
    api: false,
    scheduler: false,
    outbox: false,
    log: () => {},
    onWorkflowEvent: (e) => events.push(e),
    ...opts,
  });
  const org = stack.seed.orgs.find((o) => o.slug === 'acme-coffee')!;
  const acme = {
    orgId: org.id,
    brandId: org.brandId,
    creatorId: org.userIds['creator@acme.test'],
    workflowId: org.workflowId,
  };

  const insert = async (o: Partial<RequestInput> = {}) => {
    const [row] = await t.owner<{ id: string }[]>`
      INSERT INTO content_requests (organization_id, brand_id, requested_by, brief, image_spec, platforms, workflow_id, run)
      VALUES (${acme.orgId}, ${acme.brandId}, ${acme.creatorId}, ${t.owner.json((o.brief ?? ACME_BRIEF) as never)},
              ${t.owner.json((o.imageSpec ?? { source: 'stock', query: 'coffee cup' }) as never)},
              ${o.platforms ?? ['instagram_square', 'facebook', 'instagram_story']}, ${o.workflowId ?? null}, 1)
      RETURNING id`;
    return row.id;
  };
  const row = async (id: string) => {
    const [r] = await t.owner<
      RequestRowView[]
    >`SELECT id, status, run, failure, compliance, rejection_reason, manifest FROM content_requests WHERE id = ${id}`;
    return r;
  };
  return {
    stack,
    t,
    dataDir,
    events,
    acme,
    insert,
    row,
    async submit(o = {}) {
      const requestId = await insert(o);
      const { executionName } = await stack.runner.start({ orgId: acme.orgId, requestId, run: 1 });
      return { requestId, executionName };
    },
    async waitForStatus(id, statuses, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const r = await row(id);
        if (statuses.includes(r.status)) return r;
        if (Date.now() > until)
          throw new Error(
            `request ${id} is ${r.status} after ${timeoutMs} ms, expected ${statuses.join('|')}; events: ${describeEvents(events, id)}`,
          );
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    steps: (id, run) =>
      run === undefined
        ? (t.owner`SELECT run, step, status, duration_ms, detail FROM request_steps
            WHERE request_id = ${id} ORDER BY run, started_at, step` as any)
        : (t.owner`SELECT run, step, status, duration_ms, detail FROM request_steps
            WHERE request_id = ${id} AND run = ${run} ORDER BY started_at, step` as any),
    async settle() {
      stack.freepik.emulator!.reset();
      for (const e of stack.runner.list({ status: 'RUNNING' }))
        await stack.runner.stop({ executionName: e.executionName, reason: 'test over' });
    },
    async close() {
      await stack.stop();
      await t.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const execName = executionNameFor;

/** Changes process.env for a test file; `restore()` (in afterAll) puts back what each variable was before. */
export function envOverrides() {
  const saved: Record<string, string | undefined> = {};
  const put = (k: string, v: string | undefined) => {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
  return {
    set(vars: Record<string, string | undefined>) {
      for (const [k, v] of Object.entries(vars)) {
        if (!(k in saved)) saved[k] = process.env[k];
        put(k, v);
      }
    },
    restore() {
      for (const [k, v] of Object.entries(saved)) put(k, v);
    },
  };
}

function describeEvents(events: WorkflowEvent[], requestId: string): string {
  return events
    .filter((e) => e.requestId === requestId && e.type !== 'state_entered')
    .map((e) =>
      'state' in e
        ? `${e.type}:${e.state}${'error' in e ? `(${e.error}: ${e.cause})` : ''}`
        : `${e.type}${'error' in e ? `(${e.error}: ${e.cause})` : ''}`,
    )
    .join(', ');
}
