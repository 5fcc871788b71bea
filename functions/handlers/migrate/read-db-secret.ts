/** Reads the RDS-style database secrets both deploy-time handlers log in with. */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { dbSecret, type DbSecret } from './owner-url.js';

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
