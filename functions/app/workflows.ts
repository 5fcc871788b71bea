/** Use cases: approval workflows (ordered steps; every named approver must be an active member). */
import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../adapters/db/client.js';
import { approvalWorkflows, brandProfiles, contentRequests, userOrganizations } from '../../db/schema/index.js';
import { inFlightStatuses } from '../domain/request-status.js';
import type { WorkflowStep } from '../domain/workflow-types.js';
import { AppError, type FieldProblem } from '../shared/errors.js';
import { audit, type ActorContext } from './audit.js';
import { cursorTs, decodeCursor, encodeCursor, isoReq, isUniqueViolation } from './util.js';

type WorkflowRow = typeof approvalWorkflows.$inferSelect;
const toWorkflow = (w: WorkflowRow) => ({
  id: w.id,
  name: w.name,
  description: w.description ?? null,
  steps: w.steps,
  allowAutoApprove: w.allowAutoApprove,
  isActive: w.isActive,
  createdAt: isoReq(w.createdAt),
  updatedAt: isoReq(w.updatedAt),
});
export type WorkflowDto = ReturnType<typeof toWorkflow>;

async function checkApprovers(tx: Tx, orgId: string, steps: WorkflowStep[]): Promise<void> {
  const refs: { path: string; userId: string }[] = [];
  steps.forEach((s, i) => {
    s.approvers.userIds.forEach((u, j) => {
      refs.push({ path: `body.steps[${i}].approvers.userIds[${j}]`, userId: u.toLowerCase() });
    });
    if (s.escalateTo?.userId)
      refs.push({ path: `body.steps[${i}].escalateTo.userId`, userId: s.escalateTo.userId.toLowerCase() });
  });
  const problems: FieldProblem[] = [];
  steps.forEach((s, i) => {
    if (s.quorum.type === 'n_of_m' && s.approvers.roles.length === 0 && s.quorum.n > s.approvers.userIds.length) {
      problems.push({ path: `body.steps[${i}].quorum.n`, message: 'is larger than the number of named approvers' });
    }
  });
  if (refs.length) {
    const ids = [...new Set(refs.map((r) => r.userId))];
    const found = await tx
      .select({ userId: userOrganizations.userId })
      .from(userOrganizations)
      .where(
        and(
          eq(userOrganizations.organizationId, orgId),
          eq(userOrganizations.status, 'active'),
          inArray(userOrganizations.userId, ids),
        ),
      );
    const members = new Set(found.map((f) => f.userId));
    for (const r of refs)
      if (!members.has(r.userId)) problems.push({ path: r.path, message: 'is not a member of this organization' });
  }
  if (problems.length)
    throw new AppError('validation_failed', 'The workflow steps are not valid', { fields: problems });
}

const nameTaken = (e: unknown) =>
  isUniqueViolation(e, 'approval_workflows_org_name_uq')
    ? new AppError('conflict', 'A workflow with this name exists', {
        fields: [{ path: 'body.name', message: 'already in use' }],
      })
    : e;

async function loadWorkflow(tx: Tx, orgId: string, id: string, forUpdate = false): Promise<WorkflowRow> {
  const q = tx
    .select()
    .from(approvalWorkflows)
    .where(and(eq(approvalWorkflows.organizationId, orgId), eq(approvalWorkflows.id, id)));
  const [w] = forUpdate ? await q.for('update') : await q;
  if (!w) throw new AppError('not_found', 'Approval workflow not found');
  return w;
}

export async function listWorkflows(tx: Tx, orgId: string, q: { limit: number; cursor?: string }) {
  const c = decodeCursor(q.cursor);
  const where: SQL[] = [eq(approvalWorkflows.organizationId, orgId)];
  if (c)
    where.push(sql`(${approvalWorkflows.createdAt}, ${approvalWorkflows.id}) < (${c.t}::timestamptz, ${c.id}::uuid)`);
  const rows = await tx
    .select({ w: approvalWorkflows, ts: cursorTs(approvalWorkflows.createdAt) })
    .from(approvalWorkflows)
    .where(and(...where))
    .orderBy(desc(approvalWorkflows.createdAt), desc(approvalWorkflows.id))
    .limit(q.limit + 1);
  const more = rows.length > q.limit;
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => toWorkflow(r.w)),
    nextCursor: more && last ? encodeCursor({ t: last.ts, id: last.w.id }) : null,
  };
}

export async function getWorkflow(tx: Tx, orgId: string, id: string): Promise<WorkflowDto> {
  return toWorkflow(await loadWorkflow(tx, orgId, id));
}

export async function createWorkflow(
  tx: Tx,
  ctx: ActorContext,
  input: { name: string; description?: string | null; steps: WorkflowStep[]; allowAutoApprove: boolean },
) {
  await checkApprovers(tx, ctx.orgId, input.steps);
  try {
    const [w] = await tx
      .insert(approvalWorkflows)
      .values({
        organizationId: ctx.orgId,
        name: input.name,
        description: input.description ?? null,
        steps: input.steps,
        allowAutoApprove: input.allowAutoApprove,
        createdBy: ctx.userId,
      })
      .returning();
    await audit(tx, ctx, {
      action: 'workflow.create',
      resourceType: 'approval_workflow',
      resourceId: w.id,
      details: { name: w.name, steps: w.steps.length },
    });
    return toWorkflow(w);
  } catch (e) {
    throw nameTaken(e);
  }
}

export async function updateWorkflow(
  tx: Tx,
  ctx: ActorContext,
  id: string,
  input: {
    name?: string;
    description?: string | null;
    steps?: WorkflowStep[];
    allowAutoApprove?: boolean;
    isActive?: boolean;
  },
) {
  await loadWorkflow(tx, ctx.orgId, id, true);
  if (input.steps) await checkApprovers(tx, ctx.orgId, input.steps);
  try {
    const [w] = await tx
      .update(approvalWorkflows)
      .set({ ...input, updatedAt: new Date() })
      .where(and(eq(approvalWorkflows.organizationId, ctx.orgId), eq(approvalWorkflows.id, id)))
      .returning();
    await audit(tx, ctx, {
      action: 'workflow.update',
      resourceType: 'approval_workflow',
      resourceId: id,
      details: { fields: Object.keys(input) },
    });
    return toWorkflow(w);
  } catch (e) {
    throw nameTaken(e);
  }
}

/** Hard delete, refused while a request that has not finished still uses the workflow. */
export async function deleteWorkflow(tx: Tx, ctx: ActorContext, id: string): Promise<void> {
  await loadWorkflow(tx, ctx.orgId, id, true);
  const [busy] = await tx
    .select({ id: contentRequests.id })
    .from(contentRequests)
    .where(
      and(
        eq(contentRequests.organizationId, ctx.orgId),
        eq(contentRequests.workflowId, id),
        inArray(contentRequests.status, [...inFlightStatuses, 'awaiting_approval']),
      ),
    )
    .limit(1);
  if (busy)
    throw new AppError('conflict', 'Requests in progress use this workflow; deactivate it instead (isActive: false)');
  await tx
    .update(brandProfiles)
    .set({ defaultWorkflowId: null, updatedAt: new Date() })
    .where(and(eq(brandProfiles.organizationId, ctx.orgId), eq(brandProfiles.defaultWorkflowId, id)));
  await tx
    .delete(approvalWorkflows)
    .where(and(eq(approvalWorkflows.organizationId, ctx.orgId), eq(approvalWorkflows.id, id)));
  await audit(tx, ctx, { action: 'workflow.delete', resourceType: 'approval_workflow', resourceId: id });
}
