/**
 * Turns an API Gateway v2 event into validated input: path params, query and body, each against
 * the route's strict zod schema. Order of refusals: 413 (too large) -> 415 (content type) ->
 * 400 bad_json -> 400 validation_failed (every failing field listed).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { validationError } from '../../shared/http/problem.js';
import { pathParamNames, type RouteDef } from './route-def.js';

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Header names lower-cased (HTTP API already does this; direct invocations may not). */
export function normalizeHeaders(h: APIGatewayProxyEventV2['headers'] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

/** Path params; `*Id` params that are not UUIDs cannot name anything, so they are 404 (not 400). */
export function parseParams(route: RouteDef, event: APIGatewayProxyEventV2): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of pathParamNames(route.path)) {
    const v = event.pathParameters?.[name];
    if (v === undefined || v === '') throw new AppError('not_found');
    if (name.endsWith('Id') && !UUID_RE.test(v)) throw new AppError('not_found');
    out[name] = name.endsWith('Id') ? v.toLowerCase() : v;
  }
  return out;
}

export function parseQuery(route: RouteDef, event: APIGatewayProxyEventV2): unknown {
  const raw = { ...(event.queryStringParameters ?? {}) } as Record<string, string>;
  if (!route.query) {
    const keys = Object.keys(raw);
    if (keys.length) {
      throw new AppError('validation_failed', 'This route takes no query parameters', {
        fields: keys.map((k) => ({ path: `query.${k}`, message: 'unknown parameter' })),
      });
    }
    return {};
  }
  const r = route.query.safeParse(raw);
  if (!r.success) throw validationError(r.error, 'query');
  return r.data;
}

function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0].trim().toLowerCase() || undefined;
}

export function parseBody(route: RouteDef, event: APIGatewayProxyEventV2, headers: Record<string, string>): unknown {
  const raw = event.body ?? '';
  const buf = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  const max = route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (buf.length > max) throw new AppError('payload_too_large', `The body may be at most ${max} bytes`);
  const empty = buf.length === 0 || (buf.length < 16 && buf.toString('utf8').trim() === '');
  if (!route.request) {
    // Action routes (cancel, retry, confirm) take no body; tolerate an empty one or `{}`.
    if (empty) return undefined;
    const text = buf.toString('utf8').trim();
    if (text === '{}') return undefined;
    throw new AppError('validation_failed', 'This route takes no body', {
      fields: [{ path: 'body', message: 'must be empty' }],
    });
  }
  const consumes = route.consumes ?? ['application/json'];
  const type = mediaType(headers['content-type']);
  if (empty) {
    // An empty body with no content type is simply a missing body: report it as validation.
    if (type && !consumes.includes(type as never)) throw unsupported(consumes);
    return finish(route.request, undefined);
  }
  if (!type || !consumes.includes(type as never)) throw unsupported(consumes);
  let value: unknown;
  if (type === 'application/x-www-form-urlencoded') {
    value = Object.fromEntries(new URLSearchParams(buf.toString('utf8')));
  } else {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      throw new AppError('bad_json', 'The body is not valid UTF-8');
    }
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new AppError('bad_json', `The body is not valid JSON: ${(e as Error).message.slice(0, 120)}`);
    }
  }
  return finish(route.request, value);
}

function finish(schema: z.ZodType, value: unknown): unknown {
  if (value === undefined) {
    throw new AppError('validation_failed', 'A JSON body is required', {
      fields: [{ path: 'body', message: 'required' }],
    });
  }
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error, 'body');
  return r.data;
}

function unsupported(consumes: string[]): AppError {
  return new AppError('unsupported_media_type', `Send the body as ${consumes.join(' or ')}`);
}
