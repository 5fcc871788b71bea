/**
 * Builds the OpenAPI 3.1 document from the route table: paths and operations from the entries,
 * schemas from their zod schemas (z.toJSONSchema: requests as input types, responses as output
 * types), security from `auth`, error responses as application/problem+json.
 */
import { z } from 'zod';
import { errorCodes } from '../../shared/errors.js';
import { problemSchema } from '../../shared/http/problem.js';
import { isTenantRoute, pathParamNames, type RouteEntry } from './route-def.js';

type Json = Record<string, unknown>;

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
  serverUrl?: string;
}

export function buildOpenApi(routes: RouteEntry[], info: OpenApiInfo): Json {
  const components: Record<string, Json> = {};

  /** zod -> JSON Schema with its $defs hoisted into components (suffix keeps input/output apart). */
  const toSchema = (schema: z.ZodType, io: 'input' | 'output'): Json => {
    const suffix = io === 'input' ? 'Input' : '';
    const js = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
    const rewrite = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (node && typeof node === 'object') {
        const out: Json = {};
        for (const [k, v] of Object.entries(node as Json)) {
          if (k === '$schema' || k === '$defs') continue;
          if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/'))
            out[k] = `#/components/schemas/${v.slice(8)}${suffix}`;
          else out[k] = rewrite(v);
        }
        return out;
      }
      return node;
    };
    const defs = (js.$defs ?? {}) as Record<string, unknown>;
    for (const [name, def] of Object.entries(defs)) components[`${name}${suffix}`] = rewrite(def) as Json;
    // A schema with a meta id comes back as a $ref to its (now hoisted) definition.
    const body = rewrite(js) as Json;
    return body;
  };

  toSchema(problemSchema, 'output'); // registers components.Problem (meta id)
  const problemRef = { $ref: '#/components/schemas/Problem' };
  const problem = (description: string) => ({
    description,
    content: { 'application/problem+json': { schema: problemRef } },
  });

  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const params: Json[] = pathParamNames(r.path).map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: name.endsWith('Id') ? { type: 'string', format: 'uuid' } : { type: 'string' },
    }));
    if (r.query) {
      const qs = toSchema(r.query, 'input');
      const props = (qs.properties ?? {}) as Record<string, Json>;
      const required = new Set((qs.required ?? []) as string[]);
      for (const [name, schema] of Object.entries(props)) {
        params.push({
          name,
          in: 'query',
          required: required.has(name),
          schema,
          ...(schema.description ? { description: schema.description } : {}),
        });
      }
    }
    for (const h of r.headers ?? [])
      params.push({
        name: h.name,
        in: 'header',
        required: !!h.required,
        description: h.description,
        schema: { type: 'string', maxLength: 200 },
      });

    const status = String(r.status ?? 200);
    const success: Json = { description: r.summary };
    if (status !== '204') {
      const type = r.produces ?? 'application/json';
      success.content = {
        [type]: {
          schema: r.response
            ? toSchema(r.response, 'output')
            : type.includes('json')
              ? { type: 'object' }
              : { type: 'string' },
        },
      };
    }
    const responses: Record<string, Json> = { [status]: success };
    if (r.request || r.query || params.length)
      responses['400'] = problem(
        'Invalid input (code validation_failed or bad_json); `errors` lists the failing fields',
      );
    if (r.auth === 'jwt') responses['401'] = problem('Missing, expired or invalid token');
    if (isTenantRoute(r)) {
      responses['403'] = problem('Your role does not allow this');
      responses['429'] = problem('The organization API rate limit is exhausted (see Retry-After)');
    }
    if (params.some((p) => p.in === 'path') || isTenantRoute(r))
      responses['404'] = problem('Not found (or not visible to you)');
    if (r.method !== 'GET' && r.method !== 'DELETE' && r.request) {
      responses['413'] = problem('Body too large');
      responses['415'] = problem('Unsupported content type');
    }
    if (r.method !== 'GET') responses['409'] = problem('Conflicts with the current state');
    responses.default = problem('Unexpected error');

    const op: Json = {
      operationId: r.id,
      summary: r.summary,
      tags: [r.tag ?? r.fn],
      parameters: params,
      responses,
    };
    if (r.auth === 'jwt') op.security = [{ bearerAuth: [] }];
    else op.security = [];
    if (r.auth === 'jwt' && r.permission) op['x-permission'] = r.permission;
    if (r.request) {
      op.requestBody = {
        required: true,
        content: Object.fromEntries(
          (r.consumes ?? ['application/json']).map((t) => [t, { schema: toSchema(r.request!, 'input') }]),
        ),
      };
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      description:
        `${info.description ?? ''}\n\nErrors are application/problem+json with a stable \`code\`: ${Object.keys(errorCodes).join(', ')}.`.trim(),
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Cognito ID token (locally: `npm run dev:token -- <email>`)',
        },
      },
    },
  };
}
