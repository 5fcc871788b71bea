/**
 * The middy chain every API Lambda uses. One module (one Lambda) serves several routes of the
 * table and routes on `event.routeKey`:
 *
 *   export const handler = defineHandler('brands', {            // functions/handlers/api/define.ts
 *     listBrands: async (req) => ok(await listBrands(...)),    // one implementation per route id
 *   });
 *
 * Chain: route -> authenticate (verified claims -> users row) -> authorize tenant (membership 404,
 * rate limit 429, permission 403) -> parse input (413/415/400) -> implementation -> JSON response.
 * Routes declared `gatedReads` send the tenant check with their reads instead (one round trip to
 * PostgreSQL; same verdict, judged first). Every error, anywhere, leaves through problemErrors()
 * as application/problem+json.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { authorizeTenant, type GateInput, type TenantAccess } from '../../app/access.js';
import { claimsFromEvent, resolveCaller, type Caller } from '../../shared/auth/caller.js';
import { services } from '../composition/root.js';
import { AppError, isAppError } from '../../shared/errors.js';
import { flushMetrics } from '../../shared/metrics.js';
import { normalizeHeaders, parseBody, parseParams, parseQuery } from './input.js';
import { logError } from '../../shared/http/log.js';
import type { ApiReply } from '../../shared/http/reply.js';
import { problemResponse } from '../../shared/http/problem.js';
import { isTenantRoute, routeKeyOf, toEntries, type PathParams, type RouteDef, type RouteEntry } from './route-def.js';

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
type IsTenant<R extends RouteDef> = R['auth'] extends 'jwt'
  ? R['path'] extends `/v1/orgs/{orgId}${string}`
    ? true
    : false
  : false;

/** What an implementation receives: everything already verified and validated. */
export interface ApiRequest<R extends RouteDef = RouteDef> {
  routeId: string;
  route: R;
  params: PathParams<R['path']>;
  query: R['query'] extends z.ZodType ? z.output<R['query']> : Record<string, never>;
  body: Out<R['request']>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** API Gateway request id (also in every problem body and the audit log). */
  requestId: string;
  ip?: string;
  userAgent?: string;
  /** The signed-in user ('jwt' routes). */
  caller: R['auth'] extends 'jwt' ? Caller : undefined;
  /**
   * Membership verified for the path's orgId (tenant routes). On a gated read (`gatedReads`) it is
   * set by the read that carried the gate (functions/handlers/api/define.ts `readInTenant`).
   */
  tenant: IsTenant<R> extends true ? TenantAccess : undefined;
  /** A gated read's gate, not yet run: it travels with the route's read in one round trip. */
  gate?: GateInput;
  event: APIGatewayProxyEventV2;
}

/** What an implementation returns. JSON unless `contentType` says otherwise. */
export type { ApiReply };

export const ok = (body: unknown, headers?: Record<string, string>): ApiReply => ({ status: 200, body, headers });
export const created = (body: unknown, location?: string): ApiReply => ({
  status: 201,
  body,
  headers: location ? { location } : undefined,
});
export const accepted = (body: unknown, headers?: Record<string, string>): ApiReply => ({ status: 202, body, headers });
export const noContent = (): ApiReply => ({ status: 204 });

export type RouteImpl<R extends RouteDef> = (req: ApiRequest<R>) => Promise<ApiReply>;
/** Exactly the routes of `table` whose fn is F, each with its typed implementation. */
export type ImplsFor<T extends Record<string, RouteDef>, F extends string> = {
  [K in keyof T as T[K]['fn'] extends F ? K : never]: RouteImpl<T[K]>;
};

interface ApiState {
  route: RouteEntry;
  requestId: string;
  caller?: Caller;
  tenant?: TenantAccess;
  gate?: GateInput;
  /** Path params, once parsed (the gate needs the orgId before the rest of the input). */
  params?: Record<string, string>;
}
type ApiContext = Context & { api?: ApiState };
type MiddyReq = middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, ApiContext>;

export interface ApiHandlerOptions {
  /** Extra middlewares after authorization, before the implementation (e.g. metrics). */
  middlewares?: middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, ApiContext>[];
  /**
   * Tenant read routes whose implementation sends the gate with its reads (`readInTenant`): one
   * round trip instead of the gate's own. The verdict is the same and judged first; input that
   * fails validation still gets the gate's verdict before its 400 (a non-member learns nothing).
   */
  gatedReads?: readonly string[];
}

export function apiHandler<T extends Record<string, RouteDef>, F extends string>(
  table: T,
  fn: F,
  impls: ImplsFor<T, F>,
  opts: ApiHandlerOptions = {},
) {
  const entries = toEntries(table).filter((r) => r.fn === fn);
  const byKey = new Map(entries.map((e) => [routeKeyOf(e), e]));
  const implById = impls as unknown as Record<string, RouteImpl<RouteDef>>;
  // Fail at cold start (and in the route-table test), not on the first request.
  for (const e of entries) {
    if (typeof implById[e.id] !== 'function')
      throw new Error(`api handler '${fn}': route '${e.id}' has no implementation`);
    if (isTenantRoute(e) && !e.permission)
      throw new Error(`api handler '${fn}': tenant route '${e.id}' declares no permission`);
  }
  const gated = new Set(opts.gatedReads ?? []);
  for (const id of gated) {
    const e = entries.find((r) => r.id === id);
    if (!e || !isTenantRoute(e) || e.method !== 'GET')
      throw new Error(`api handler '${fn}': gated read '${id}' is not a GET tenant route of this function`);
  }
  for (const id of Object.keys(implById)) {
    if (!entries.some((e) => e.id === id))
      throw new Error(`api handler '${fn}': '${id}' is not a route of this function`);
  }

  const resolveRoute: middy.MiddlewareObj<
    APIGatewayProxyEventV2,
    APIGatewayProxyStructuredResultV2,
    Error,
    ApiContext
  > = {
    before: (request) => {
      const requestId = request.event.requestContext?.requestId ?? request.context.awsRequestId ?? 'unknown';
      const route = byKey.get(request.event.routeKey);
      if (!route) {
        request.context.api = { requestId } as ApiState;
        throw new AppError('not_found', 'No such route');
      }
      request.context.api = { route, requestId };
    },
  };

  const authenticate: middy.MiddlewareObj<
    APIGatewayProxyEventV2,
    APIGatewayProxyStructuredResultV2,
    Error,
    ApiContext
  > = {
    before: async (request) => {
      const api = request.context.api!;
      if (api.route.auth !== 'jwt') return;
      const claims = claimsFromEvent(request.event); // 401 without verified claims, before touching the DB
      api.caller = await resolveCaller(services.db(), claims);
    },
  };

  const authorize: middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, ApiContext> = {
    before: async (request) => {
      const api = request.context.api!;
      if (!isTenantRoute(api.route)) return;
      api.params = parseParams(api.route, request.event);
      const gate: GateInput = {
        orgId: api.params.orgId,
        userId: api.caller!.userId,
        permission: api.route.permission!,
        rateLimit: !api.route.skipRateLimit,
      };
      if (gated.has(api.route.id)) api.gate = gate;
      else api.tenant = await authorizeTenant(services.db(), gate);
    },
  };

  const run = async (
    event: APIGatewayProxyEventV2,
    context: ApiContext,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const api = context.api!;
    const route = api.route;
    const headers = normalizeHeaders(event.headers);
    let params: Record<string, string>;
    let query: unknown;
    let body: unknown;
    try {
      params = api.params ?? parseParams(route, event);
      query = parseQuery(route, event);
      body = parseBody(route, event, headers);
    } catch (e) {
      // A gated read's gate has not run yet: its refusal comes before any verdict on the input.
      if (api.gate) await authorizeTenant(services.db(), api.gate);
      throw e;
    }
    const req: ApiRequest<RouteDef> = {
      routeId: route.id,
      route,
      params: params as never,
      query: query as never,
      body: body as never,
      headers,
      requestId: api.requestId,
      ip: event.requestContext?.http?.sourceIp,
      userAgent: headers['user-agent'] ?? event.requestContext?.http?.userAgent,
      caller: api.caller as never,
      tenant: api.tenant as never,
      gate: api.gate,
      event,
    };
    const reply = await implById[route.id](req);
    return toResult(reply, route, api.requestId);
  };

  const chain = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, ApiContext>(run)
    .use({ after: () => flushMetrics(), onError: () => flushMetrics() })
    .use(problemErrors())
    .use(resolveRoute)
    .use(authenticate)
    .use(authorize);
  for (const m of opts.middlewares ?? []) chain.use(m);
  return chain;
}

function toResult(reply: ApiReply, route: RouteDef, requestId: string): APIGatewayProxyStructuredResultV2 {
  const status = reply.status ?? route.status ?? 200;
  const headers: Record<string, string> = { 'x-request-id': requestId, 'cache-control': 'no-store', ...reply.headers };
  if (status === 204 || reply.body === undefined) return { statusCode: status, headers, cookies: reply.cookies };
  if (reply.contentType && !/json/.test(reply.contentType)) {
    headers['content-type'] = reply.contentType;
    if (Buffer.isBuffer(reply.body))
      return {
        statusCode: status,
        headers,
        body: reply.body.toString('base64'),
        isBase64Encoded: true,
        cookies: reply.cookies,
      };
    return { statusCode: status, headers, body: String(reply.body), cookies: reply.cookies };
  }
  headers['content-type'] = reply.contentType ?? 'application/json';
  return { statusCode: status, headers, body: JSON.stringify(reply.body), cookies: reply.cookies };
}

/** The error mapper: AppError -> its status; anything else -> 500 `internal`, logged, nothing leaked. */
export function problemErrors(): middy.MiddlewareObj<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Error,
  ApiContext
> {
  return {
    onError: (request: MiddyReq) => {
      const requestId = request.context.api?.requestId ?? request.event?.requestContext?.requestId;
      const err = request.error;
      if (!isAppError(err) || err.status >= 500) {
        logError('api request failed', err, { requestId, routeKey: request.event?.routeKey });
      }
      const res = problemResponse(err, requestId);
      res.headers = { ...res.headers, ...(requestId ? { 'x-request-id': requestId } : {}) };
      request.response = res;
    },
  };
}
