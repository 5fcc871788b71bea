export * from './tenancy.js';
export * from './brand.js';
export * from './content.js';
export * from './workflow.js';
export * from './usage.js';
export * from './analytics.js';
export * from './system.js';
export * from './partitioned.js';
