/**
 * PostgreSQL access for tenant webhooks: endpoints (secret stored encrypted) and the delivery log.
 * Every function takes the transaction opened by withTenant(), so RLS scopes it to the tenant;
 * the sweep across tenants goes through a SECURITY DEFINER function (ids only).
 */
import { and, desc, eq, lte, sql } from 'drizzle-orm';
import { webhookDeliveries, webhookEndpoints } from '../../../db/schema/index.js';
import type { Db, Tx } from '../db/client.js';
import { patchRow } from '../db/tenant-rows.js';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

export async function listEndpointRows(tx: Tx): Promise<EndpointRow[]> {
  return tx.select().from(webhookEndpoints).orderBy(desc(webhookEndpoints.createdAt));
}

export async function findEndpoint(tx: Tx, id: string): Promise<EndpointRow | undefined> {
  const [row] = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  return row;
}

export async function insertEndpoint(
  tx: Tx,
  row: { id: string; organizationId: string; url: string; secretEnc: string; events: string[] },
): Promise<EndpointRow> {
  const [r] = await tx.insert(webhookEndpoints).values(row).returning();
  return r;
}

export async function updateEndpointRow(
  tx: Tx,
  id: string,
  patch: { url?: string; events?: string[]; isActive?: boolean; secretEnc?: string },
): Promise<EndpointRow> {
  return patchRow(tx, webhookEndpoints, eq(webhookEndpoints.id, id), patch);
}

export async function deleteEndpointRow(tx: Tx, id: string): Promise<void> {
  await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
}

/** The endpoint's deliveries, newest first (at most 200). */
export async function listDeliveryRows(tx: Tx, endpointId: string, limit: number): Promise<DeliveryRow[]> {
  return tx
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpointId, endpointId))
    .orderBy(desc(webhookDeliveries.createdAt))
    .limit(Math.min(Math.max(limit, 1), 200));
}

/** Active endpoints subscribed to `eventType`. */
export async function subscribedEndpointIds(tx: Tx, eventType: string): Promise<string[]> {
  const rows = await tx
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.isActive, true), sql`${eventType} = ANY(${webhookEndpoints.events})`));
  return rows.map((r) => r.id);
}

/** Queues the event for the endpoint; false when it was queued before (unique per endpoint and event). */
export async function insertDeliveryOnce(
  tx: Tx,
  row: { organizationId: string; endpointId: string; eventId: string; eventType: string; payload: unknown },
): Promise<boolean> {
  const rows = await tx
    .insert(webhookDeliveries)
    .values(row)
    .onConflictDoNothing({ target: [webhookDeliveries.endpointId, webhookDeliveries.eventId] })
    .returning({ id: webhookDeliveries.id });
  return rows.length > 0;
}

/** The window a claim holds a delivery for (two named dates, so they cannot be passed swapped). */
export interface Lease {
  /** A delivery whose next attempt is due by now can be claimed. */
  now: Date;
  /** The claimed delivery's next attempt moves here: until then other workers see it as not due. */
  until: Date;
}

/** Claims a due pending delivery for the lease; undefined when it is not due or not pending. */
export async function claimDueDelivery(tx: Tx, deliveryId: string, lease: Lease): Promise<DeliveryRow | undefined> {
  const [d] = await tx
    .update(webhookDeliveries)
    .set({ nextAttemptAt: lease.until })
    .where(
      and(
        eq(webhookDeliveries.id, deliveryId),
        eq(webhookDeliveries.status, 'pending'),
        lte(webhookDeliveries.nextAttemptAt, lease.now),
      ),
    )
    .returning();
  return d;
}

/** What an attempt did, and when the next one is due. */
export async function recordDeliveryAttempt(
  tx: Tx,
  deliveryId: string,
  attempt: {
    attempts: number;
    status: 'delivered' | 'failed' | 'pending';
    lastStatusCode: number | null;
    lastError: string | null;
    deliveredAt: Date | null;
    nextAttemptAt: Date;
  },
): Promise<void> {
  await tx.update(webhookDeliveries).set(attempt).where(eq(webhookDeliveries.id, deliveryId));
}

export async function pendingDeliveryIds(tx: Tx, eventId: string): Promise<string[]> {
  const rows = await tx
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.eventId, eventId), eq(webhookDeliveries.status, 'pending')));
  return rows.map((r) => r.id);
}

/** Makes a pending delivery due now (an inline retry that should not wait for the backoff). */
export async function makeDeliveryDue(tx: Tx, deliveryId: string, now: Date): Promise<void> {
  await tx
    .update(webhookDeliveries)
    .set({ nextAttemptAt: now })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'pending')));
}

/** Deliveries due for a retry, across tenants (app.due_webhook_deliveries). */
export async function dueDeliveries(db: Db, limit: number): Promise<{ orgId: string; deliveryId: string }[]> {
  const rows = await db.execute<{ organization_id: string; delivery_id: string }>(
    sql`select * from app.due_webhook_deliveries(${limit})`,
  );
  return rows.map((r) => ({ orgId: r.organization_id, deliveryId: r.delivery_id }));
}
