/**
 * Workflow task "publish" (see functions/app/pipeline/tasks.ts), wrapped by the approval engine
 * (functions/app/approvals/publication.ts): what is published must be exactly what was approved,
 * and the publication emits `content.published` (EventBridge -> signed webhooks).
 */
import { publishApproved } from '../../app/approvals/publication.js';
import { approvalServices } from '../../handlers/composition/approvals.js';
import { publish } from '../../app/pipeline/tasks.js';
import { pipelineMetric } from '../../shared/metrics.js';
import { refSchema, workflowTask } from './task.js';

export const handler = workflowTask('publish', refSchema, async (deps, ref) => {
  const manifest = await publishApproved(deps, ref, publish, approvalServices());
  pipelineMetric('requestsPublished');
  return manifest;
});
