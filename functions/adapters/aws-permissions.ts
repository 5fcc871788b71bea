/**
 * What each AWS adapter operation needs from IAM, declared next to the code that makes the call.
 * The CDK grants are derived from these declarations where they can be (AppFunction.bindBucket),
 * and the permission-coverage test (test/infra/permission-coverage.test.ts) checks every function's
 * role in the synthesized templates against them, on the resources the function is configured with.
 */

/** One IAM action an operation sends, and which kind of resource it is authorized against. */
export interface AwsPermission<R extends string = string> {
  readonly action: string;
  readonly on: R;
  /** Why an action that the call's name does not suggest is needed. */
  readonly why?: string;
}

/** Per operation of an adapter, the actions it needs. */
export type AdapterPermissions<Op extends string, R extends string> = Readonly<Record<Op, readonly AwsPermission<R>[]>>;

/**
 * Reading a secret's value (database credentials in the migration and login functions, the
 * Freepik key in Source image): `secret` = its ARN; `secret-key` = its CMK, which Secrets Manager
 * uses on the caller's behalf (kms:ViaService).
 */
export const SECRET_READ_PERMISSIONS = {
  read: [
    { action: 'secretsmanager:GetSecretValue', on: 'secret' },
    {
      action: 'kms:Decrypt',
      on: 'secret-key',
      why: 'the secret is encrypted with a customer managed key; Secrets Manager decrypts it as the caller',
    },
  ],
} as const satisfies AdapterPermissions<'read', 'secret' | 'secret-key'>;
