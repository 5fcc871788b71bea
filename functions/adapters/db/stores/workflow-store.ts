/** Approval workflows of the current tenant (every function runs in withTenant's transaction). */
import { and, desc, eq, inArray, type SQL } from 'drizzle-orm';
import { approvalWorkflows, contentRequests } from '../../../../db/schema/index.js';
import type { RequestStatus } from '../../../domain/request-status.js';
import type { Tx } from '../client.js';
import { cursorTs, keysetBefore, type KeysetPosition } from '../keyset.js';

export type WorkflowRow = typeof approvalWorkflows.$inferSelect;
export type NewWorkflowRow = typeof approvalWorkflows.$inferInsert;
/** Unique per organization: a create or rename onto a taken name fails with it. */
export const WORKFLOW_NAME_CONSTRAINT = 'approval_workflows_org_name_uq';

export async function findWorkflow(
  tx: Tx,
  orgId: string,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<WorkflowRow | undefined> {
  const q = tx
    .select()
    .from(approvalWorkflows)
    .where(and(eq(approvalWorkflows.organizationId, orgId), eq(approvalWorkflows.id, id)));
  const [w] = opts.forUpdate ? await q.for('update') : await q;
  return w;
}

export async function hasActiveWorkflow(tx: Tx, orgId: string, id: string): Promise<boolean> {
  const [w] = await tx
    .select({ id: approvalWorkflows.id })
    .from(approvalWorkflows)
    .where(
      and(
        eq(approvalWorkflows.organizationId, orgId),
        eq(approvalWorkflows.id, id),
        eq(approvalWorkflows.isActive, true),
      ),
    );
  return !!w;
}

/** `limit + 1` workflows after the cursor, newest first. */
export async function listWorkflowRows(tx: Tx, orgId: string, q: { limit: number; after?: KeysetPosition }) {
  const where: SQL[] = [eq(approvalWorkflows.organizationId, orgId)];
  if (q.after) where.push(keysetBefore(approvalWorkflows.createdAt, approvalWorkflows.id, q.after, 'uuid'));
  const rows = await tx
    .select({ w: approvalWorkflows, ts: cursorTs(approvalWorkflows.createdAt) })
    .from(approvalWorkflows)
    .where(and(...where))
    .orderBy(desc(approvalWorkflows.createdAt), desc(approvalWorkflows.id))
    .limit(q.limit + 1);
  return rows.map(({ w, ts }) => ({ row: w, cursor: { t: ts, id: w.id } }));
}

/** Does any request in one of `statuses` use the workflow? */
export async function isWorkflowInUse(
  tx: Tx,
  orgId: string,
  id: string,
  statuses: readonly RequestStatus[],
): Promise<boolean> {
  const [busy] = await tx
    .select({ id: contentRequests.id })
    .from(contentRequests)
    .where(
      and(
        eq(contentRequests.organizationId, orgId),
        eq(contentRequests.workflowId, id),
        inArray(contentRequests.status, [...statuses]),
      ),
    )
    .limit(1);
  return !!busy;
}

export async function insertWorkflow(tx: Tx, row: NewWorkflowRow): Promise<WorkflowRow> {
  const [w] = await tx.insert(approvalWorkflows).values(row).returning();
  return w;
}

export async function updateWorkflowRow(
  tx: Tx,
  orgId: string,
  id: string,
  patch: Partial<NewWorkflowRow>,
): Promise<WorkflowRow> {
  const [w] = await tx
    .update(approvalWorkflows)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(approvalWorkflows.organizationId, orgId), eq(approvalWorkflows.id, id)))
    .returning();
  return w;
}

export async function deleteWorkflowRow(tx: Tx, orgId: string, id: string): Promise<void> {
  await tx
    .delete(approvalWorkflows)
    .where(and(eq(approvalWorkflows.organizationId, orgId), eq(approvalWorkflows.id, id)));
}

/** What routing after compliance needs of a workflow. */
export async function findWorkflowRouting(
  tx: Tx,
  id: string,
): Promise<{ allowAutoApprove: boolean; isActive: boolean } | undefined> {
  const [w] = await tx
    .select({ allowAutoApprove: approvalWorkflows.allowAutoApprove, isActive: approvalWorkflows.isActive })
    .from(approvalWorkflows)
    .where(eq(approvalWorkflows.id, id));
  return w;
}
