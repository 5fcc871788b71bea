/** Workflow task "sourceImage" (see functions/app/pipeline/tasks.ts). */
import { createSourcingImaging } from '../../app/pipeline/imaging-sourcing.js';
import type { PipelineDeps } from '../../app/pipeline/ports.js';
import { sourceImage } from '../../app/pipeline/tasks.js';
import { imageSourceFromEnv, loadSourceConfig } from '../composition/freepik.js';
import { sourcingDeadline } from './source-image-deadline.js';
import { refSchema, workflowTask } from './task.js';

const wiring = { imageSource: imageSourceFromEnv, imaging: createSourcingImaging };
export const handler = workflowTask(
  'sourceImage',
  refSchema,
  async (deps: PipelineDeps, ref, context) => {
    await loadSourceConfig();
    return sourceImage(deps, ref, { deadline: sourcingDeadline(context) });
  },
  wiring,
);
