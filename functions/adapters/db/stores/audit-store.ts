/**
 * The audit log (user_activity_logs, monthly partitions): written inside the same transaction as
 * the change it records, read newest first in keyset pages on (created_at, id).
 */
import { isIP } from 'node:net';
import { eq, gte, lt, type SQL } from 'drizzle-orm';
import { userActivityLogs } from '../../../../db/schema/index.js';
import type { Tx } from '../client.js';
import { newestFirstPage, type KeysetPosition } from '../keyset.js';

export type AuditRow = typeof userActivityLogs.$inferSelect;

/** One audit row to write; the use case decides what goes in (app/audit.ts). */
export interface AuditRecord {
  organizationId: string;
  userId: string | null;
  actor: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown> | null;
}

export async function insertAuditRow(tx: Tx, row: AuditRecord): Promise<void> {
  // inet rejects anything that is not an address; a bad header must not fail the change.
  await tx.insert(userActivityLogs).values({ ...row, ip: row.ip && isIP(row.ip) ? row.ip : null });
}

export interface AuditFilter {
  limit: number;
  after?: KeysetPosition;
  from?: string;
  to?: string;
  resourceType?: string;
  resourceId?: string;
  userId?: string;
  action?: string;
}

/** `limit + 1` rows of the tenant's log after the cursor, newest first. */
export async function listAuditRows(tx: Tx, orgId: string, q: AuditFilter) {
  const where: SQL[] = [eq(userActivityLogs.organizationId, orgId)];
  if (q.from) where.push(gte(userActivityLogs.createdAt, new Date(q.from)));
  if (q.to) where.push(lt(userActivityLogs.createdAt, new Date(q.to)));
  if (q.resourceType) where.push(eq(userActivityLogs.resourceType, q.resourceType));
  if (q.resourceId) where.push(eq(userActivityLogs.resourceId, q.resourceId));
  if (q.userId) where.push(eq(userActivityLogs.userId, q.userId));
  if (q.action) where.push(eq(userActivityLogs.action, q.action));
  return newestFirstPage(tx, userActivityLogs, where, q, 'bigint');
}
