/**
 * Plays API Gateway (HTTP API, payload v2) locally: matches the route table, verifies JWTs exactly
 * like the JWT authorizer would (jose: signature against the local JWKS, issuer, audience, expiry),
 * turns the HTTP request into a v2 event with the verified claims, calls the very same handler
 * module the Lambda runs (`functions/handlers/api/<fn>.ts`, imported by fn name) and turns the
 * result back into an HTTP response. Non-/v1 routes (review pages, dashboards) mount the same way:
 * put them in the route table with auth 'public' or 'link'. The routes only `npm start` has
 * (fn 'dev': /dev/outbox, /dev/sign-in) are served by ./dev-routes.ts: no Lambda ships them.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { AppError } from '../../functions/shared/errors.js';
import { claimsAsApiGateway, createJwtVerifier, type JwtVerifier } from '../auth/jwt-verifier.js';
import { ensureLocalKeys, jwksPath, type LocalAuthConfig } from '../auth/local-issuer.js';
import { logError } from '../../functions/shared/http/log.js';
import { problemResponse } from '../../functions/shared/http/problem.js';
import { createMatcher } from './route-match.js';
import type { RouteEntry } from '../../functions/handlers/api/route-def.js';

/** A Lambda handler for HTTP API payload v2 events. */
export type LambdaHttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

export interface ApiServerOptions {
  /** 0 or omitted: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: the whole table of functions/handlers/api/routes.ts. */
  routes?: RouteEntry[];
  /** Issuer config; the JWKS is read from `<keysDir>/jwks.json` (created if missing). */
  auth: LocalAuthConfig;
  /** fn -> handler, used instead of importing `functions/handlers/api/<fn>.ts` (tests, local-only pages). */
  extraHandlers?: Record<string, LambdaHttpHandler>;
  /** Where handler modules live (default functions/handlers/api). */
  handlersDir?: string;
  /** Largest request body accepted before the handler sees it (Lambda's limit is 6 MB). */
  maxRequestBytes?: number;
  /** Access log line per request (default: none). */
  log?: (line: string) => void;
}

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const DEFAULT_HANDLERS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../functions/handlers/api');
/** Handler modules of the local-only routes (lib/config/functions.ts isLocalOnlyRoute), by fn. */
const LOCAL_ROUTE_HANDLERS: Record<string, string> = {
  dev: path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'dev-routes.ts'),
};

/** The module serving a route table `fn`: `<handlersDir>/<fn>.ts`, or local/servers/ for the local-only routes. */
export function handlerModuleFor(fn: string, handlersDir = DEFAULT_HANDLERS_DIR): string {
  const ts = LOCAL_ROUTE_HANDLERS[fn] ?? path.join(handlersDir, `${fn}.ts`);
  return existsSync(ts) ? ts : ts.replace(/\.ts$/, '.js');
}
const TEXT_TYPES = /^(application\/(json|problem\+json|x-www-form-urlencoded|xml|javascript)|text\/)/i;

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const routes = opts.routes ?? (await import('../../functions/handlers/api/routes.js')).routes;
  const match = createMatcher(routes);
  await ensureLocalKeys(opts.auth.keysDir);
  const verifyToken: JwtVerifier = createJwtVerifier({
    issuer: opts.auth.issuer,
    audience: opts.auth.audience,
    jwksFile: jwksPath(opts.auth.keysDir),
  });
  // A verified token stays valid until its exp, so its claims can be reused (ECDSA verification
  // is the most expensive step of a small GET); failures are never cached.
  const verified = new Map<string, { payload: Awaited<ReturnType<JwtVerifier>>; exp: number }>();
  const verify: JwtVerifier = async (header) => {
    const hit = header ? verified.get(header) : undefined;
    if (hit && hit.exp > Date.now() / 1000) return hit.payload;
    const payload = await verifyToken(header);
    if (verified.size > 5000) verified.clear();
    if (header && typeof payload.exp === 'number') verified.set(header, { payload, exp: payload.exp });
    return payload;
  };
  const handlersDir = opts.handlersDir ?? DEFAULT_HANDLERS_DIR;
  const maxBytes = opts.maxRequestBytes ?? 6 * 1024 * 1024;
  const modules = new Map<string, Promise<LambdaHttpHandler>>();

  const handlerFor = (fn: string): Promise<LambdaHttpHandler> => {
    const extra = opts.extraHandlers?.[fn];
    if (extra) return Promise.resolve(extra);
    let p = modules.get(fn);
    if (!p) {
      if (!/^[a-z0-9-]+$/.test(fn)) return Promise.reject(new Error(`bad fn name ${fn}`));
      const file = handlerModuleFor(fn, handlersDir);
      p = import(pathToFileURL(file).href).then((m: { handler?: LambdaHttpHandler }) => {
        if (typeof m.handler !== 'function') throw new Error(`${file} exports no handler`);
        return m.handler;
      });
      p.catch(() => modules.delete(fn));
      modules.set(fn, p);
    }
    return p;
  };

  let inFlight = 0;
  let drained: (() => void) | undefined;
  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    inFlight++;
    handle(req, requestId)
      .catch((e) => {
        logError('local api server: handler crashed', e, { requestId });
        return problemResponse(e, requestId);
      })
      .then((result) => {
        send(res, result);
        opts.log?.(
          `${req.method} ${req.url} -> ${result.statusCode} ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)}ms`,
        );
      })
      .catch(() => res.destroy())
      .finally(() => {
        if (--inFlight === 0) drained?.();
      });
  });

  async function handle(req: http.IncomingMessage, requestId: string): Promise<APIGatewayProxyStructuredResultV2> {
    let url: URL;
    try {
      const raw = req.url ?? '/';
      url = new URL(raw.startsWith('/') ? `http://local${raw}` : raw);
    } catch {
      return problemResponse(new AppError('not_found', 'No such route'), requestId);
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBody(req, maxBytes);
    if (body === 'too_large')
      return problemResponse(new AppError('payload_too_large', `The body may be at most ${maxBytes} bytes`), requestId);

    const m = match(method, url.pathname);
    if (m.kind === 'not_found') return problemResponse(new AppError('not_found', 'No such route'), requestId);
    if (m.kind === 'method_not_allowed') {
      return problemResponse(
        new AppError('method_not_allowed', `Allowed: ${m.allowed.join(', ')}`, {
          headers: { allow: m.allowed.join(', ') },
        }),
        requestId,
      );
    }
    const { route, params, routeKey } = m.match;

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || k === 'cookie') continue;
      headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
    }
    let authorizer: { jwt: { claims: Record<string, string>; scopes: null } } | undefined;
    if (route.auth === 'jwt') {
      try {
        const payload = await verify(headers.authorization);
        authorizer = { jwt: { claims: claimsAsApiGateway(payload), scopes: null } };
      } catch (e) {
        return problemResponse(e, requestId);
      }
    }

    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
    const contentType = headers['content-type'] ?? '';
    const isText = !contentType || TEXT_TYPES.test(contentType);
    const now = new Date();
    const event = {
      version: '2.0',
      routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      cookies: req.headers.cookie ? req.headers.cookie.split(/;\s*/) : undefined,
      headers,
      queryStringParameters: Object.keys(query).length ? query : undefined,
      pathParameters: Object.keys(params).length ? params : undefined,
      body: body.length ? (isText ? body.toString('utf8') : body.toString('base64')) : undefined,
      isBase64Encoded: body.length > 0 && !isText,
      requestContext: {
        accountId: 'local',
        apiId: 'local',
        domainName: headers.host ?? 'localhost',
        domainPrefix: 'local',
        http: {
          method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId,
        routeKey,
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
        ...(authorizer ? { authorizer } : {}),
      },
    } as APIGatewayProxyEventV2;
    const context = {
      awsRequestId: requestId,
      functionName: `local-${route.fn}`,
      callbackWaitsForEmptyEventLoop: false,
    } as Context;
    const handler = await handlerFor(route.fn);
    const out = await handler(event, context);
    // Like API Gateway: a bare string/object result is a 200 JSON body.
    if (typeof out === 'string') return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: out };
    if (!out || typeof out !== 'object' || !('statusCode' in out))
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(out) };
    return out as APIGatewayProxyStructuredResultV2;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  server.keepAliveTimeout = 10_000;
  const { port } = server.address() as AddressInfo;
  const host = opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';
  return {
    url: `http://${host}:${port}`,
    port,
    // Stops accepting, drops idle keep-alive sockets, and waits (<= 10 s) for handlers still
    // running, so callers can close the database right after.
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((r) => {
            drained = r;
          }),
          new Promise((r) => setTimeout(r, 10_000).unref()),
        ]);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) {
      req.resume();
      resolve('too_large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? 'too_large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, r: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
  if (r.cookies?.length) headers['set-cookie'] = r.cookies;
  const body =
    r.body === undefined ? undefined : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : Buffer.from(r.body, 'utf8');
  if (body) headers['content-length'] = String(body.length);
  res.writeHead(r.statusCode ?? 200, headers);
  res.end(body);
}
