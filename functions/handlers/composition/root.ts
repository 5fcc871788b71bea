/**
 * The composition root: every process-wide dependency is built here, once per Lambda container
 * (lazily, at first use, from env) and shared by every handler in the process. The approval
 * services (./approvals.ts), the Freepik image source (./freepik.ts) and the workflow tasks'
 * dependencies (./pipeline.ts) sit in modules of their own so that a Lambda bundles only the
 * adapters it uses; all of them keep their values in one cache (./cache.ts), so one `provide()`
 * and one `resetComposition()` reach everything. The local stack and tests provide overrides
 * (e.g. the local workflow runner) before the first invocation.
 */
import { connect, prepareFromEnv, type Db } from '../../adapters/db/client.js';
import { createObjectStore } from '../../adapters/storage/object-store.js';
import { createSfnStarter } from '../../adapters/workflow/sfn-starter.js';
import { dbEnv, parseEnv, storageEnv, workflowEnv } from '../../shared/env.js';
import { resolve } from './cache.js';

export { provide, resetComposition, type Composed } from './cache.js';

export const services = {
  dbHandle: () =>
    resolve('dbHandle', () => {
      const env = parseEnv(dbEnv);
      return connect(env.DATABASE_URL, {
        max: env.DB_POOL_MAX,
        iamAuth: env.DATABASE_IAM_AUTH === 'true' ? { region: env.AWS_REGION } : undefined,
        prepare: prepareFromEnv(env.DATABASE_PREPARE),
      });
    }),
  db: (): Db => services.dbHandle().db,
  store: () =>
    resolve('store', () => {
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
    resolve('workflow', () => {
      // In AWS: Step Functions (the construct's bind sets STATE_MACHINE_ARN); locally the stack registers its runner.
      const { STATE_MACHINE_ARN } = parseEnv(workflowEnv);
      if (STATE_MACHINE_ARN) return createSfnStarter({ stateMachineArn: STATE_MACHINE_ARN });
      throw new Error(
        'configuration error: no workflow starter registered (set STATE_MACHINE_ARN or run the local stack)',
      );
    }),
};
