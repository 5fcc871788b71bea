/** Use case: reading the audit log (newest first, keyset pages on (created_at, id)). */
import type { Tx } from '../adapters/db/client.js';
import { listAuditRows, type AuditFilter } from '../adapters/db/stores/audit-store.js';
import { isoReq } from './dto-dates.js';
import { decodeCursor, keysetPage } from './pagination.js';

export async function listActivity(tx: Tx, orgId: string, q: Omit<AuditFilter, 'after'> & { cursor?: string }) {
  const { cursor, ...filter } = q;
  // Log rows have bigint ids.
  const rows = await listAuditRows(tx, orgId, { ...filter, after: decodeCursor(cursor, /^\d+$/) });
  return keysetPage(rows, q.limit, (l) => ({
    id: String(l.id),
    userId: l.userId ?? null,
    actor: l.actor ?? null,
    action: l.action,
    resourceType: l.resourceType,
    resourceId: l.resourceId ?? null,
    requestId: l.requestId ?? null,
    ip: l.ip ?? null,
    userAgent: l.userAgent ?? null,
    details: l.details ?? null,
    createdAt: isoReq(l.createdAt),
  }));
}
