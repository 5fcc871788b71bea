/** Use case: reading the audit log (newest first, keyset pages on (created_at, id)). */
import type { Tx } from '../adapters/db/client.js';
import { listAuditRows, type AuditFilter } from '../adapters/db/stores/audit-store.js';
import { isoReq } from './dto-dates.js';
import { decodeCursor, keysetPage } from './pagination.js';

export async function listActivity(tx: Tx, orgId: string, q: Omit<AuditFilter, 'after'> & { cursor?: string }) {
  const { cursor, ...filter } = q;
  // Log rows have bigint ids.
  const rows = await listAuditRows(tx, orgId, { ...filter, after: decodeCursor(cursor, /^\d+$/) });
  // An entry is its log row as stored, less the tenant column, with the id and the time as text.
  return keysetPage(rows, q.limit, ({ id, organizationId: _tenant, createdAt, ...entry }) => ({
    id: String(id),
    ...entry,
    createdAt: isoReq(createdAt),
  }));
}
