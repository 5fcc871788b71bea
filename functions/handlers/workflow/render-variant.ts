/** Workflow task "renderVariant" (see functions/app/pipeline/tasks.ts): a rendering task, wired with sharp. */
import { createPipelineImaging } from '../../app/pipeline/imaging.js';
import { renderVariant } from '../../app/pipeline/tasks.js';
import { variantRefSchema, workflowTask } from './task.js';

export const handler = workflowTask('renderVariant', variantRefSchema, renderVariant, { imaging: createPipelineImaging });
