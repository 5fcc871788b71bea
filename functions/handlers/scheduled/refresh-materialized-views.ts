import { makeJobHandler } from './job-handler.js';

export const handler = makeJobHandler('refresh-materialized-views');
