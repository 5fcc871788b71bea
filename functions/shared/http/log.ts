/**
 * Structured logging for the API (Powertools Logger, JSON lines to CloudWatch). Created lazily so a
 * module import costs nothing; POWERTOOLS_LOG_LEVEL controls the level (tests set SILENT when noisy).
 */
import { Logger } from '@aws-lambda-powertools/logger';

let logger: Logger | undefined;
export const apiLogger = (): Logger => (logger ??= new Logger({ serviceName: 'svp-api' }));

export function logError(message: string, err: unknown, extra: Record<string, unknown> = {}): void {
  const e = err instanceof Error ? err : new Error(String(err));
  apiLogger().error(message, { ...extra, error: e });
}
