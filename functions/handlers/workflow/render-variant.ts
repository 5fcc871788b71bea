/** Workflow task "renderVariant" (see functions/app/pipeline/tasks.ts). */
import { renderVariant } from '../../app/pipeline/tasks.js';
import { variantRefSchema, workflowTask } from './task.js';

export const handler = workflowTask('renderVariant', variantRefSchema, renderVariant);
