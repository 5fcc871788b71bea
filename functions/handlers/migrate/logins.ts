/**
 * Deploy-time database logins: the onEvent handler of the data stack's `Custom::DatabaseLogins`
 * resource. It runs right after the cluster's writer exists and before the RDS Proxy's target
 * group, which CloudFormation only reports created once the proxy has logged in with every
 * secret registered on it. The proxy logs in as `svp_app`, so that role must exist (with the app
 * secret's password) before the target group is created; the schema migrations in the app stack
 * come much later. Create/Update (re)apply the role and its password; Delete does nothing.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { parseEnv } from '../../shared/env.js';
import { ensureLogin } from './ensure-login.js';
import { ownerUrlFrom } from './owner-url.js';
import { dbSecretReader, ownerLoginEnv } from './read-db-secret.js';

const loginsEnv = z.object({ ...ownerLoginEnv, DB_APP_SECRET_ARN: z.string().min(20) });
const env = parseEnv(loginsEnv);
const readSecret = dbSecretReader(env.AWS_REGION);

export async function handler(
  event: CloudFormationCustomResourceEvent,
): Promise<{ PhysicalResourceId: string; Data?: Record<string, string> }> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const [owner, app] = await Promise.all([readSecret(env.DB_OWNER_SECRET_ARN), readSecret(env.DB_APP_SECRET_ARN)]);
  const outcome = await ensureLogin(ownerUrlFrom(owner, env), app);
  console.log(
    JSON.stringify({
      level: 'INFO',
      message: `database login ${app.username} ${outcome}`,
      requestType: event.RequestType,
    }),
  );
  return {
    PhysicalResourceId: event.RequestType === 'Update' ? event.PhysicalResourceId : `svp-db-login-${app.username}`,
    Data: { Login: app.username },
  };
}
