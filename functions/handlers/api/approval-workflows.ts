/** /v1/orgs/{orgId}/approval-workflows: ordered approval steps. */
import { createWorkflow, deleteWorkflow, getWorkflow, listWorkflows, updateWorkflow } from '../../app/workflows.js';
import { defineHandler, orgCollection } from './define.js';

export const handler = defineHandler(
  'approval-workflows',
  orgCollection(
    { one: 'Workflow', path: 'approval-workflows', idParam: 'workflowId' },
    { list: listWorkflows, create: createWorkflow, get: getWorkflow, update: updateWorkflow, remove: deleteWorkflow },
  ),
);
