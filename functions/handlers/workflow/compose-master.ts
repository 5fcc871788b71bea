/** Workflow task "composeMaster" (see functions/app/pipeline/tasks.ts). */
import { composeMaster } from '../../app/pipeline/tasks.js';
import { refSchema, workflowTask } from './task.js';

export const handler = workflowTask('composeMaster', refSchema, composeMaster);
