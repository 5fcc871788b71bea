/** Workflow task "sourceImage" (see functions/app/pipeline/tasks.ts). */
import type { PipelineDeps } from '../../app/pipeline/ports.js';
import { sourceImage } from '../../app/pipeline/tasks.js';
import { imageSourceFromEnv, loadSourceConfig } from './source-image-wiring.js';
import { refSchema, workflowTask } from './task.js';

const wiring = { imageSource: imageSourceFromEnv };
export const handler = workflowTask('sourceImage', refSchema, async (deps: PipelineDeps, ref) => {
  await loadSourceConfig();
  return sourceImage(deps, ref);
}, wiring);
