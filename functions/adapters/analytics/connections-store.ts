/**
 * The metrics collector's storage: the cross-tenant work list (through the SECURITY DEFINER
 * app.collectable_connections) and, per tenant inside withTenant, the posts of a connection, their
 * stored lifetime totals and the connection's status.
 */
import { sql as dsql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Tx } from '../db/client.js';
import type { LifetimeTotals } from '../../domain/analytics/increments.js';

export interface CollectableConnection {
  id: string;
  orgId: string;
  platform: string;
  accountId: string;
  accessTokenEnc: string;
  lastCollectedAt: Date | null;
}

export async function listCollectableConnections(
  sql: postgres.Sql,
  platforms: string[],
  now: Date,
): Promise<CollectableConnection[]> {
  if (!platforms.length) return [];
  const rows = await sql<
    {
      id: string;
      organization_id: string;
      platform: string;
      account_id: string;
      access_token_enc: string;
      last_collected_at: Date | null;
    }[]
  >`
    SELECT * FROM app.collectable_connections(${`{${platforms.join(',')}}`}::text[], ${now.toISOString()}::timestamptz)`;
  return rows.map((r) => ({
    id: r.id,
    orgId: r.organization_id,
    platform: r.platform,
    accountId: r.account_id,
    accessTokenEnc: r.access_token_enc,
    lastCollectedAt: r.last_collected_at,
  }));
}

export interface StoredPost {
  id: string;
  variantId: string;
  platform: string;
  externalPostId: string;
  publishedAt: Date;
  lastTotals: LifetimeTotals;
}

/** Posts published through the connection within the last `maxAgeDays` (older ones have settled). */
export async function postsOfConnection(
  tx: Tx,
  connectionId: string,
  now: Date,
  maxAgeDays: number,
  opts: { lock?: boolean } = {},
): Promise<StoredPost[]> {
  const rows = await tx.execute<{
    id: string;
    variant_id: string;
    platform: string;
    external_post_id: string;
    published_at: Date;
    last_totals: LifetimeTotals;
  }>(dsql`
    SELECT id, variant_id, platform, external_post_id, published_at, last_totals FROM published_posts
    WHERE connection_id = ${connectionId} AND published_at >= ${new Date(now.getTime() - maxAgeDays * 86_400_000).toISOString()}::timestamptz
    ORDER BY published_at DESC
    ${opts.lock ? dsql`FOR UPDATE` : dsql``}`);
  return rows.map((r) => ({
    id: r.id,
    variantId: r.variant_id,
    platform: r.platform,
    externalPostId: r.external_post_id,
    publishedAt: new Date(r.published_at),
    lastTotals: r.last_totals ?? {},
  }));
}

export async function saveTotals(tx: Tx, postId: string, totals: LifetimeTotals, at: Date): Promise<void> {
  await tx.execute(
    dsql`UPDATE published_posts SET last_totals = ${JSON.stringify(totals)}::jsonb, last_collected_at = ${at.toISOString()}::timestamptz WHERE id = ${postId}`,
  );
}

export type ConnectionStatus = 'active' | 'needs_reauth' | 'rate_limited';

export async function updateConnection(
  tx: Tx,
  id: string,
  patch: { status: ConnectionStatus; retryAfter?: Date | null; lastError?: string | null; collectedAt?: Date },
): Promise<void> {
  await tx.execute(dsql`
    UPDATE social_connections SET status = ${patch.status},
      retry_after = ${patch.retryAfter ? patch.retryAfter.toISOString() : null}::timestamptz,
      last_error = ${patch.lastError ?? null},
      last_collected_at = coalesce(${patch.collectedAt ? patch.collectedAt.toISOString() : null}::timestamptz, last_collected_at),
      updated_at = now()
    WHERE id = ${id}`);
}
