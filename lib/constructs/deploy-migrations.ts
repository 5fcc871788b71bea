import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CustomResource, RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct } from 'constructs';
import type { AppFunction } from './app-function.js';
import { functionProvider } from './custom-resource-provider.js';

/** Files whose content decides whether the schema may have changed. */
const MIGRATION_INPUTS = ['db/migrations', 'db/migrate.ts', 'db/integrity.ts'];

/** sha256 over the committed migrations and the migration code (stable across machines). */
export function migrationsHash(projectRoot: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    const abs = path.join(projectRoot, rel);
    if (statSync(abs, { throwIfNoEntry: false })?.isDirectory()) {
      for (const name of readdirSync(abs).sort()) walk(path.posix.join(rel, name));
    } else if (statSync(abs, { throwIfNoEntry: false })?.isFile()) {
      h.update(rel).update('\0').update(readFileSync(abs)).update('\0');
    }
  };
  for (const input of MIGRATION_INPUTS) walk(input);
  return h.digest('hex');
}

export interface DeployMigrationsProps {
  /** The function running functions/handlers/migrate/handler.ts (owner access bound). */
  readonly fn: AppFunction;
  readonly projectRoot: string;
  readonly logRetention: logs.RetentionDays;
  /**
   * Changes on every deployment when set (e.g. the commit SHA through `-c deployId=...`), so
   * migrations and the integrity check run on every deploy, not only when migration files change.
   */
  readonly deployId?: string;
}

/**
 * Runs the committed migrations (and the post-migration integrity check) as a CloudFormation
 * custom resource through the Provider framework: during the deployment, inside the VPC, never over
 * HTTP. Functions that use the database are made to depend on it (`before()`), so CloudFormation
 * updates them only after the schema is migrated; a failed migration fails and rolls back the
 * deployment before any new code takes traffic.
 */
export class DeployMigrations extends Construct {
  readonly resource: CustomResource;
  readonly provider: cr.Provider;

  constructor(scope: Construct, id: string, props: DeployMigrationsProps) {
    super(scope, id);
    this.provider = functionProvider(this, {
      fn: props.fn,
      logRetention: props.logRetention,
      purpose: 'database migrations',
      fnLabel: 'the migration function',
    });
    this.resource = new CustomResource(this, 'Run', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::DatabaseMigrations',
      properties: { migrationsHash: migrationsHash(props.projectRoot), deployId: props.deployId ?? 'per-change' },
      // Deleting the stack must never touch the database.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** Makes each construct wait for the migrations of this deployment. */
  before(...dependents: IConstruct[]): void {
    for (const d of dependents) d.node.addDependency(this.resource);
  }
}
