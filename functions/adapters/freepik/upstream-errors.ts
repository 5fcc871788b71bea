/**
 * What Freepik's failures become for our callers: typed AppErrors with a stable code and a
 * `detail.reason`, retryable only where repeating the call can help. The retry loop (retry.ts)
 * and the paid-POST guard in the transport decide from these reasons, so they are named once here.
 */
import { z } from 'zod';
import { AppError, type FieldProblem, isNetworkErrorCode } from '../../shared/errors.js';

export const errorBodySchema = z.object({
  message: z.string().nullish(),
  invalid_params: z
    .array(z.object({ name: z.string().nullish(), field: z.string().nullish(), reason: z.string().nullish() }))
    .nullish(),
});

/** Failures that say the request never reached Freepik's work: safe to repeat even when paid. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const NOT_RUN_STATUSES = new Set(['http_408', 'http_429', 'http_503']);

/** The first `code` string on an error or its causes (undici nests the socket's code). */
export function errorCodeOf(e: unknown): string {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return 'network';
}

export function timeoutError(endpoint: string, status: number | null, cause: unknown): AppError {
  return new AppError('upstream_unavailable', `${endpoint} timed out`, {
    retryable: true,
    detail: { endpoint, reason: 'timeout', status },
    cause,
  });
}

export function networkError(endpoint: string, code: string, status: number | null, cause: unknown): AppError {
  return new AppError('upstream_unavailable', `${endpoint} failed (${code})`, {
    retryable: isNetworkErrorCode(code) || code === 'network',
    detail: { endpoint, reason: 'network', code, status },
    cause,
  });
}

/** A retryable failure after which the provider may still have done (and billed) the work. */
export function mayHaveRun(e: unknown): boolean {
  if (!(e instanceof AppError) || !e.retryable) return false;
  const reason = String(e.detail?.reason ?? '');
  if (reason === 'network') return !NOT_SENT_CODES.has(String(e.detail?.code ?? ''));
  if (reason.startsWith('http_')) return !NOT_RUN_STATUSES.has(reason);
  return reason === 'timeout' || reason === 'malformed_json';
}

/** The final error of a paid call that failed after it may have been carried out. */
export function uncertain(endpoint: string, e: AppError): AppError {
  const failure = e.detail?.reason === 'timeout' ? 'timed out' : `failed (${String(e.detail?.reason ?? 'error')})`;
  return new AppError(
    'upstream_uncertain',
    [
      `${endpoint} ${failure} after it may have been carried out.`,
      'It was not repeated, so it is not paid twice; retry the request to try again',
    ].join(' '),
    { detail: { ...e.detail, endpoint }, cause: e },
  );
}

function errorBody(text: string): z.infer<typeof errorBodySchema> {
  try {
    const r = errorBodySchema.safeParse(JSON.parse(text));
    if (r.success) return r.data;
  } catch {
    /* non-JSON error page */
  }
  return {};
}

/**
 * A 429 that is not a rate limit but a daily cap (stock downloads per day outside Enterprise,
 * AI generations per day): waiting minutes will not help, so it is not retried. Freepik documents
 * no field for it; its message names the day.
 */
export function isDailyLimit(text: string): boolean {
  const message = errorBody(text).message ?? text;
  return (
    /\b(daily|per day|a day|today|24 ?h(ours)?)\b/i.test(message) &&
    /\b(limit|quota|cap|maximum|exceeded|reached)\b/i.test(message)
  );
}

/** Statuses after which the same request may succeed a little later. */
export const isRetryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/** Maps a non-2xx answer to the AppError callers see. */
export function httpError(endpoint: string, status: number, text: string, retryAfterMs?: number): AppError {
  const body = errorBody(text);
  const upstreamMessage = body.message ?? undefined;
  const detail: Record<string, unknown> = { endpoint, status, upstreamMessage };
  const quoted = (prefix: string) => (upstreamMessage ? `${prefix}${upstreamMessage}` : '');
  if (status === 429 && isDailyLimit(text)) {
    const said = upstreamMessage ? ` ("${upstreamMessage.slice(0, 200)}")` : '';
    return new AppError(
      'provider_quota_exceeded',
      [
        `Freepik's daily limit for ${endpoint} is reached for our account${said}.`,
        "It resets the next day; retry the request then, or raise the plan's limit",
      ].join(' '),
      { detail: { ...detail, reason: 'daily_limit' } },
    );
  }
  if (isRetryableStatus(status)) {
    return new AppError('upstream_unavailable', `${endpoint} answered ${status}`, {
      retryable: true,
      detail: { ...detail, reason: `http_${status}`, retryAfterMs },
    });
  }
  if (status === 401) {
    return new AppError(
      'provider_misconfigured',
      'The Freepik API key was refused (401): check FREEPIK_API_KEY and FREEPIK_KEY_HEADER',
      { detail },
    );
  }
  if (status === 400 || status === 422) {
    const fields: FieldProblem[] = (body.invalid_params ?? []).map((p) => ({
      path: p.name ?? p.field ?? '',
      message: p.reason ?? 'invalid',
    }));
    return new AppError('upstream_rejected', `Freepik refused the parameters of ${endpoint}${quoted(': ')}`, {
      fields,
      detail: { ...detail, reason: 'invalid_params', invalidParams: fields },
    });
  }
  if (status === 403) {
    return new AppError('upstream_rejected', `Freepik does not allow this for our key (403)${quoted(': ')}`, {
      detail: { ...detail, reason: 'forbidden' },
    });
  }
  if (status === 404) {
    return new AppError('upstream_rejected', `Freepik does not know this resource (404)`, {
      detail: { ...detail, reason: 'not_found' },
    });
  }
  return new AppError('upstream_rejected', `${endpoint} answered ${status}`, {
    detail: { ...detail, reason: `http_${status}` },
  });
}
