/** Reads the RDS-style database secrets both deploy-time handlers log in with. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { dbSecret, type DbSecret } from './owner-url.js';

/** The variables both deploy-time handlers read to reach the database as its owner. */
export const ownerLoginEnv = {
  /** Owner credentials (the RDS-generated secret: username, password, host, port, dbname). */
  DB_OWNER_SECRET_ARN: z.string().min(20),
  DB_NAME: z.string().min(1).optional(),
  /** verify-full in AWS (the stack sets it, with NODE_EXTRA_CA_CERTS for the RDS CA). */
  DB_SSLMODE: z.enum(['require', 'verify-full', 'disable']).default('verify-full'),
  AWS_REGION: z.string().min(1).optional(),
};

/** One Secrets Manager client for the handler's container, and a reader of its database secrets. */
export function dbSecretReader(region: string | undefined): (arn: string) => Promise<DbSecret> {
  const secrets = new SecretsManagerClient(region ? { region } : {});
  return (arn) => readDbSecret(secrets, arn);
}

/**
 * The secret `arn` as a checked DbSecret. Errors name the secret and what is missing or wrong,
 * never its content (JSON.parse's own message would quote the start of the text).
 */
export async function readDbSecret(secrets: SecretsManagerClient, arn: string): Promise<DbSecret> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
  if (!out.SecretString) throw new Error(`secret ${arn} has no SecretString`);
  let json: unknown;
  try {
    json = JSON.parse(out.SecretString);
  } catch {
    throw new Error(`secret ${arn} is not JSON`);
  }
  const r = dbSecret.safeParse(json);
  if (!r.success) throw new Error(`secret ${arn} lacks ${r.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return r.data;
}
