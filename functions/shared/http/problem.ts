/**
 * The one place that maps errors to HTTP: AppError -> application/problem+json (RFC 9457) with a
 * stable `code`, the failing fields and the request id. Anything else becomes a 500 `internal`
 * whose body says nothing about the cause (the cause goes to the log only).
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { AppError, errorCodes, isAppError, type FieldProblem } from '../errors.js';

export const PROBLEM_TYPE_BASE = 'https://errors.svp.dev/';

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof problemSchema>;

export function problemBody(err: AppError, requestId?: string): Problem {
  const body: Problem = {
    type: PROBLEM_TYPE_BASE + err.code,
    title: errorCodes[err.code].title,
    status: err.status,
    code: err.code,
  };
  if (err.message && err.message !== body.title) body.detail = err.message;
  if (err.fields?.length) body.errors = err.fields;
  if (requestId) body.requestId = requestId;
  return body;
}

export function problemResponse(err: unknown, requestId?: string): APIGatewayProxyStructuredResultV2 {
  const appErr = isAppError(err) ? err : new AppError('internal');
  return {
    statusCode: appErr.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...appErr.headers },
    body: JSON.stringify(problemBody(appErr, requestId)),
  };
}

/** zod issues -> `{path, message}` list (path like `brief.headline` or `platforms[2]`). */
export function zodFields(error: z.ZodError, prefix?: string): FieldProblem[] {
  return error.issues.flatMap((i) => {
    const base = formatPath([...(prefix ? [prefix] : []), ...i.path]);
    // strict objects report every unknown key in one issue: list each so clients see which.
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => ({
        path: formatPath([...(prefix ? [prefix] : []), ...i.path, k]),
        message: 'unknown field',
      }));
    }
    return [{ path: base || '(root)', message: i.message }];
  });
}

function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

export function validationError(error: z.ZodError, prefix?: string, message?: string): AppError {
  return new AppError('validation_failed', message ?? 'Some fields are not valid', {
    fields: zodFields(error, prefix),
  });
}
