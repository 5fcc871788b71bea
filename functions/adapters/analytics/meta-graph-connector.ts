/**
 * Instagram and Facebook insights through Meta's Graph API, behind the MetricsConnector port.
 *
 * Endpoints used (and emulated by local/emulators/meta-emulator.ts):
 *  - GET {base}/{ig-media-id}/insights?metric=views,reach,likes,comments,shares,saved
 *      Instagram media insights, period "lifetime". `views` is the replacement Meta introduced for
 *      the deprecated `impressions` (v22+), so it is stored as our `impressions`.
 *  - GET {base}/{page-post-id}/insights?metric=post_media_view,post_total_media_view_unique,post_clicks,post_video_views
 *      Page post insights (lifetime). Names follow Meta's 2025 replacements of post_impressions*.
 *  - GET {base}/{page-post-id}?fields=shares,comments.limit(0).summary(true),reactions.limit(0).summary(true)
 *      likes (reactions), comments and shares of a Page post.
 * `{base}` is versioned and configurable (META_GRAPH_BASE_URL, e.g. https://graph.facebook.com/v24.0):
 * Meta renames metrics between versions, so the metric maps are options too.
 * Insights responses may page (`paging.next`); pages are followed only on the configured origin.
 *
 * Errors (Graph's `{ error: { code, type, error_subcode, fbtrace_id } }`):
 *  - codes 4, 17, 32, 613 and 80001-80014 (business use case limits): rate limited; the wait comes
 *    from X-Business-Use-Case-Usage `estimated_time_to_regain_access` (minutes) when present;
 *  - 190 (OAuthException: expired/revoked token), 102 (session), 200-299 (permission removed):
 *    the connection needs a person to reconnect;
 *  - 1, 2 and the HTTP answers shared/errors.ts counts as transient (5xx, 408, 429), network
 *    errors, timeouts: transient;
 *  - 10, 100, 803 on one post (too few viewers, deleted, unsupported media): that post is skipped.
 * The access token travels as the documented `access_token` query parameter; URLs are never logged.
 */
import { z } from 'zod';
import {
  ConnectorError,
  type CollectResult,
  type MetricsConnector,
  type PublishedPostRef,
  type SocialConnection,
} from '../../domain/analytics/connector.js';
import type { MetricName, MetricPoint } from '../../domain/analytics/metrics.js';
import { isTransientStatus } from '../../shared/errors.js';

export const metaGraphEnv = z.object({
  /** Versioned Graph API base URL (the local emulator under `npm start` and tests). */
  META_GRAPH_BASE_URL: z.string().url().default('https://graph.facebook.com/v24.0'),
  META_GRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
});

export interface MetaGraphOptions {
  /** Versioned base URL, e.g. https://graph.facebook.com/v24.0 */
  baseUrl: string;
  fetch?: typeof fetch;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Guard against endless paging (default 10 pages per post). */
  maxPages?: number;
  /** Graph metric name -> our metric, for Instagram media insights. */
  instagramMetrics?: Record<string, MetricName>;
  /** Graph metric name -> our metric, for Page post insights. */
  facebookInsightMetrics?: Record<string, MetricName>;
  /** Clock for recordedAt (tests). */
  now?: () => Date;
}

export const DEFAULT_INSTAGRAM_METRICS: Record<string, MetricName> = {
  views: 'impressions',
  reach: 'reach',
  likes: 'likes',
  comments: 'comments',
  shares: 'shares',
  saved: 'saves',
};
export const DEFAULT_FACEBOOK_INSIGHT_METRICS: Record<string, MetricName> = {
  post_media_view: 'impressions',
  post_total_media_view_unique: 'reach',
  post_clicks: 'clicks',
  post_video_views: 'video_views',
};

const RATE_LIMIT_CODES = new Set([4, 17, 32, 613]);
const DEFAULT_RATE_LIMIT_WAIT_S = 3600;

export interface GraphErrorBody {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  fbtrace_id?: string;
}

export interface GraphFailure {
  /** 'post': only this object is affected; 'connection': stop using the connection for now. */
  scope: 'post' | 'connection';
  kind: 'rate_limited' | 'reauth_required' | 'transient' | 'permanent' | 'skip';
  retryAfterSeconds?: number;
  code?: number;
  traceId?: string;
  message: string;
}

/** Maps a Graph error response to what the collector should do. Exported for unit tests. */
export function classifyGraphError(
  status: number,
  err: GraphErrorBody | undefined,
  headers: Pick<Headers, 'get'>,
): GraphFailure {
  const code = err?.code;
  const base = {
    code,
    traceId: err?.fbtrace_id,
    message: `Graph API error${code !== undefined ? ` ${code}` : ''}${err?.message ? `: ${err.message}` : ` (HTTP ${status})`}`,
  };
  if (code !== undefined && (RATE_LIMIT_CODES.has(code) || (code >= 80001 && code <= 80014))) {
    return {
      ...base,
      scope: 'connection',
      kind: 'rate_limited',
      retryAfterSeconds: regainAccessSeconds(headers) ?? DEFAULT_RATE_LIMIT_WAIT_S,
    };
  }
  if (code === 190 || code === 102 || (code !== undefined && code >= 200 && code <= 299)) {
    return { ...base, scope: 'connection', kind: 'reauth_required' };
  }
  if (code === 1 || code === 2 || isTransientStatus(status)) return { ...base, scope: 'connection', kind: 'transient' };
  if (code === 10 || code === 100 || code === 803) return { ...base, scope: 'post', kind: 'skip' };
  return { ...base, scope: 'connection', kind: 'permanent' };
}

/** Longest `estimated_time_to_regain_access` (minutes) in the usage headers, in seconds. */
function regainAccessSeconds(headers: Pick<Headers, 'get'>): number | undefined {
  let best: number | undefined;
  for (const name of ['x-business-use-case-usage', 'x-app-usage', 'x-ad-account-usage']) {
    const raw = headers.get(name);
    if (!raw) continue;
    try {
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) {
            if (k === 'estimated_time_to_regain_access' && typeof x === 'number' && x > 0)
              best = Math.max(best ?? 0, x * 60);
            else walk(x);
          }
        }
      };
      walk(JSON.parse(raw));
    } catch {
      // a malformed usage header is not worth failing over
    }
  }
  return best;
}

class GraphCallError extends Error {
  constructor(readonly failure: GraphFailure) {
    super(failure.message);
  }
}

interface GraphInsight {
  name: string;
  period?: string;
  values?: { value: unknown; end_time?: string }[];
}

function graphClient(opts: MetaGraphOptions) {
  const base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 10_000;

  async function getJson(url: URL): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await doFetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (e) {
      throw new GraphCallError({
        scope: 'connection',
        kind: 'transient',
        message: `Graph API unreachable: ${(e as Error).name}`,
      });
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    const err = (body as { error?: GraphErrorBody } | undefined)?.error;
    if (!res.ok || err) throw new GraphCallError(classifyGraphError(res.status, err, res.headers));
    if (!body || typeof body !== 'object')
      throw new GraphCallError({
        scope: 'connection',
        kind: 'transient',
        message: 'Graph API returned no JSON object',
      });
    return body as Record<string, unknown>;
  }

  const objectUrl = (id: string, edge: string | undefined, params: Record<string, string>, token: string) => {
    if (!/^[0-9A-Za-z_]+$/.test(id))
      throw new GraphCallError({ scope: 'post', kind: 'skip', message: 'post id has unexpected characters' });
    const u = new URL(`${id}${edge ? `/${edge}` : ''}`, base);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    u.searchParams.set('access_token', token);
    return u;
  };

  /** Follows paging.next on the configured origin and base path only. */
  async function insights(id: string, metrics: string[], token: string): Promise<GraphInsight[]> {
    const out: GraphInsight[] = [];
    let url: URL | undefined = objectUrl(id, 'insights', { metric: metrics.join(',') }, token);
    for (let page = 0; url && page < (opts.maxPages ?? 10); page++) {
      const body = await getJson(url);
      const data = Array.isArray(body.data) ? (body.data as GraphInsight[]) : [];
      out.push(...data);
      const next = (body.paging as { next?: unknown } | undefined)?.next;
      url = undefined;
      if (typeof next === 'string' && data.length) {
        const n = new URL(next);
        if (n.origin === base.origin && n.pathname.startsWith(base.pathname)) url = n;
      }
    }
    return out;
  }

  return { getJson, objectUrl, insights };
}

/** The last value of a lifetime insight (its running total); checked where it becomes a point. */
function lifetimeValue(i: GraphInsight): unknown {
  const values = i.values ?? [];
  return values[values.length - 1]?.value;
}

/** Runs `one` per post; per-post failures skip the post, connection failures stop with what we have. */
async function collectPosts(
  platform: string,
  posts: PublishedPostRef[],
  one: (p: PublishedPostRef) => Promise<MetricPoint[]>,
): Promise<CollectResult> {
  const result: CollectResult = { points: [], skipped: [] };
  for (const post of posts) {
    try {
      result.points.push(...(await one(post)));
    } catch (e) {
      if (!(e instanceof GraphCallError)) throw e;
      const f = e.failure;
      if (f.scope === 'post') {
        result.skipped.push({ externalPostId: post.externalPostId, reason: f.message });
        continue;
      }
      const kind = f.kind === 'skip' ? 'permanent' : f.kind;
      throw new ConnectorError(kind, `${platform}: ${f.message}`, {
        retryAfterSeconds: f.retryAfterSeconds,
        partial: result,
        platformCode: f.code,
        traceId: f.traceId,
      });
    }
  }
  return result;
}

const recordedNow = (opts: MetaGraphOptions) => {
  const d = opts.now?.() ?? new Date();
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
};

type GraphClient = ReturnType<typeof graphClient>;

/** Where a post's points go: counts only (finite, not negative, whole), for metrics we map. */
type PointSink = (metric: MetricName | undefined, value: unknown) => void;

/** A lifetime-valued Meta connector; `collectPost` reads one post and hands what it finds to `push`. */
function metaConnector(
  platform: 'instagram' | 'facebook',
  opts: MetaGraphOptions,
  collectPost: (client: GraphClient, post: PublishedPostRef, token: string, push: PointSink) => Promise<void>,
): MetricsConnector {
  const client = graphClient(opts);
  return {
    platform,
    valueKind: 'lifetime',
    async collect(conn: SocialConnection, posts: PublishedPostRef[]) {
      const at = recordedNow(opts);
      return collectPosts(platform, posts, async (post) => {
        const points: MetricPoint[] = [];
        await collectPost(client, post, conn.accessToken, (metric, value) => {
          if (metric && typeof value === 'number' && Number.isFinite(value) && value >= 0)
            points.push({ variantId: post.variantId, platform, metric, value: Math.floor(value), recordedAt: at });
        });
        return points;
      });
    },
  };
}

export function createInstagramConnector(opts: MetaGraphOptions): MetricsConnector {
  const map = opts.instagramMetrics ?? DEFAULT_INSTAGRAM_METRICS;
  return metaConnector('instagram', opts, async (client, post, token, push) => {
    for (const i of await client.insights(post.externalPostId, Object.keys(map), token))
      push(map[i.name], lifetimeValue(i));
  });
}

export function createFacebookConnector(opts: MetaGraphOptions): MetricsConnector {
  const map = opts.facebookInsightMetrics ?? DEFAULT_FACEBOOK_INSIGHT_METRICS;
  return metaConnector('facebook', opts, async (client, post, token, push) => {
    for (const i of await client.insights(post.externalPostId, Object.keys(map), token))
      push(map[i.name], lifetimeValue(i));
    const obj = await client.getJson(
      client.objectUrl(
        post.externalPostId,
        undefined,
        { fields: 'shares,comments.limit(0).summary(true),reactions.limit(0).summary(true)' },
        token,
      ),
    );
    push('likes', (obj.reactions as { summary?: { total_count?: unknown } } | undefined)?.summary?.total_count);
    push('comments', (obj.comments as { summary?: { total_count?: unknown } } | undefined)?.summary?.total_count);
    // A post nobody shared has no `shares` field at all.
    push('shares', (obj.shares as { count?: unknown } | undefined)?.count ?? 0);
  });
}

/** Both Meta connectors from env (META_GRAPH_BASE_URL). */
export function metaConnectorsFromEnv(env: z.infer<typeof metaGraphEnv>, fetchImpl?: typeof fetch): MetricsConnector[] {
  const o: MetaGraphOptions = {
    baseUrl: env.META_GRAPH_BASE_URL,
    timeoutMs: env.META_GRAPH_TIMEOUT_MS,
    fetch: fetchImpl,
  };
  return [createInstagramConnector(o), createFacebookConnector(o)];
}
