/**
 * The floor the API bench measures the product against: a bare node:http + jose + postgres.js
 * server doing the essential work of two product routes, and nothing else.
 *
 *   GET /v1/orgs/{orgId}/content-requests[?limit=&cursor=]   (list, same page and cursor)
 *   GET /v1/orgs/{orgId}/content-requests/{requestId}        (detail, same body)
 *
 * Per request, the same checks as the product (functions/handlers/api/api-handler.ts and the local
 * API server in front of it):
 *  - the bearer JWT verified against the same JWKS, issuer and audience (ES256/RS256, exp, sub),
 *    the verified claims kept until the token's exp, like the local server does;
 *  - the claims' email present and verified; sub -> user id through app.resolve_user, cached for
 *    60 s like resolveCaller;
 *  - path ids that are not UUIDs are 404, unknown query parameters 400, limit 1..100;
 *  - membership + the tenant's token bucket through app.api_gate (404 / 429 with retry-after),
 *    then the permission (403), judged by the product's own role matrix;
 *  - the data read as the app role under FORCEd RLS, with app.org_id / app.user_id set by
 *    set_config(..., true) in the same transaction;
 *  - the same JSON body and headers (x-request-id, cache-control: no-store): the detail reads are the
 *    store's own SQL, and the bodies come from the product's toSummary / toDetail, so the floor cannot
 *    drift from what it is compared with;
 *
 * What makes it the floor: every request is ONE round trip to PostgreSQL. The gate, BEGIN, the
 * tenant settings, every read and COMMIT are queued on one reserved connection and leave in one
 * write (postgres.js pipelines a connection's queue; statements are prepared per connection, so
 * after the first use of a statement none waits for a Describe). The tenant settings are derived
 * from the gate's verdict inside PostgreSQL (see GATE_FOR_USER), so when the gate refuses, the
 * reads that follow in the same write see no tenant and RLS returns nothing (fail closed, and the
 * refusal is what leaves).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import postgres from 'postgres';
import type { ContentRequestDetailRows } from '../functions/adapters/db/stores/content-request-reads.js';
import type { SummaryRow } from '../functions/adapters/db/stores/content-request-store.js';
import { CONTENT_REQUEST_DETAIL_SQL } from '../functions/adapters/db/stores/content-request-reads.js';
import { toDetail, toSummary } from '../functions/app/content-requests.js';
import { can } from '../functions/domain/permissions.js';
import { orgRoles } from '../functions/domain/roles.js';

export interface BaselineServerOptions {
  /** App-role URL (owns nothing, no BYPASSRLS). */
  databaseUrl: string;
  /** Pool size (the product's bench pool has the same). */
  poolMax: number;
  jwksFile: string;
  issuer: string;
  audience: string;
  /** Presigns variant URLs (the product's object store), for requests that have variants. */
  presign: (key: string, ttlSeconds: number) => Promise<string>;
}

export interface BaselineServer {
  url: string;
  close(): Promise<void>;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LIST_RE = /^\/v1\/orgs\/([^/]+)\/content-requests$/;
const DETAIL_RE = /^\/v1\/orgs\/([^/]+)\/content-requests\/([^/]+)$/;
const MAX_PAGE_SIZE = 100;
const USER_TTL_MS = 60_000;
/** Roles allowed to read requests: the product's permission matrix, not a copy of it. */
const READERS = orgRoles.filter((r) => can(r, 'requests:read'));

// ---- SQL: the product's queries (same tables, filters, order and index use), camelCase aliases --
// The gate runs as its own statement outside the transaction, like the product's: inside it, the
// bucket row's lock would be held until COMMIT and every request of a busy tenant would queue
// behind the one holding it (measured: the gate's mean time rose from 0.4 to 3 ms at 10
// connections). Its verdict reaches the transaction through a session setting holding
// "<org>|<user>" only when the caller was admitted with a role that has the permission; the
// transaction sets the tenant only when that names the org of the path, and the setting is
// cleared after COMMIT, so a gate that refused or failed leaves the reads with no tenant.
const GATE_FOR_USER = `
  select null::uuid as user_id, g.role::text as role, g.rate_limit_per_minute, g.allowed, g.retry_after_seconds,
    set_config('svp.gate', case when g.allowed and g.role::text = any($3::text[]) then $1::uuid::text || '|' || $2::uuid::text else '' end, false) as admitted
  from app.api_gate($1::uuid, $2::uuid, true) g`;
/** A user not in the cache: resolved in the same statement, so a miss costs no extra round trip. */
const GATE_RESOLVING_USER = `
  select u.id as user_id, g.role::text as role, g.rate_limit_per_minute, g.allowed, g.retry_after_seconds,
    set_config('svp.gate', case when g.allowed and g.role::text = any($2::text[]) then $1::uuid::text || '|' || u.id::text else '' end, false) as admitted
  from app.resolve_user($3, $4, $5) u(id) left join lateral app.api_gate($1::uuid, u.id, true) g on u.id is not null`;
const TENANT = `
  select set_config('app.org_id', case when split_part(f, '|', 1) = $1 then $1 else '' end, true),
    set_config('app.user_id', case when split_part(f, '|', 1) = $1 then split_part(f, '|', 2) else '' end, true)
  from (select coalesce(current_setting('svp.gate', true), '') as f) s`;
const CLEAR_GATE = `select set_config('svp.gate', '', false)`;

const SUMMARY_COLS = `id, brand_id as "brandId", template_id as "templateId", workflow_id as "workflowId", requested_by as "requestedBy",
  status, brief, image_spec as "image", platforms, run, failure, created_at as "createdAt", updated_at as "updatedAt"`;
const CURSOR_TS = `to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ts`;
const LIST = `select ${SUMMARY_COLS}, ${CURSOR_TS} from content_requests where organization_id = $1
  order by created_at desc nulls last, id desc nulls last limit $2`;
const LIST_AFTER = `select ${SUMMARY_COLS}, ${CURSOR_TS} from content_requests where organization_id = $1
  and (created_at, id) < ($3::timestamptz, $4::uuid) order by created_at desc nulls last, id desc nulls last limit $2`;

type Row = Record<string, any>;
interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  problem?: boolean;
}

const TITLES: Record<string, [number, string]> = {
  validation_failed: [400, 'The request is not valid'],
  unauthenticated: [401, 'Sign-in required'],
  forbidden: [403, 'Your role does not allow this'],
  not_found: [404, 'Not found'],
  method_not_allowed: [405, 'Method not allowed'],
  rate_limited: [429, 'Too many requests'],
  internal: [500, 'Internal error'],
};
function problem(code: keyof typeof TITLES, detail?: string, headers?: Record<string, string>): Reply {
  const [status, title] = TITLES[code];
  return {
    status,
    problem: true,
    headers,
    body: { type: `https://errors.svp.dev/${code}`, title, status, code, ...(detail ? { detail } : {}) },
  };
}

const CURSOR_TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

export async function startBaselineServer(opts: BaselineServerOptions): Promise<BaselineServer> {
  const sql = postgres(opts.databaseUrl, {
    max: opts.poolMax,
    prepare: true,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: 'svp-bench-baseline' },
    types: { bigint: postgres.BigInt },
  });
  const keys = createLocalJWKSet(JSON.parse(readFileSync(opts.jwksFile, 'utf8')) as JSONWebKeySet);
  const verified = new Map<string, { payload: JWTPayload; exp: number }>();
  const users = new Map<string, { userId: string; until: number }>();

  async function claims(
    header: string | undefined,
  ): Promise<{ sub: string; email: string; name: string | null } | Reply> {
    let payload: JWTPayload;
    const hit = header ? verified.get(header) : undefined;
    if (hit && hit.exp > Date.now() / 1000) payload = hit.payload;
    else {
      const m = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(header ?? '');
      if (!m)
        return problem('unauthenticated', 'Send an Authorization: Bearer <token> header', {
          'www-authenticate': 'Bearer',
        });
      try {
        ({ payload } = await jwtVerify(m[1], keys, {
          issuer: opts.issuer,
          algorithms: ['ES256', 'RS256'],
          requiredClaims: ['exp', 'sub'],
        }));
      } catch {
        return problem('unauthenticated', 'The token is not valid', {
          'www-authenticate': 'Bearer error="invalid_token"',
        });
      }
      const aud = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
      if (!aud.includes(opts.audience) && payload.client_id !== opts.audience)
        return problem('unauthenticated', 'The token is for another audience');
      if (verified.size > 5000) verified.clear();
      verified.set(header!, { payload, exp: payload.exp! });
    }
    const { sub, email, name } = payload as { sub?: unknown; email?: unknown; name?: unknown };
    if (typeof sub !== 'string' || !sub) return problem('unauthenticated', 'No verified identity on the request');
    if (typeof email !== 'string' || !email.includes('@'))
      return problem('unauthenticated', 'The token carries no email claim; send the ID token');
    if (payload.email_verified !== true && payload.email_verified !== 'true')
      return problem('unauthenticated', 'The email on this token is not verified');
    return { sub, email: email.toLowerCase(), name: typeof name === 'string' && name ? name : null };
  }

  /** Gate, BEGIN, tenant settings, `reads`, COMMIT, clear: one write, one round trip. */
  async function inTenant(
    orgId: string,
    who: { sub: string; email: string; name: string | null },
    reads: Array<[string, unknown[]]>,
  ) {
    const cached = users.get(who.sub);
    const known = cached && cached.until > Date.now() ? cached.userId : undefined;
    const gate: [string, unknown[]] = known
      ? [GATE_FOR_USER, [orgId, known, READERS]]
      : [GATE_RESOLVING_USER, [orgId, READERS, who.sub, who.email, who.name]];
    const c = await sql.reserve();
    try {
      const sent = [
        c.unsafe(gate[0], gate[1] as never[], { prepare: true }),
        c.unsafe('begin'),
        c.unsafe(TENANT, [orgId], { prepare: true }),
        ...reads.map(([text, args]) => c.unsafe(text, args as never[], { prepare: true })),
        c.unsafe('commit'),
        c.unsafe(CLEAR_GATE, [], { prepare: true }),
      ];
      // Every statement settles before the connection goes back: none is left mid-flight.
      const settled = await Promise.allSettled(sent);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      const values = settled.map((s) => (s as PromiseFulfilledResult<Row[]>).value);
      const g = values[0][0] as Row | undefined;
      if (!known && g?.user_id) {
        if (users.size >= 10_000) users.clear();
        users.set(who.sub, { userId: g.user_id, until: Date.now() + USER_TTL_MS });
      }
      return { gate: g, rows: values.slice(3, 3 + reads.length), resolving: !known };
    } finally {
      c.release();
    }
  }

  /** The gate's verdict, in the product's order: unknown user 401, not a member 404, bucket 429, role 403. */
  function refusal(g: Row | undefined, resolving: boolean): Reply | undefined {
    if (resolving && !g?.user_id) return problem('unauthenticated', 'Unknown user');
    if (!g || g.role == null) return problem('not_found', 'Organization not found');
    if (!g.allowed) {
      return problem(
        'rate_limited',
        `This organization's API limit of ${g.rate_limit_per_minute} requests per minute is exhausted`,
        { 'retry-after': String(g.retry_after_seconds) },
      );
    }
    if (!(READERS as readonly string[]).includes(g.role))
      return problem('forbidden', `The ${g.role} role cannot requests read`);
    return undefined;
  }

  async function list(
    orgId: string,
    who: { sub: string; email: string; name: string | null },
    query: URLSearchParams,
  ): Promise<Reply> {
    let limit = 20;
    let cursor: { t: string; id: string } | undefined;
    for (const [k, v] of query) {
      if (k === 'limit') {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE)
          return problem('validation_failed', 'Some fields are not valid');
        limit = n;
      } else if (k === 'cursor') {
        try {
          const p = JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) as unknown;
          if (
            !Array.isArray(p) ||
            typeof p[0] !== 'string' ||
            typeof p[1] !== 'string' ||
            !CURSOR_TS_RE.test(p[0]) ||
            !/^[0-9a-f-]{1,40}$/i.test(p[1])
          )
            throw new Error();
          cursor = { t: p[0], id: p[1] };
        } catch {
          return problem('validation_failed', 'The cursor is not valid');
        }
      } else {
        return problem('validation_failed', 'Some fields are not valid');
      }
    }
    const read: [string, unknown[]] = cursor
      ? [LIST_AFTER, [orgId, limit + 1, cursor.t, cursor.id]]
      : [LIST, [orgId, limit + 1]];
    const {
      gate,
      rows: [rows],
      resolving,
    } = await inTenant(orgId, who, [read]);
    const refused = refusal(gate, resolving);
    if (refused) return refused;
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const last = page.at(-1);
    return {
      status: 200,
      body: {
        items: page.map((r) => toSummary(r as SummaryRow)),
        nextCursor: more && last ? Buffer.from(JSON.stringify([last.ts, last.id])).toString('base64url') : null,
      },
    };
  }

  async function detail(
    orgId: string,
    id: string,
    who: { sub: string; email: string; name: string | null },
    query: URLSearchParams,
  ): Promise<Reply> {
    if ([...query.keys()].length) return problem('validation_failed', 'This route takes no query parameters');
    const { gate, rows, resolving } = await inTenant(
      orgId,
      who,
      CONTENT_REQUEST_DETAIL_SQL.map((text) => [text, [orgId, id]]),
    );
    const refused = refusal(gate, resolving);
    if (refused) return refused;
    const [[r], steps, masters, variants, approvals, sourcing, [usage], decisions] = rows;
    if (!r) return problem('not_found', 'Content request not found');
    const body = await toDetail(
      { request: r, steps, masters, variants, approvals, sourcing, usage, decisions } as ContentRequestDetailRows,
      { presignGet: opts.presign },
    );
    return { status: 200, body };
  }

  async function handle(req: http.IncomingMessage): Promise<Reply> {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = q < 0 ? raw : raw.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    const l = LIST_RE.exec(pathname);
    const d = l ? null : DETAIL_RE.exec(pathname);
    if (!l && !d) return problem('not_found', 'No such route');
    if (req.method !== 'GET') return problem('method_not_allowed', 'Allowed: GET', { allow: 'GET' });
    const who = await claims(req.headers.authorization);
    if ('status' in who) return who;
    const orgId = (l ?? d)![1];
    if (!UUID_RE.test(orgId)) return problem('not_found');
    if (l) return list(orgId.toLowerCase(), who, query);
    if (!UUID_RE.test(d![2])) return problem('not_found');
    return detail(orgId.toLowerCase(), d![2].toLowerCase(), who, query);
  }

  const server = http.createServer((req, res) => {
    const requestId = randomUUID();
    req.resume();
    req.on('end', () => {
      handle(req)
        .catch(() => problem('internal'))
        .then((r) => {
          const body = JSON.stringify(r.problem ? { ...(r.body as object), requestId } : r.body);
          res.writeHead(r.status, {
            'x-request-id': requestId,
            'cache-control': 'no-store',
            'content-type': r.problem ? 'application/problem+json' : 'application/json',
            'content-length': Buffer.byteLength(body),
            ...r.headers,
          });
          res.end(body);
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.keepAliveTimeout = 10_000;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await new Promise((r) => setTimeout(r, 200));
      server.closeAllConnections();
      await closed;
      await sql.end({ timeout: 5 });
    },
  };
}
