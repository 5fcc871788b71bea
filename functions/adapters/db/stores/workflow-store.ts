/** Approval workflows of the current tenant (every function runs in withTenant's transaction). */
import { and, eq, inArray } from 'drizzle-orm';
import { approvalWorkflows, contentRequests } from '../../../../db/schema/index.js';
import type { RequestStatus } from '../../../domain/request-status.js';
import type { Tx } from '../client.js';
import { newestFirstPage, type KeysetPosition } from '../keyset.js';
import {
  rowExists,
  rowInserter,
  tenantRow,
  tenantRowDeleter,
  tenantRowFinder,
  tenantRowUpdater,
} from '../tenant-rows.js';

export type WorkflowRow = typeof approvalWorkflows.$inferSelect;
export type NewWorkflowRow = typeof approvalWorkflows.$inferInsert;
/** Unique per organization: a create or rename onto a taken name fails with it. */
export const WORKFLOW_NAME_CONSTRAINT = 'approval_workflows_org_name_uq';

/** The tenant's workflow, locked for the rest of the transaction with `forUpdate`. */
export const findWorkflow = tenantRowFinder(approvalWorkflows);

export async function hasActiveWorkflow(tx: Tx, orgId: string, id: string): Promise<boolean> {
  return rowExists(
    tx,
    approvalWorkflows,
    and(tenantRow(approvalWorkflows, orgId, id), eq(approvalWorkflows.isActive, true)),
  );
}

/** `limit + 1` workflows after the cursor, newest first. */
export async function listWorkflowRows(tx: Tx, orgId: string, q: { limit: number; after?: KeysetPosition }) {
  return newestFirstPage(tx, approvalWorkflows, [eq(approvalWorkflows.organizationId, orgId)], q);
}

/** Does any request in one of `statuses` use the workflow? */
export async function isWorkflowInUse(
  tx: Tx,
  orgId: string,
  id: string,
  statuses: readonly RequestStatus[],
): Promise<boolean> {
  return rowExists(
    tx,
    contentRequests,
    and(
      eq(contentRequests.organizationId, orgId),
      eq(contentRequests.workflowId, id),
      inArray(contentRequests.status, [...statuses]),
    ),
  );
}

export const insertWorkflow = rowInserter(approvalWorkflows);

export const updateWorkflowRow = tenantRowUpdater(approvalWorkflows);

export const deleteWorkflowRow = tenantRowDeleter(approvalWorkflows);

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
