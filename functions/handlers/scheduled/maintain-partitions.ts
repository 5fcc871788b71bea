import { makeJobHandler } from './job-handler.js';

export const handler = makeJobHandler('maintain-partitions');
