/** Workflow task "checkMaster" (see functions/app/pipeline/tasks.ts). */
import { checkMaster } from '../../app/pipeline/tasks.js';
import { refSchema, workflowTask } from './task.js';

export const handler = workflowTask('checkMaster', refSchema, checkMaster);
