/** Use case: reading the audit log (newest first, keyset pages on (created_at, id)). */
import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../adapters/db/client.js';
import { userActivityLogs } from '../../db/schema/index.js';
import { AppError } from '../shared/errors.js';
import { cursorTs, decodeCursor, encodeCursor, isoReq } from './util.js';

export async function listActivity(
  tx: Tx,
  orgId: string,
  q: {
    limit: number;
    cursor?: string;
    from?: string;
    to?: string;
    resourceType?: string;
    resourceId?: string;
    userId?: string;
    action?: string;
  },
) {
  const c = decodeCursor(q.cursor);
  if (c && !/^\d+$/.test(c.id))
    throw new AppError('validation_failed', 'The cursor is not valid', {
      fields: [{ path: 'query.cursor', message: 'not a cursor returned by this list' }],
    });
  const where: SQL[] = [eq(userActivityLogs.organizationId, orgId)];
  if (q.from) where.push(gte(userActivityLogs.createdAt, new Date(q.from)));
  if (q.to) where.push(lt(userActivityLogs.createdAt, new Date(q.to)));
  if (q.resourceType) where.push(eq(userActivityLogs.resourceType, q.resourceType));
  if (q.resourceId) where.push(eq(userActivityLogs.resourceId, q.resourceId));
  if (q.userId) where.push(eq(userActivityLogs.userId, q.userId));
  if (q.action) where.push(eq(userActivityLogs.action, q.action));
  if (c)
    where.push(sql`(${userActivityLogs.createdAt}, ${userActivityLogs.id}) < (${c.t}::timestamptz, ${c.id}::bigint)`);
  const rows = await tx
    .select({ l: userActivityLogs, ts: cursorTs(userActivityLogs.createdAt) })
    .from(userActivityLogs)
    .where(and(...where))
    .orderBy(desc(userActivityLogs.createdAt), desc(userActivityLogs.id))
    .limit(q.limit + 1);
  const more = rows.length > q.limit;
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map(({ l }) => ({
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
    })),
    nextCursor: more && last ? encodeCursor({ t: last.ts, id: String(last.l.id) }) : null,
  };
}
