/**
 * Process-wide dependencies, created once per Lambda container (lazily, at first use, from env)
 * and shared by every handler in the process. The local stack and tests register overrides
 * (e.g. the local workflow runner) before the first invocation.
 */
import { connect, prepareFromEnv, type Db, type DbHandle } from '../adapters/db/client.js';
import { createObjectStore, type ObjectStore } from '../adapters/storage/object-store.js';
import type { WorkflowStarter } from '../domain/ports.js';
import { createSfnStarter } from '../adapters/workflow/sfn-starter.js';
import { dbEnv, parseEnv, storageEnv, workflowEnv } from './env.js';

export interface Services {
  dbHandle: DbHandle;
  store: ObjectStore;
  workflow: WorkflowStarter;
}

const overrides: Partial<Services> = {};
const cache: Partial<Services> = {};
const factories: { [K in keyof Services]?: () => Services[K] } = {};

/** Registers (or replaces) a service instance. Local stack / tests only. */
export function provide<K extends keyof Services>(key: K, value: Services[K]): void {
  overrides[key] = value;
}
/** Registers a lazy factory (used by adapters that live in other modules, e.g. the SFN starter). */
export function provideFactory<K extends keyof Services>(key: K, factory: () => Services[K]): void {
  (factories as Record<string, unknown>)[key] = factory;
}
export function resetServices(): void {
  for (const k of Object.keys(overrides)) delete overrides[k as keyof Services];
  for (const k of Object.keys(cache)) delete cache[k as keyof Services];
}

function get<K extends keyof Services>(key: K, create: () => Services[K]): Services[K] {
  const o = overrides[key];
  if (o) return o as Services[K];
  if (!cache[key]) cache[key] = (factories[key] ?? create)();
  return cache[key] as Services[K];
}

export const services = {
  dbHandle: () =>
    get('dbHandle', () => {
      const env = parseEnv(dbEnv);
      return connect(env.DATABASE_URL, {
        max: env.DB_POOL_MAX,
        iamAuth: env.DATABASE_IAM_AUTH === 'true' ? { region: env.AWS_REGION } : undefined,
        prepare: prepareFromEnv(env.DATABASE_PREPARE),
      });
    }),
  db: (): Db => services.dbHandle().db,
  store: () =>
    get('store', () => {
      const env = parseEnv(storageEnv);
      return createObjectStore({
        bucket: env.ASSET_BUCKET,
        region: env.AWS_REGION,
        endpoint: env.S3_ENDPOINT,
        publicEndpoint: env.S3_PUBLIC_ENDPOINT,
        cdnDomain: env.ASSET_CDN_DOMAIN,
      });
    }),
  workflow: () =>
    get('workflow', () => {
      // In AWS: Step Functions (the construct's bind sets STATE_MACHINE_ARN); locally the stack registers its runner.
      const { STATE_MACHINE_ARN } = parseEnv(workflowEnv);
      if (STATE_MACHINE_ARN) return createSfnStarter({ stateMachineArn: STATE_MACHINE_ARN });
      throw new Error(
        'configuration error: no workflow starter registered (set STATE_MACHINE_ARN or run the local stack)',
      );
    }),
};
