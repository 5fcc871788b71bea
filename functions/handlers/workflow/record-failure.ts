/** Workflow task "recordFailure": the Catch target; stores {state, code, message} on the request. */
import { z } from 'zod';
import { recordFailure } from '../../app/pipeline/tasks.js';
import { refSchema, workflowTask } from './task.js';

const input = refSchema.extend({
  error: z.object({ Error: z.string().optional(), Cause: z.unknown().optional() }).nullish(),
});

export const handler = workflowTask('recordFailure', input, recordFailure);
