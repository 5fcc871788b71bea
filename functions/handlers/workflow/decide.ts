/** Workflow task "decide" (see functions/app/pipeline/tasks.ts); its final score feeds the ComplianceScore metric. */
import { decide } from '../../app/pipeline/tasks.js';
import { pipelineMetric } from '../../shared/metrics.js';
import { refSchema, workflowTask } from './task.js';

export const handler = workflowTask('decide', refSchema, async (deps, ref) => {
  const out = await decide(deps, ref);
  pipelineMetric('complianceScore', out.score);
  return out;
});
