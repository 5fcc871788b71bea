import { makeJobHandler } from './job-handler.js';

export const handler = makeJobHandler('collect-metrics');
