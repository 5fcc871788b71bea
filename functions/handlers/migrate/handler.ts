/**
 * Deploy-time migrations: the onEvent handler of a CDK custom resource (custom-resources Provider
 * framework, so the framework talks to CloudFormation and this handler just returns or throws).
 * Create/Update run the migrations as the owner with credentials read from Secrets Manager; Delete
 * does nothing (a database is never dropped by a stack operation). Any failure throws, which fails
 * the deployment loudly instead of starting new code on an unmigrated schema.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { runMigrations } from '../../../db/migrate.js';
import { parseEnv } from '../../shared/env.js';
import { ownerUrlFrom } from './owner-url.js';
import { dbSecretReader, ownerLoginEnv } from './read-db-secret.js';

const migrateEnv = z.object({
  ...ownerLoginEnv,
  /** App role credentials; its password is (re)set on the role so the proxy can log in with it. */
  DB_APP_SECRET_ARN: z.string().min(20).optional(),
  /** Overrides the secret's host (e.g. the cluster writer endpoint rather than a proxy). */
  DB_HOST: z.string().min(1).optional(),
});
/** Parsed at cold start: a missing variable fails the first invocation with a clear message. */
const env = parseEnv(migrateEnv);
const readSecret = dbSecretReader(env.AWS_REGION);

export interface MigrateResponse {
  PhysicalResourceId: string;
  Data?: Record<string, string | number>;
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<MigrateResponse> {
  // Nothing to do, and the secret may already be gone during a stack teardown.
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const owner = await readSecret(env.DB_OWNER_SECRET_ARN);
  // Stable across updates: CloudFormation must not see a "replacement" and then Delete the old one.
  const physicalId =
    event.RequestType === 'Update'
      ? event.PhysicalResourceId
      : `svp-db-migrations-${env.DB_NAME ?? owner.dbname ?? 'postgres'}`;
  const appPassword = env.DB_APP_SECRET_ARN ? (await readSecret(env.DB_APP_SECRET_ARN)).password : undefined;
  const started = Date.now();
  const r = await runMigrations(ownerUrlFrom(owner, env), {
    appRolePassword: appPassword,
    log: (m) => console.log(JSON.stringify({ level: 'INFO', message: m, requestType: event.RequestType })),
  });
  console.log(
    JSON.stringify({
      level: 'INFO',
      message: 'migrations done',
      appliedNow: r.appliedNow,
      total: r.total,
      partitions: r.partitions,
      ms: Date.now() - started,
    }),
  );
  return { PhysicalResourceId: physicalId, Data: { AppliedNow: r.appliedNow, Total: r.total } };
}
