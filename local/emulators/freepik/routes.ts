/**
 * HTTP routing: each request is logged as an EmulatorCall, delayed by the configured latency,
 * checked for the API key (only /v1 needs one; files and previews are public CDN links), offered
 * to fault injection, and then answered by its endpoint's route.
 */
import type http from 'node:http';
import { mysticCreate, mysticGet, textToImage } from './ai-routes.js';
import { applyFault, type Fault, type FaultInjector } from './faults.js';
import type { MysticTasks } from './mystic-tasks.js';
import { type EmulatorCall, errorBody, notFound, type Reply, send, sleep } from './replies.js';
import type { SignedFiles } from './signed-files.js';
import { detail, downloadLink, preview, search, type StockRouteContext } from './stock-routes.js';

export interface RouteContext extends StockRouteContext {
  apiKey: string;
  /** Lower-case header name carrying the key. */
  keyHeader: string;
  /** Latency added to every answer (on top of the fault plan's). */
  latencyMs: number;
  files: SignedFiles;
  tasks: MysticTasks;
  faults: FaultInjector;
  /** Keeps the call for `calls()`. */
  log(call: EmulatorCall): void;
}

/** The endpoint template of a request, as the client meters it (unknown paths keep their path). */
export function routeOf(method: string, path: string): string {
  if (method === 'GET' && path === '/v1/resources') return 'GET /v1/resources';
  if (method === 'GET' && /^\/v1\/resources\/[^/]+$/.test(path)) return 'GET /v1/resources/{id}';
  if (method === 'GET' && /^\/v1\/resources\/[^/]+\/download$/.test(path)) return 'GET /v1/resources/{id}/download';
  if (method === 'POST' && path === '/v1/ai/text-to-image') return 'POST /v1/ai/text-to-image';
  if (method === 'POST' && path === '/v1/ai/mystic') return 'POST /v1/ai/mystic';
  if (method === 'GET' && /^\/v1\/ai\/mystic\/[^/]+$/.test(path)) return 'GET /v1/ai/mystic/{task_id}';
  if (method === 'GET' && /^\/files\/[^/]+$/.test(path)) return 'GET /files/{token}';
  if (method === 'GET' && /^\/previews\/[^/]+$/.test(path)) return 'GET /previews/{id}';
  return `${method} ${path}`;
}

export async function serve(
  ctx: RouteContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  rawBody: Buffer,
): Promise<void> {
  const u = new URL(req.url ?? '/', 'http://emulator');
  const method = req.method ?? 'GET';
  const endpoint = routeOf(method, u.pathname);
  const isApi = u.pathname.startsWith('/v1/');
  const authorized = !isApi || req.headers[ctx.keyHeader] === ctx.apiKey;
  const call: EmulatorCall = {
    method,
    path: u.pathname,
    endpoint,
    query: Object.fromEntries(u.searchParams),
    status: 0,
    authorized,
    at: Date.now(),
  };
  ctx.log(call);

  const delay = ctx.latencyMs + ctx.faults.latencyMs();
  if (delay > 0) await sleep(delay);
  if (!authorized) return send(res, call, { status: 401, json: errorBody('Invalid API key') });

  const fault = ctx.faults.take(endpoint);
  if (fault) call.fault = fault.kind;
  if (await applyFault({ req, res, call, endpoint, isApi }, fault)) return;

  const body = method === 'POST' ? jsonBody(req, rawBody) : undefined;
  if (body === MALFORMED) return send(res, call, { status: 400, json: errorBody('Malformed JSON body') });
  send(res, call, await dispatch(ctx, endpoint, u, body, fault));
}

const MALFORMED = Symbol('malformed');

// Like the real API: a body without the JSON content type is ignored.
function jsonBody(req: http.IncomingMessage, rawBody: Buffer): unknown {
  if (!String(req.headers['content-type'] ?? '').includes('application/json')) return {};
  try {
    return JSON.parse(rawBody.toString('utf8') || '{}');
  } catch {
    return MALFORMED;
  }
}

function dispatch(ctx: RouteContext, endpoint: string, u: URL, body: unknown, fault?: Fault): Reply | Promise<Reply> {
  const segment = (i: number) => u.pathname.split('/')[i];
  switch (endpoint) {
    case 'GET /v1/resources':
      return search(ctx, u.searchParams);
    case 'GET /v1/resources/{id}':
      return detail(ctx, segment(3));
    case 'GET /v1/resources/{id}/download':
      return downloadLink(ctx, segment(3), u.searchParams);
    case 'POST /v1/ai/text-to-image':
      return textToImage(body, fault);
    case 'POST /v1/ai/mystic':
      return mysticCreate(ctx.tasks, body);
    case 'GET /v1/ai/mystic/{task_id}':
      return mysticGet(ctx.tasks, decodeURIComponent(segment(4)), fault);
    case 'GET /files/{token}':
      return ctx.files.serve(segment(2), fault);
    case 'GET /previews/{id}':
      return preview(ctx, segment(2));
    default:
      return notFound('Not found');
  }
}
