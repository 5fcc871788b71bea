/**
 * Every error code the product can return, defined once. The API maps AppError to
 * application/problem+json with `code`; workflow tasks throw AppErrors whose `name` is the
 * Step Functions error name, so Retry/Catch in the state machine can match on it.
 */
export const errorCodes = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  bad_json: { status: 400, title: 'The body is not valid JSON' },
  unauthenticated: { status: 401, title: 'Sign-in required' },
  forbidden: { status: 403, title: 'Your role does not allow this' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  idempotency_conflict: { status: 409, title: 'Idempotency-Key reused with a different request' },
  invalid_state: { status: 409, title: 'Not allowed in the current state' },
  payload_too_large: { status: 413, title: 'The body is too large' },
  unsupported_media_type: { status: 415, title: 'Send application/json' },
  rate_limited: { status: 429, title: 'Too many requests' },
  quota_exceeded: { status: 402, title: 'Monthly quota exhausted' },
  /** The provider's own daily cap for our account (e.g. stock downloads per day) is used up. */
  provider_quota_exceeded: { status: 429, title: "The image provider's daily limit for this account is reached" },
  // upstream / pipeline
  upstream_unavailable: { status: 503, title: 'A provider is unavailable; try again' },
  upstream_rejected: { status: 502, title: 'A provider refused the request' },
  upstream_uncertain: { status: 502, title: 'A paid provider call may have gone through; it was not repeated' },
  provider_misconfigured: { status: 500, title: 'Provider credentials are not valid' },
  unsafe_download: { status: 422, title: 'The image download was refused for safety' },
  invalid_image: { status: 422, title: 'The image could not be used' },
  internal: { status: 500, title: 'Something went wrong on our side' },
} as const;
export type ErrorCode = keyof typeof errorCodes;

export interface FieldProblem {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** True when the same call may succeed later (state machine retries only these). */
  readonly retryable: boolean;
  readonly fields?: FieldProblem[];
  readonly headers?: Record<string, string>;
  readonly detail?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message?: string,
    opts: {
      retryable?: boolean;
      fields?: FieldProblem[];
      headers?: Record<string, string>;
      detail?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    super(message ?? errorCodes[code].title, { cause: opts.cause });
    this.code = code;
    this.status = errorCodes[code].status;
    this.retryable = opts.retryable ?? false;
    this.fields = opts.fields;
    this.headers = opts.headers;
    this.detail = opts.detail;
    // Step Functions matches Retry/Catch on the error name: Transient.* is retried, the rest not.
    this.name = this.retryable ? `Transient.${code}` : `Permanent.${code}`;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

// ---- Transient failures: the one rule for "may the same call succeed if tried again?" ----------

/** HTTP answers worth another try: timeout, throttling, server errors (and no answer at all, 0). */
export const isTransientStatus = (status: number): boolean =>
  status === 0 || status === 408 || status === 429 || status >= 500;

/** Node socket errors: the peer (PostgreSQL, S3, an API) was unreachable or went away mid-call. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
/** Is `code` a socket-level failure (the network, not the peer's answer, said no)? */
export const isNetworkErrorCode = (code: string): boolean => NETWORK_CODES.has(code);
/** postgres.js connection errors, and SQLSTATEs that mean "the server is going/coming back, try again". */
const PG_CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '40001',
  '40P01',
]);
/** AWS SDK error names for throttling, timeouts and service-side failures. */
const SDK_TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
]);

/** The first error in `e`'s cause chain (4 deep) that is a raw transient failure, if any. */
function rawTransient(e: unknown): { message?: unknown; code?: string } | undefined {
  // biome-ignore lint/suspicious/noExplicitAny: walks an unknown error's cause chain
  for (let cur: any = e, depth = 0; cur && depth < 4; cur = cur.cause, depth++) {
    const code = typeof cur.code === 'string' ? cur.code : undefined;
    const sdkStatus: number | undefined = cur.$metadata?.httpStatusCode;
    if (
      (code && (NETWORK_CODES.has(code) || PG_CONNECTION_CODES.has(code) || code.startsWith('08'))) ||
      (cur.name === 'PostgresError' &&
        /not currently accepting connections|the database system is (starting up|shutting down)/.test(
          String(cur.message),
        )) ||
      cur.$retryable !== undefined ||
      (sdkStatus !== undefined && isTransientStatus(sdkStatus)) ||
      SDK_TRANSIENT_NAMES.has(cur.name)
    )
      return { message: cur.message, code };
  }
  return undefined;
}

/**
 * Is `e` a failure that trying the same call again may get past? An AppError says so itself
 * (`retryable`); anything else counts when its cause chain holds a network error, a PostgreSQL
 * connection loss / restart / serialization failure, or an AWS SDK throttling, timeout or 5xx.
 */
export function isTransientError(e: unknown): boolean {
  if (isAppError(e)) return e.retryable;
  return rawTransient(e) !== undefined;
}

/**
 * A raw transient failure (see isTransientError) as `Transient.upstream_unavailable`, so that a
 * database failover or an S3 blip is retried by the state machine instead of failing the request;
 * AppErrors and permanent failures come back unchanged.
 */
export function asTransient(e: unknown): unknown {
  if (isAppError(e)) return e;
  const raw = rawTransient(e);
  if (!raw) return e;
  return new AppError(
    'upstream_unavailable',
    `A dependency is unavailable: ${String(raw.message ?? raw.code).slice(0, 200)}`,
    { retryable: true, cause: e },
  );
}
