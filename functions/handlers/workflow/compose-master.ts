/** Workflow task "composeMaster" (see functions/app/pipeline/tasks.ts): a rendering task, wired with sharp. */
import { createPipelineImaging } from '../../app/pipeline/imaging.js';
import { composeMaster } from '../../app/pipeline/tasks.js';
import { refSchema, workflowTask } from './task.js';

export const handler = workflowTask('composeMaster', refSchema, composeMaster, { imaging: createPipelineImaging });
