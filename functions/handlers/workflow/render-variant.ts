/** Workflow task "renderVariant" (see functions/app/pipeline/tasks.ts): a rendering task, wired with sharp. */
import { createPipelineImaging } from '../../app/pipeline/imaging.js';
import { renderVariant } from '../../app/pipeline/tasks.js';
import { pipelineMetric } from '../../shared/metrics.js';
import { variantRefSchema, workflowTask } from './task.js';

export const handler = workflowTask(
  'renderVariant',
  variantRefSchema,
  async (deps, ref) => {
    const started = performance.now();
    const out = await renderVariant(deps, ref);
    pipelineMetric('renderDuration', Math.round(performance.now() - started));
    return out;
  },
  { imaging: createPipelineImaging },
);
