/**
 * A local stand-in for exactly the Graph API endpoints the Meta connectors call (see
 * meta-graph-connector.ts), with Graph's response and error shapes:
 *   GET /{version}/{ig-media-id}/insights?metric=...&access_token=...[&after=cursor]
 *   GET /{version}/{page-post-id}/insights?metric=...
 *   GET /{version}/{page-post-id}?fields=shares,comments.limit(0).summary(true),reactions.limit(0).summary(true)
 * Insights are paged (`pageSize` metrics per page, `paging.next` with an `after` cursor) so the
 * connector's paging is exercised. Tokens are checked (unknown/revoked -> OAuthException 190);
 * `failNext` injects any Graph error (rate limits 4/17/32/613 with usage headers, 5xx, ...).
 * Used by the integration tests and, through startMetaEmulator, by the local stack.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EmulatedObject {
  kind: 'ig_media' | 'fb_post';
  /** Lifetime insight values by Graph metric name. */
  insights: Record<string, number>;
  /** fb_post only: the engagement fields. */
  shares?: number;
  comments?: number;
  reactions?: number;
}

export interface InjectedError {
  status?: number;
  code: number;
  type?: string;
  message?: string;
  subcode?: number;
  headers?: Record<string, string>;
}

export interface MetaEmulator {
  /** Origin, e.g. http://127.0.0.1:45678 */
  url: string;
  /** Versioned base URL to configure the connector with. */
  baseUrl: string;
  /** Registers a valid token (revoke with `revokeToken`). */
  addToken(token: string): void;
  revokeToken(token: string): void;
  setObject(id: string, obj: EmulatedObject): void;
  /** Adds to a lifetime insight value (simulates engagement happening). */
  bump(id: string, metric: string, by: number): void;
  /** The next `times` requests (any endpoint) answer with this error. */
  failNext(err: InjectedError, times?: number): void;
  /** Requests seen, without the access token. */
  requests: { path: string; query: Record<string, string> }[];
  stop(): Promise<void>;
}

export async function startMetaEmulator(
  opts: { port?: number; host?: string; version?: string; pageSize?: number } = {},
): Promise<MetaEmulator> {
  const version = opts.version ?? 'v24.0';
  const pageSize = opts.pageSize ?? 3;
  const tokens = new Set<string>();
  const objects = new Map<string, EmulatedObject>();
  const faults: InjectedError[] = [];
  const requests: MetaEmulator['requests'] = [];
  let origin = '';

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const graphError = (res: http.ServerResponse, e: InjectedError) =>
    send(
      res,
      e.status ?? 400,
      {
        error: {
          message: e.message ?? `(#${e.code}) emulated error`,
          type: e.type ?? 'OAuthException',
          code: e.code,
          ...(e.subcode ? { error_subcode: e.subcode } : {}),
          fbtrace_id: `emu${requests.length}`,
        },
      },
      e.headers,
    );

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://emulator');
    const query = Object.fromEntries(u.searchParams);
    const token = query.access_token;
    delete query.access_token;
    requests.push({ path: u.pathname, query });
    if (req.method !== 'GET') return graphError(res, { code: 100, message: 'Unsupported method' });
    const fault = faults.shift();
    if (fault) return graphError(res, fault);

    const parts = u.pathname.split('/').filter(Boolean);
    if (parts[0] !== version || parts.length < 2 || parts.length > 3) {
      return graphError(res, { code: 2500, message: 'Unknown path components' });
    }
    if (!token) return graphError(res, { code: 104, message: 'An access token is required to request this resource.' });
    if (!tokens.has(token))
      return graphError(res, {
        code: 190,
        message: 'Error validating access token: The session has been invalidated.',
        subcode: 460,
      });
    const id = parts[1];
    const obj = objects.get(id);
    if (!obj) {
      return graphError(res, {
        code: 100,
        subcode: 33,
        type: 'GraphMethodException',
        message:
          `Unsupported get request. Object with ID '${id}' does not exist, ` +
          'cannot be loaded due to missing permissions, or does not support this operation.',
      });
    }

    if (parts[2] === 'insights') {
      const metrics = (query.metric ?? '').split(',').filter(Boolean);
      if (!metrics.length)
        return graphError(res, { code: 100, subcode: 1504028, message: 'No metric was specified to be fetched.' });
      const unknown = metrics.find((m) => !(m in obj.insights));
      if (unknown)
        return graphError(res, {
          code: 100,
          message: `(#100) metric[0] must be one of the following values: ${Object.keys(obj.insights).join(', ')} (got ${unknown})`,
        });
      const offset = query.after ? Number(Buffer.from(query.after, 'base64url').toString()) || 0 : 0;
      const slice = metrics.slice(offset, offset + pageSize);
      const data = slice.map((m) => ({
        name: m,
        period: 'lifetime',
        values: [{ value: obj.insights[m] }],
        title: m,
        description: `Lifetime ${m}`,
        id: `${id}/insights/${m}/lifetime`,
      }));
      const paging: Record<string, string> = {};
      if (offset + pageSize < metrics.length) {
        const next = new URL(`${origin}/${version}/${id}/insights`);
        next.searchParams.set('metric', metrics.join(','));
        next.searchParams.set('access_token', token);
        next.searchParams.set('after', Buffer.from(String(offset + pageSize)).toString('base64url'));
        paging.next = next.toString();
      }
      return send(res, 200, { data, ...(Object.keys(paging).length ? { paging } : {}) });
    }
    if (parts.length === 2) {
      if (obj.kind !== 'fb_post') return graphError(res, { code: 100, message: 'Tried accessing nonexisting field' });
      const fields = query.fields ?? '';
      const body: Record<string, unknown> = { id };
      if (fields.includes('shares') && obj.shares) body.shares = { count: obj.shares };
      if (fields.includes('comments'))
        body.comments = { data: [], summary: { order: 'ranked', total_count: obj.comments ?? 0, can_comment: true } };
      if (fields.includes('reactions'))
        body.reactions = { data: [], summary: { total_count: obj.reactions ?? 0, viewer_reaction: 'NONE' } };
      return send(res, 200, body);
    }
    return graphError(res, { code: 100, message: `Unknown edge ${parts[2]}` });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  origin = `http://${opts.host ?? '127.0.0.1'}:${addr.port}`;

  return {
    url: origin,
    baseUrl: `${origin}/${version}`,
    addToken: (t) => void tokens.add(t),
    revokeToken: (t) => void tokens.delete(t),
    setObject: (id, obj) => void objects.set(id, structuredClone(obj)),
    bump(id, metric, by) {
      const o = objects.get(id);
      if (!o) throw new Error(`emulator: no object ${id}`);
      if (metric === 'shares' || metric === 'comments' || metric === 'reactions') o[metric] = (o[metric] ?? 0) + by;
      else o.insights[metric] = (o.insights[metric] ?? 0) + by;
    },
    failNext(err, times = 1) {
      for (let i = 0; i < times; i++) faults.push(err);
    },
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
