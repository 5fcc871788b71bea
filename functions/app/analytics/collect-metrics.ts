/**
 * The scheduled metrics collector: for every active social connection (all tenants), ask the
 * platform's connector for the current numbers of the posts published through it, turn lifetime
 * totals into increments and store them like the ingestion API does (idempotent samples, dirty
 * hours for the rollup). One connection's failure never stops the others:
 *  - rate limited -> status rate_limited, skipped until retry_after (what was read is kept);
 *  - token refused (OAuthException 190) -> status needs_reauth: skipped until a person reconnects;
 *  - transient -> retried at the next run.
 * No transaction is held open across platform calls: posts are read, the platform is called, then
 * one short transaction per connection locks the posts, re-reads their baselines and writes.
 */
import type { DbHandle } from '../../adapters/db/client.js';
import { withTenant } from '../../adapters/db/client.js';
import {
  listCollectableConnections,
  postsOfConnection,
  saveTotals,
  updateConnection,
  type CollectableConnection,
} from '../../adapters/analytics/connections-store.js';
import { findVariants, insertSamples } from '../../adapters/analytics/metrics-store.js';
import { isConnectorError, type CollectResult, type MetricsConnector } from '../../domain/analytics/connector.js';
import { toIncrements, type LifetimeTotals } from '../../domain/analytics/increments.js';
import { dedupeBatch, type MetricPoint } from '../../domain/analytics/metrics.js';

export interface CollectorDeps {
  db: DbHandle;
  connectors: MetricsConnector[];
  /** Opens social_connections.access_token_enc (FieldCipher from functions/adapters/crypto/envelope.ts). */
  cipher: { decrypt(value: string, ctx: { orgId: string; field: string; rowId?: string }): Promise<string> };
  now?: Date;
  /** Posts older than this are no longer polled (default 90 days). */
  maxPostAgeDays?: number;
  log?: (msg: string, data?: Record<string, unknown>) => void;
}

export interface ConnectionOutcome {
  connectionId: string;
  orgId: string;
  platform: string;
  status: 'ok' | 'rate_limited' | 'needs_reauth' | 'failed';
  posts: number;
  samples: number;
  skippedPosts: number;
  error?: string;
}

export interface CollectSummary {
  connections: number;
  samples: number;
  outcomes: ConnectionOutcome[];
}

/** The field context the token is sealed under (tenant + column + row). */
export const tokenFieldContext = (c: { orgId: string; id: string }) => ({
  orgId: c.orgId,
  field: 'social_connections.access_token_enc',
  rowId: c.id,
});

export async function collectMetrics(deps: CollectorDeps): Promise<CollectSummary> {
  const now = deps.now ?? new Date();
  const byPlatform = new Map(deps.connectors.map((c) => [c.platform, c]));
  const conns = await listCollectableConnections(deps.db.sql, [...byPlatform.keys()], now);
  const outcomes: ConnectionOutcome[] = [];
  for (const conn of conns) {
    outcomes.push(await collectOne(deps, byPlatform.get(conn.platform)!, conn, now));
  }
  return { connections: conns.length, samples: outcomes.reduce((n, o) => n + o.samples, 0), outcomes };
}

async function collectOne(
  deps: CollectorDeps,
  connector: MetricsConnector,
  conn: CollectableConnection,
  now: Date,
): Promise<ConnectionOutcome> {
  const maxAge = deps.maxPostAgeDays ?? 90;
  const outcome: ConnectionOutcome = {
    connectionId: conn.id,
    orgId: conn.orgId,
    platform: conn.platform,
    status: 'ok',
    posts: 0,
    samples: 0,
    skippedPosts: 0,
  };
  const tenant = { orgId: conn.orgId };

  let token: string;
  try {
    token = await deps.cipher.decrypt(conn.accessTokenEnc, tokenFieldContext(conn));
  } catch (_e) {
    outcome.status = 'failed';
    outcome.error = 'the stored access token could not be decrypted';
    await withTenant(deps.db.db, tenant, (tx) =>
      updateConnection(tx, conn.id, { status: 'active', lastError: outcome.error }),
    );
    deps.log?.('collector: token not decryptable', { connectionId: conn.id });
    return outcome;
  }

  const posts = await withTenant(deps.db.db, tenant, (tx) => postsOfConnection(tx, conn.id, now, maxAge));
  outcome.posts = posts.length;
  let result: CollectResult;
  let nextStatus: {
    status: 'active' | 'rate_limited' | 'needs_reauth';
    retryAfter?: Date | null;
    lastError?: string | null;
  } = { status: 'active', retryAfter: null, lastError: null };
  try {
    result = posts.length
      ? await connector.collect(
          {
            id: conn.id,
            orgId: conn.orgId,
            platform: conn.platform,
            accountId: conn.accountId,
            accessToken: token,
            lastCollectedAt: conn.lastCollectedAt,
          },
          posts.map((p) => ({
            variantId: p.variantId,
            externalPostId: p.externalPostId,
            platform: p.platform,
            publishedAt: p.publishedAt,
          })),
          conn.lastCollectedAt,
        )
      : { points: [], skipped: [] };
  } catch (e) {
    if (!isConnectorError(e)) throw e;
    result = e.partial;
    outcome.error = e.message;
    if (e.kind === 'rate_limited') {
      outcome.status = 'rate_limited';
      nextStatus = {
        status: 'rate_limited',
        retryAfter: new Date(now.getTime() + (e.retryAfterSeconds ?? 3600) * 1000),
        lastError: e.message,
      };
    } else if (e.kind === 'reauth_required') {
      outcome.status = 'needs_reauth';
      nextStatus = { status: 'needs_reauth', retryAfter: null, lastError: e.message };
    } else {
      outcome.status = 'failed';
      nextStatus = { status: 'active', retryAfter: null, lastError: e.message };
    }
    deps.log?.('collector: connection failed', { connectionId: conn.id, kind: e.kind });
  }
  outcome.skippedPosts = result.skipped.length;

  outcome.samples = await withTenant(deps.db.db, tenant, async (tx) => {
    let stored = 0;
    if (result.points.length) {
      const locked = await postsOfConnection(tx, conn.id, now, maxAge, { lock: true });
      const byVariant = new Map(locked.map((p) => [`${p.variantId}|${p.platform}`, p]));
      const toStore: MetricPoint[] = [];
      const grouped = new Map<string, MetricPoint[]>();
      for (const p of result.points) {
        const k = `${p.variantId}|${p.platform}`;
        (grouped.get(k) ?? grouped.set(k, []).get(k)!).push(p);
      }
      for (const [k, pts] of grouped) {
        const post = byVariant.get(k);
        if (!post) continue; // unpublished meanwhile
        if (connector.valueKind === 'lifetime') {
          const inc = toIncrements(post.lastTotals as LifetimeTotals, pts);
          toStore.push(...inc.points);
          await saveTotals(tx, post.id, inc.nextTotals, now);
        } else {
          toStore.push(...pts);
        }
      }
      const { unique } = dedupeBatch(toStore);
      const owners = await findVariants(tx, [...new Set(unique.map((p) => p.variantId))]);
      const known = unique.filter((p) => owners.has(p.variantId));
      const r = await insertSamples(tx, conn.orgId, known, owners);
      stored = r.inserted + r.updated;
    }
    await updateConnection(tx, conn.id, { ...nextStatus, collectedAt: outcome.status === 'ok' ? now : undefined });
    return stored;
  });
  return outcome;
}
