/** Workflow task "decide" (see functions/app/pipeline/tasks.ts). */
import { decide } from '../../app/pipeline/tasks.js';
import { refSchema, workflowTask } from './task.js';

export const handler = workflowTask('decide', refSchema, decide);
