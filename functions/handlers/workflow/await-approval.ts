/** Workflow task "awaitApproval": the default approval wait (a `.waitForTaskToken` state). */
import { z } from 'zod';
import { awaitApproval } from '../../app/pipeline/tasks.js';
import { refSchema, workflowTask } from './task.js';

export const handler = workflowTask('awaitApproval', refSchema.extend({ taskToken: z.string().min(1).max(2048) }), awaitApproval);
