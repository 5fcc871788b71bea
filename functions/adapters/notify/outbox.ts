/**
 * The notification outbox. Emails are written in the same transaction as the state change that
 * causes them, keyed by a dedupe key (a re-driven or retried task produces the same key, so
 * nothing is sent twice). A dispatcher then delivers them: SES in AWS (`dispatchOutbox`), the
 * console locally (local/stack/outbox-printer.ts), and `GET /dev/outbox` lists them.
 */
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { outbox } from '../../../db/schema/index.js';
import type { Email, Mailer } from '../../domain/approvals/ports.js';

export interface OutboxEmail extends Email {
  organizationId: string;
  /** Same key = same email: the second insert is a no-op. */
  dedupeKey: string;
}

/** Queues an email inside the caller's transaction; false when the dedupe key exists already. */
export async function enqueueEmail(tx: Tx, e: OutboxEmail): Promise<boolean> {
  const rows = await tx
    .insert(outbox)
    .values({
      organizationId: e.organizationId,
      kind: 'email',
      toAddress: e.to,
      subject: e.subject,
      bodyText: e.text,
      links: e.links,
      dedupeKey: e.dedupeKey,
    })
    .onConflictDoNothing({ target: outbox.dedupeKey })
    .returning({ id: outbox.id });
  return rows.length === 1;
}

export interface OutboxRow {
  id: string;
  organizationId: string;
  to: string;
  subject: string;
  text: string;
  links: string[];
  status: string;
  createdAt: Date;
  sentAt: Date | null;
}

/** Outbox rows of every tenant, oldest first (SECURITY DEFINER function: dispatch is cross-tenant). */
export async function listOutbox(db: Db, opts: { pendingOnly?: boolean; limit?: number } = {}): Promise<OutboxRow[]> {
  const rows = await db.execute<{
    id: string;
    organization_id: string;
    to_address: string;
    subject: string;
    body_text: string;
    links: string[];
    status: string;
    created_at: string | Date;
    sent_at: string | Date | null;
  }>(sql`select * from app.outbox_rows(${opts.pendingOnly ?? false}, ${opts.limit ?? 200})`);
  return rows.map((r) => ({
    id: r.id,
    organizationId: r.organization_id,
    to: r.to_address,
    subject: r.subject,
    text: r.body_text,
    links: r.links ?? [],
    status: r.status,
    createdAt: new Date(r.created_at),
    sentAt: r.sent_at ? new Date(r.sent_at) : null,
  }));
}

export async function markOutbox(db: Db, ids: string[], status: 'sent' | 'failed'): Promise<number> {
  if (!ids.length) return 0;
  const arr = sql`ARRAY[${sql.join(
    ids.map((i) => sql`${i}`),
    sql`, `,
  )}]::uuid[]`;
  const rows = await db.execute<{ n: number }>(sql`select app.outbox_mark(${arr}, ${status}) as n`);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Sends pending emails through `mailer` and marks them sent (at-least-once: a crash between send
 * and mark re-sends one email, never loses one). Returns counts.
 */
export async function dispatchOutbox(
  db: Db,
  mailer: Mailer,
  opts: { limit?: number; onError?: (row: OutboxRow, e: unknown) => void } = {},
): Promise<{ sent: number; failed: number }> {
  const rows = await listOutbox(db, { pendingOnly: true, limit: opts.limit ?? 100 });
  let sent = 0;
  let failed = 0;
  for (const r of rows) {
    try {
      await mailer.send({ to: r.to, subject: r.subject, text: r.text, links: r.links });
      await markOutbox(db, [r.id], 'sent');
      sent++;
    } catch (e) {
      failed++;
      opts.onError?.(r, e);
    }
  }
  return { sent, failed };
}
