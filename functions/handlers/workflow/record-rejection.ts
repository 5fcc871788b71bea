/** Workflow task "recordRejection": receives the whole (small) state, incl. `approval` when a reviewer decided. */
import { z } from 'zod';
import { recordRejection } from '../../app/pipeline/tasks.js';
import { refSchema, workflowTask } from './task.js';

const input = refSchema
  .extend({
    approval: z.object({ decision: z.string().max(40).optional(), reason: z.string().max(2000).nullish() }).nullish(),
  })
  .loose();

export const handler = workflowTask('recordRejection', input, recordRejection);
