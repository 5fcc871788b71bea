/**
 * Where this process runs. Local stand-ins (a key file instead of KMS, the outbox printer
 * instead of SES, in-process events) must never be picked inside AWS, whatever a function's
 * configuration says or forgets to say.
 */

/**
 * True inside a Lambda execution environment, or wherever the deployment marked the process as
 * AWS. The Lambda runtime always sets AWS_LAMBDA_FUNCTION_NAME and LAMBDA_TASK_ROOT (reserved:
 * a function's configuration cannot remove them); every AppFunction also sets APP_MODE=aws.
 */
export function runsInAws(env: Record<string, string | undefined> = process.env): boolean {
  return Boolean(env.AWS_LAMBDA_FUNCTION_NAME || env.LAMBDA_TASK_ROOT || env.APP_MODE === 'aws');
}
