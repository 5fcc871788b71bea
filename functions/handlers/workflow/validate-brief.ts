/** Workflow task "validateBrief" (see functions/app/pipeline/tasks.ts). */
import { validateBrief } from '../../app/pipeline/tasks.js';
import { refSchema, workflowTask } from './task.js';

export const handler = workflowTask('validateBrief', refSchema, validateBrief);
