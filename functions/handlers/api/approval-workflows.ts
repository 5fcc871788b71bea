/** /v1/orgs/{orgId}/approval-workflows: ordered approval steps. */
import { createWorkflow, deleteWorkflow, getWorkflow, listWorkflows, updateWorkflow } from '../../app/workflows.js';
import { actorOf, created, defineHandler, inTenant, noContent, ok } from './define.js';

export const handler = defineHandler('approval-workflows', {
  listWorkflows: async (req) => ok(await inTenant(req, (tx) => listWorkflows(tx, req.tenant.orgId, req.query))),
  createWorkflow: async (req) => {
    const w = await inTenant(req, (tx) => createWorkflow(tx, actorOf(req), req.body));
    return created(w, `/v1/orgs/${req.tenant.orgId}/approval-workflows/${w.id}`);
  },
  getWorkflow: async (req) => ok(await inTenant(req, (tx) => getWorkflow(tx, req.tenant.orgId, req.params.workflowId))),
  updateWorkflow: async (req) =>
    ok(await inTenant(req, (tx) => updateWorkflow(tx, actorOf(req), req.params.workflowId, req.body))),
  deleteWorkflow: async (req) => {
    await inTenant(req, (tx) => deleteWorkflow(tx, actorOf(req), req.params.workflowId));
    return noContent();
  },
});
