/** Workflow task "sourceImage" (see functions/app/pipeline/tasks.ts). */
import { sourceImage } from '../../app/pipeline/tasks.js';
import { refSchema, workflowTask } from './task.js';

export const handler = workflowTask('sourceImage', refSchema, sourceImage);
