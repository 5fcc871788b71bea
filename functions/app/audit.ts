/**
 * The audit log (user_activity_logs, monthly partitions). Written inside the same transaction as
 * the change it records, so a change without its audit row (or the reverse) cannot exist.
 */
import type { Tx } from '../adapters/db/client.js';
import { insertAuditRow } from '../adapters/db/stores/audit-store.js';

/** Who acted and where from: built once per request by the API (or by a job/link handler). */
export interface ActorContext {
  orgId: string;
  /** The signed-in user; null for non-user actors (set `actor` then). */
  userId: string | null;
  /** Non-user actor, e.g. `approval-link:<approverId>` or `job:usage-rollup`. */
  actor?: string | null;
  /** API Gateway request id (or an execution name for workflow actors). */
  requestId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

export interface AuditEntry {
  /** `<resource>.<verb>`, e.g. `brand.create`, `member.role_change`, `content_request.cancel`. */
  action: string;
  resourceType: string;
  resourceId?: string | null;
  /** Small, non-secret facts (changed field names, old/new role). Never tokens or bodies. */
  details?: Record<string, unknown> | null;
}

export async function audit(tx: Tx, ctx: ActorContext, entry: AuditEntry): Promise<void> {
  await insertAuditRow(tx, {
    organizationId: ctx.orgId,
    userId: ctx.userId,
    actor: ctx.actor ?? null,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId ?? null,
    requestId: ctx.requestId ?? null,
    ip: ctx.ip ?? null,
    userAgent: ctx.userAgent ? ctx.userAgent.slice(0, 512) : null,
    details: entry.details ?? null,
  });
}
