/** Use cases: approval workflows (ordered steps; every named approver must be an active member). */
import type { Tx } from '../adapters/db/client.js';
import { clearDefaultWorkflow } from '../adapters/db/stores/brand-store.js';
import { activeMemberIds } from '../adapters/db/stores/member-store.js';
import {
  deleteWorkflowRow,
  findWorkflow,
  insertWorkflow,
  isWorkflowInUse,
  listWorkflowRows,
  updateWorkflowRow,
  WORKFLOW_NAME_CONSTRAINT,
  type WorkflowRow,
} from '../adapters/db/stores/workflow-store.js';
import { inFlightStatuses } from '../domain/request-status.js';
import type { WorkflowStep } from '../domain/workflow-types.js';
import { AppError, type FieldProblem } from '../shared/errors.js';
import { audit, type ActorContext } from './audit.js';
import { namedDto, namedWrites } from './named-resource.js';
import { decodeCursor, keysetPage } from './pagination.js';

const toWorkflow = (w: WorkflowRow) => namedDto(w, { steps: w.steps, allowAutoApprove: w.allowAutoApprove });
export type WorkflowDto = ReturnType<typeof toWorkflow>;

const workflowWrites = namedWrites({
  name: 'workflow',
  constraint: WORKFLOW_NAME_CONSTRAINT,
  resourceType: 'approval_workflow',
  toDto: toWorkflow,
});

/** The fields of a workflow an update may change. */
export interface WorkflowInput {
  name?: string;
  description?: string | null;
  steps?: WorkflowStep[];
  allowAutoApprove?: boolean;
  isActive?: boolean;
}

/** A new workflow: a name, its steps and whether it may auto-approve are required. */
export type NewWorkflowInput = Omit<WorkflowInput, 'isActive'> & {
  name: string;
  steps: WorkflowStep[];
  allowAutoApprove: boolean;
};

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
    const members = await activeMemberIds(tx, orgId, ids);
    for (const r of refs)
      if (!members.has(r.userId)) problems.push({ path: r.path, message: 'is not a member of this organization' });
  }
  if (problems.length)
    throw new AppError('validation_failed', 'The workflow steps are not valid', { fields: problems });
}

async function loadWorkflow(tx: Tx, orgId: string, id: string, forUpdate = false): Promise<WorkflowRow> {
  const w = await findWorkflow(tx, orgId, id, { forUpdate });
  if (!w) throw new AppError('not_found', 'Approval workflow not found');
  return w;
}

export async function listWorkflows(tx: Tx, orgId: string, q: { limit: number; cursor?: string }) {
  const rows = await listWorkflowRows(tx, orgId, { limit: q.limit, after: decodeCursor(q.cursor) });
  return keysetPage(rows, q.limit, toWorkflow);
}

export async function getWorkflow(tx: Tx, orgId: string, id: string): Promise<WorkflowDto> {
  return toWorkflow(await loadWorkflow(tx, orgId, id));
}

export async function createWorkflow(tx: Tx, ctx: ActorContext, input: NewWorkflowInput): Promise<WorkflowDto> {
  await checkApprovers(tx, ctx.orgId, input.steps);
  return workflowWrites.create(
    tx,
    ctx,
    () =>
      insertWorkflow(tx, {
        organizationId: ctx.orgId,
        name: input.name,
        description: input.description ?? null,
        steps: input.steps,
        allowAutoApprove: input.allowAutoApprove,
        createdBy: ctx.userId,
      }),
    (w) => ({ name: w.name, steps: w.steps.length }),
  );
}

export async function updateWorkflow(
  tx: Tx,
  ctx: ActorContext,
  id: string,
  input: WorkflowInput,
): Promise<WorkflowDto> {
  await loadWorkflow(tx, ctx.orgId, id, true);
  if (input.steps) await checkApprovers(tx, ctx.orgId, input.steps);
  return workflowWrites.update(tx, ctx, input, () => updateWorkflowRow(tx, ctx.orgId, id, input));
}

/** Hard delete, refused while a request that has not finished still uses the workflow. */
export async function deleteWorkflow(tx: Tx, ctx: ActorContext, id: string): Promise<void> {
  await loadWorkflow(tx, ctx.orgId, id, true);
  const busy = await isWorkflowInUse(tx, ctx.orgId, id, [...inFlightStatuses, 'awaiting_approval']);
  if (busy)
    throw new AppError('conflict', 'Requests in progress use this workflow; deactivate it instead (isActive: false)');
  await clearDefaultWorkflow(tx, ctx.orgId, id);
  await deleteWorkflowRow(tx, ctx.orgId, id);
  await audit(tx, ctx, { action: 'workflow.delete', resourceType: 'approval_workflow', resourceId: id });
}
