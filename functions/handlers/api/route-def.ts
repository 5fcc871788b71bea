/**
 * The shape of one entry of the route table (functions/handlers/api/routes.ts). The same entries
 * drive the CDK HTTP API (one Lambda per `fn`, one route per entry, JWT authorizer on 'jwt'
 * routes), the local API server, the middy chain (validation, auth, permission) and /openapi.json.
 * Pure types and zod: safe to import from CDK code.
 */
import type { z } from 'zod';
import type { Permission } from '../../domain/permissions.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * - `public`: no authentication (health, openapi, static pages).
 * - `jwt`: a verified JWT is required (the API Gateway JWT authorizer in AWS, the local server
 *   locally); the handler trusts only `requestContext.authorizer.jwt.claims`.
 * - `link`: no JWT; the handler verifies a capability token carried in the path/query (review links).
 */
export type AuthMode = 'public' | 'jwt' | 'link';

export type BodyContentType = 'application/json' | 'application/x-www-form-urlencoded';

export interface RouteDef {
  method: HttpMethod;
  /** API Gateway path syntax: `/v1/orgs/{orgId}/brands/{brandId}`. Params named `*Id` must be UUIDs (else 404). */
  path: string;
  /** Handler module: `functions/handlers/api/<fn>.ts` exporting `handler`. One Lambda per fn. */
  fn: string;
  auth: AuthMode;
  /**
   * Required on every 'jwt' route whose path starts with `/v1/orgs/{orgId}`: the caller must be an
   * active member of that organization (else 404) whose role has this permission (else 403).
   */
  permission?: Permission;
  /** One line for the OpenAPI document. */
  summary: string;
  /** OpenAPI tag (defaults to `fn`). */
  tag?: string;
  /** Query string schema (strict object; values arrive as strings, use z.coerce). */
  query?: z.ZodType;
  /** Body schema (strict object). Routes without it reject any non-empty body. */
  request?: z.ZodType;
  /** Success response body schema (for the OpenAPI document and the response-shape tests). */
  response?: z.ZodType;
  /** Success status (default 200). */
  status?: number;
  /** Body content types accepted (default ['application/json']). */
  consumes?: BodyContentType[];
  /** Content type of the success response when it is not JSON (HTML pages, images). */
  produces?: string;
  /** Largest accepted body in bytes (default 256 KiB). */
  maxBodyBytes?: number;
  /** Request headers the route reads, documented in OpenAPI (e.g. Idempotency-Key). */
  headers?: { name: string; description: string; required?: boolean }[];
  /** Skip the tenant API rate limit (default: applied to every tenant route). */
  skipRateLimit?: boolean;
}

/** A route entry with its id (the key in the table; also the OpenAPI operationId). */
export type RouteEntry = RouteDef & { id: string };

/** Identity helper that keeps literal types (fn, path, schemas) for typed handler implementations. */
export const route = <const T extends RouteDef>(def: T): T => def;

/** `{orgId}` etc. in order of appearance. */
// Asked on every request for the same few route paths: parsed once per path.
const paramNamesByPath = new Map<string, readonly string[]>();
export function pathParamNames(path: string): readonly string[] {
  let names = paramNamesByPath.get(path);
  if (!names) {
    names = [...path.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)].map((m) => m[1]);
    paramNamesByPath.set(path, names);
  }
  return names;
}

/** True for routes that act inside one organization (membership + permission + rate limit). */
export const isTenantRoute = (r: RouteDef): boolean => r.auth === 'jwt' && r.path.startsWith('/v1/orgs/{orgId}');

/** API Gateway routeKey for an entry: `GET /v1/orgs/{orgId}`. */
export const routeKeyOf = (r: Pick<RouteDef, 'method' | 'path'>): string => `${r.method} ${r.path}`;

/** Turns a table object into entries with ids. */
export function toEntries(table: Record<string, RouteDef>): RouteEntry[] {
  return Object.entries(table).map(([id, r]) => ({ id, ...r }));
}

/** Path params of an API Gateway path template, as a typed record. */
export type PathParams<P extends string> = P extends `${string}{${infer K}}${infer Rest}`
  ? { [k in (K extends `${infer G}+` ? G : K) | keyof PathParams<Rest>]: string }
  : // biome-ignore lint/complexity/noBannedTypes: the empty object type ends the recursion
    {};
