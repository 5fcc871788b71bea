/**
 * The port every platform's metrics source implements. The scheduled collector
 * (functions/app/analytics/collect-metrics.ts) lists a tenant's connections, hands each connector
 * the posts published through that connection, and stores what comes back. Instagram and Facebook
 * (Meta Graph API) implement it today; another platform is one more implementation registered
 * with the collector.
 */
import { AppError } from '../../shared/errors.js';
import type { MetricPoint } from './metrics.js';

/** A tenant's authorised account on a platform, with its token already decrypted. */
export interface SocialConnection {
  id: string;
  orgId: string;
  platform: string;
  /** The platform's account id (Instagram professional account, Facebook Page). */
  accountId: string;
  accessToken: string;
  lastCollectedAt: Date | null;
}

/** A published variant as known on the platform. */
export interface PublishedPostRef {
  variantId: string;
  /** Platform post / media id. */
  externalPostId: string;
  /** Platform name used in the samples (instagram, facebook, ...). */
  platform: string;
  publishedAt: Date;
}

export interface MetricsConnector {
  /** The social_connections.platform value this connector serves. */
  readonly platform: string;
  /**
   * 'lifetime': values are running totals as of `recordedAt` (the collector turns them into
   * increments against the previous totals); 'increment': values are already per interval.
   */
  readonly valueKind: 'lifetime' | 'increment';
  /**
   * Reads the current metrics of `posts`. Throws ConnectorError for failures that concern the
   * whole connection (rate limit, revoked token); a problem with one post (deleted, too few
   * viewers) skips that post and is reported in `skipped`.
   */
  collect(conn: SocialConnection, posts: PublishedPostRef[], since: Date | null): Promise<CollectResult>;
}

export interface CollectResult {
  points: MetricPoint[];
  skipped: { externalPostId: string; reason: string }[];
}

/**
 * - rate_limited: stop calling this connection until `retryAfterSeconds` have passed;
 * - reauth_required: the platform refuses the token (revoked, expired, password changed): a person
 *   must reconnect; the collector stops using the connection;
 * - transient: network / 5xx / platform outage: try again at the next run;
 * - permanent: misconfiguration (unknown metric, bad request) that retrying will not fix.
 */
export type ConnectorErrorKind = 'rate_limited' | 'reauth_required' | 'transient' | 'permanent';

export class ConnectorError extends AppError {
  readonly kind: ConnectorErrorKind;
  readonly retryAfterSeconds?: number;
  /** What was collected before the failure (kept: those posts' numbers are valid). */
  readonly partial: CollectResult;

  constructor(
    kind: ConnectorErrorKind,
    message: string,
    opts: {
      retryAfterSeconds?: number;
      partial?: CollectResult;
      platformCode?: number;
      traceId?: string;
      cause?: unknown;
    } = {},
  ) {
    const code =
      kind === 'rate_limited'
        ? 'rate_limited'
        : kind === 'reauth_required'
          ? 'provider_misconfigured'
          : kind === 'transient'
            ? 'upstream_unavailable'
            : 'upstream_rejected';
    super(code, message, {
      retryable: kind === 'rate_limited' || kind === 'transient',
      detail: { kind, platformCode: opts.platformCode, traceId: opts.traceId },
      cause: opts.cause,
    });
    this.kind = kind;
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.partial = opts.partial ?? { points: [], skipped: [] };
  }
}

export const isConnectorError = (e: unknown): e is ConnectorError => e instanceof ConnectorError;
