/**
 * The handler inventory, read from the single definitions other modules own: the API route table,
 * the workflow's task handlers, the job schedules. Adding a route, task or schedule there is all
 * it takes for the CDK app to create its function, route or schedule.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { routes as routeTable } from '../../functions/handlers/api/routes.js';
import { schedules as scheduleTable, schedulerInput } from '../../functions/handlers/scheduled/schedules.js';
import { TASK_HANDLERS } from '../constructs/content-workflow.js';
import type { ApiRoute } from '../constructs/http-api.js';
import { APPROVAL_JOBS, isLocalOnlyRoute } from './functions.js';

/** Absolute project root (package.json, package-lock.json). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const allRoutes: ApiRoute[] = routeTable.map((r) => ({
  id: r.id,
  method: r.method,
  path: r.path,
  fn: r.fn,
  auth: r.auth,
}));
/** Every API route deployed to AWS, in table order. */
export const apiRoutes: ApiRoute[] = allRoutes.filter((r) => !isLocalOnlyRoute(r));
/** Routes of the table that exist only under `npm start`. */
export const localOnlyRoutes: ApiRoute[] = allRoutes.filter((r) => isLocalOnlyRoute(r));

/** `functions/handlers/api/<fn>.ts` */
export const apiEntry = (fn: string) => `functions/handlers/api/${fn}.ts`;
/** `functions/handlers/scheduled/<fn>.ts` */
export const jobEntry = (fn: string) => `functions/handlers/scheduled/${fn}.ts`;

/** Workflow task name -> handler entry. */
export const workflowTasks: Record<string, string> = { ...TASK_HANDLERS };

export interface ScheduleEntry {
  name: string;
  /** Handler module of the job function. */
  entry: string;
  expression: string;
  fn: string;
  description: string;
  /** The Scheduler target input (JSON with context attributes). */
  input: Record<string, unknown>;
  timeoutSeconds?: number;
  memoryMb?: number;
}

/** Analytics schedules (their table) followed by the approval engine's jobs (lib/config/functions.ts). */
export const jobSchedules: ScheduleEntry[] = [
  ...scheduleTable.map((s) => ({
    name: s.name,
    entry: jobEntry(s.fn),
    expression: s.expression,
    fn: s.fn,
    description: s.description,
    input: JSON.parse(schedulerInput(s)) as Record<string, unknown>,
    timeoutSeconds: s.timeoutSeconds,
    memoryMb: s.memoryMb,
  })),
  ...APPROVAL_JOBS.map((j) => ({
    name: j.name,
    entry: j.entry,
    expression: j.expression,
    fn: j.name,
    description: j.description,
    input: JSON.parse(schedulerInput({ name: j.name as never })) as Record<string, unknown>,
  })),
];

/** True when the project-relative module exists. */
export const entryExists = (entry: string) => existsSync(path.join(PROJECT_ROOT, entry));
