import { makeJobHandler } from './job-handler.js';

export const handler = makeJobHandler('rollup-usage');
