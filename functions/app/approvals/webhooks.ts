/**
 * Tenant webhooks: endpoint management (the secret is shown once, stored encrypted) and delivery
 * of signed events with retries, backoff and a delivery log (webhook_deliveries).
 *
 * Delivery is at-least-once. Rows are written in the publish transaction; a worker claims a due
 * row with a short lease (next_attempt_at moved forward), POSTs it, then records the outcome, so
 * two workers never send the same attempt and a crash mid-attempt only delays the retry.
 * Each attempt is signed per Standard Webhooks (domain/approvals/webhook-signature.ts); receivers
 * dedupe on `webhook-id`, the event id.
 */
import { randomUUID } from 'node:crypto';
import * as hooks from '../../adapters/approvals/webhook-store.js';
import { webhookUrlProblem } from '../../adapters/approvals/webhook-transport.js';
import { withTenant, type Tx } from '../../adapters/db/client.js';
import {
  MAX_DELIVERY_ATTEMPTS,
  newWebhookSecret,
  retryDelayMs,
  webhookSignatureHeaders,
} from '../../domain/approvals/webhook-signature.js';
import { AppError } from '../../shared/errors.js';
import { pipelineMetric } from '../../shared/metrics.js';
import { audit, type ActorContext } from '../audit.js';
import { iso } from '../dto-dates.js';
import type { ApprovalServices } from './deps.js';

export const WEBHOOK_EVENTS = ['content.published'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const SECRET_FIELD = 'webhook_endpoints.secret_enc';
const secretContext = (orgId: string, endpointId: string) => ({ orgId, field: SECRET_FIELD, rowId: endpointId });

export interface WebhookEndpointDto {
  id: string;
  url: string;
  events: string[];
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
}

const dto = (r: hooks.EndpointRow): WebhookEndpointDto => ({
  id: r.id,
  url: r.url,
  events: r.events,
  isActive: r.isActive,
  createdAt: iso(r.createdAt)!,
  updatedAt: iso(r.updatedAt)!,
});

function checkUrl(url: string, appMode: 'aws' | 'local'): void {
  const problem = webhookUrlProblem(url, appMode === 'local');
  if (problem)
    throw new AppError('validation_failed', `The webhook URL ${problem}`, {
      fields: [{ path: 'url', message: problem }],
    });
}

export async function listEndpoints(tx: Tx): Promise<WebhookEndpointDto[]> {
  return (await hooks.listEndpointRows(tx)).map(dto);
}

async function endpointRow(tx: Tx, id: string) {
  const row = await hooks.findEndpoint(tx, id);
  if (!row) throw new AppError('not_found', 'Webhook endpoint not found');
  return row;
}

export async function getEndpoint(tx: Tx, id: string): Promise<WebhookEndpointDto> {
  return dto(await endpointRow(tx, id));
}

/** Creates an endpoint; the response carries the signing secret, the only time it is shown. */
export async function createEndpoint(
  tx: Tx,
  deps: Pick<ApprovalServices, 'secrets' | 'appMode'>,
  actor: ActorContext,
  input: { url: string; events?: WebhookEvent[] },
): Promise<WebhookEndpointDto & { secret: string }> {
  checkUrl(input.url, deps.appMode);
  const id = randomUUID();
  const secret = newWebhookSecret();
  const secretEnc = await deps.secrets.encrypt(secret, secretContext(actor.orgId, id));
  const row = await hooks.insertEndpoint(tx, {
    id,
    organizationId: actor.orgId,
    url: input.url,
    secretEnc,
    events: [...new Set(input.events ?? ['content.published'])],
  });
  await audit(tx, actor, {
    action: 'webhook.create',
    resourceType: 'webhook_endpoint',
    resourceId: id,
    details: { url: input.url, events: row.events },
  });
  return { ...dto(row), secret };
}

export async function updateEndpoint(
  tx: Tx,
  deps: Pick<ApprovalServices, 'appMode'>,
  actor: ActorContext,
  id: string,
  patch: { url?: string; events?: WebhookEvent[]; isActive?: boolean },
): Promise<WebhookEndpointDto> {
  await endpointRow(tx, id);
  if (patch.url !== undefined) checkUrl(patch.url, deps.appMode);
  const row = await hooks.updateEndpointRow(tx, id, {
    ...(patch.url !== undefined ? { url: patch.url } : {}),
    ...(patch.events !== undefined ? { events: [...new Set(patch.events)] } : {}),
    ...(patch.isActive !== undefined ? { isActive: patch.isActive } : {}),
  });
  await audit(tx, actor, {
    action: 'webhook.update',
    resourceType: 'webhook_endpoint',
    resourceId: id,
    details: { fields: Object.keys(patch) },
  });
  return dto(row);
}

/** A new secret (shown once); the old one stops signing immediately. */
export async function rotateSecret(
  tx: Tx,
  deps: Pick<ApprovalServices, 'secrets'>,
  actor: ActorContext,
  id: string,
): Promise<WebhookEndpointDto & { secret: string }> {
  await endpointRow(tx, id);
  const secret = newWebhookSecret();
  const secretEnc = await deps.secrets.encrypt(secret, secretContext(actor.orgId, id));
  const row = await hooks.updateEndpointRow(tx, id, { secretEnc });
  await audit(tx, actor, { action: 'webhook.rotate_secret', resourceType: 'webhook_endpoint', resourceId: id });
  return { ...dto(row), secret };
}

export async function deleteEndpoint(tx: Tx, actor: ActorContext, id: string): Promise<void> {
  await endpointRow(tx, id);
  await hooks.deleteEndpointRow(tx, id);
  await audit(tx, actor, { action: 'webhook.delete', resourceType: 'webhook_endpoint', resourceId: id });
}

export interface DeliveryDto {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

export async function listDeliveries(tx: Tx, endpointId: string, limit = 50): Promise<DeliveryDto[]> {
  await endpointRow(tx, endpointId);
  const rows = await hooks.listDeliveryRows(tx, endpointId, limit);
  return rows.map((d) => ({
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    deliveredAt: iso(d.deliveredAt),
    createdAt: iso(d.createdAt)!,
  }));
}

/** The webhook body: what receivers get (and what the signature covers, byte for byte). */
export interface WebhookBody {
  id: string;
  type: string;
  createdAt: string;
  data: unknown;
}

/**
 * Queues `event` for every active endpoint of the tenant subscribed to its type (inside the
 * caller's transaction). The same event id twice is a no-op per endpoint (unique constraint).
 */
export async function enqueueDeliveries(tx: Tx, orgId: string, event: WebhookBody): Promise<number> {
  let n = 0;
  for (const endpointId of await hooks.subscribedEndpointIds(tx, event.type)) {
    const queued = await hooks.insertDeliveryOnce(tx, {
      organizationId: orgId,
      endpointId,
      eventId: event.id,
      eventType: event.type,
      payload: event,
    });
    if (queued) n++;
  }
  return n;
}

/** How long a claimed attempt may take before another worker may try again. */
const LEASE_MS = 60_000;
const ATTEMPT_TIMEOUT_MS = 10_000;

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'skipped';

/** What a delivery attempt needs: the rows, the endpoint secrets, the HTTP sender, the clock and the log. */
type DeliveryDeps = Pick<ApprovalServices, 'db' | 'secrets' | 'webhooks' | 'clock' | 'log'>;

/** How hard `deliverEvent` tries before it leaves a delivery to the retry sweeper. */
export interface InlineDeliveryOptions {
  /** Tries per endpoint (default 3). */
  inlineAttempts?: number;
  /** The wait before the second try, doubled before each further one (default 500 ms). */
  inlineDelayMs?: number;
}

/**
 * One delivery attempt of a due row (skipped when not due or claimed by someone else).
 * Returns what happened; the row records attempts, status code, error and the next attempt.
 */
export async function attemptDelivery(
  deps: DeliveryDeps,
  orgId: string,
  deliveryId: string,
  opts: { baseDelayMs?: number } = {},
): Promise<DeliveryOutcome> {
  const now = new Date(deps.clock.now());
  const claimed = await withTenant(deps.db, { orgId }, async (tx) => {
    const d = await hooks.claimDueDelivery(tx, deliveryId, { now, until: new Date(now.getTime() + LEASE_MS) });
    if (!d) return undefined;
    const endpoint = await hooks.findEndpoint(tx, d.endpointId);
    return { d, endpoint };
  });
  if (!claimed) return 'skipped';
  const { d, endpoint } = claimed;
  const attempt = d.attempts + 1;
  let status: number | undefined;
  let error: string | undefined;
  if (!endpoint?.isActive) {
    error = 'endpoint disabled or deleted';
  } else {
    const secret = await deps.secrets.decrypt(endpoint.secretEnc, secretContext(orgId, endpoint.id));
    const body = JSON.stringify(d.payload);
    const r = await deps.webhooks.post(
      endpoint.url,
      body,
      {
        ...webhookSignatureHeaders(secret, { id: d.eventId, body, at: new Date(deps.clock.now()) }),
        'x-svp-event-type': d.eventType,
        'x-svp-delivery-attempt': String(attempt),
      },
      ATTEMPT_TIMEOUT_MS,
    );
    status = r.status;
    error = r.error ?? (r.status !== undefined && (r.status < 200 || r.status >= 300) ? `HTTP ${r.status}` : undefined);
  }
  const delivered = status !== undefined && status >= 200 && status < 300;
  const giveUp = !delivered && (attempt >= MAX_DELIVERY_ATTEMPTS || !endpoint || !endpoint.isActive);
  const outcome: DeliveryOutcome = delivered ? 'delivered' : giveUp ? 'failed' : 'retry';
  const after = new Date(deps.clock.now());
  await withTenant(deps.db, { orgId }, (tx) =>
    hooks.recordDeliveryAttempt(tx, d.id, {
      attempts: attempt,
      status: delivered ? 'delivered' : giveUp ? 'failed' : 'pending',
      lastStatusCode: status ?? null,
      lastError: error?.slice(0, 500) ?? null,
      deliveredAt: delivered ? after : null,
      nextAttemptAt: new Date(
        after.getTime() + (delivered || giveUp ? 0 : retryDelayMs(attempt, { baseMs: opts.baseDelayMs })),
      ),
    }),
  );
  if (!delivered)
    deps.log.warn('webhook delivery failed', { deliveryId: d.id, eventId: d.eventId, attempt, status, error, outcome });
  if (giveUp) pipelineMetric('webhookFailures');
  return outcome;
}

/**
 * Delivers the queued webhooks of one event: each endpoint gets up to `inlineAttempts` quick
 * tries with a short backoff; whatever still fails is left for the retry sweeper.
 */
export async function deliverEvent(
  deps: DeliveryDeps & Pick<ApprovalServices, 'sleep'>,
  orgId: string,
  eventId: string,
  opts: InlineDeliveryOptions = {},
): Promise<Record<string, DeliveryOutcome>> {
  const ids = await withTenant(deps.db, { orgId }, (tx) => hooks.pendingDeliveryIds(tx, eventId));
  const out: Record<string, DeliveryOutcome> = {};
  await Promise.all(
    ids.map(async (id) => {
      const inlineDelay = opts.inlineDelayMs ?? 500;
      for (let n = 1; n <= (opts.inlineAttempts ?? 3); n++) {
        // Inline retries use a short schedule of their own; the row's backoff applies after them.
        if (n > 1) {
          await deps.sleep(inlineDelay * 2 ** (n - 2));
          await withTenant(deps.db, { orgId }, (tx) => hooks.makeDeliveryDue(tx, id, new Date(deps.clock.now())));
        }
        out[id] = await attemptDelivery(deps, orgId, id);
        if (out[id] !== 'retry') break;
      }
    }),
  );
  return out;
}

/** The sweeper: one attempt for every delivery whose retry is due (all tenants). */
export async function retryDueDeliveries(
  deps: DeliveryDeps,
  opts: { limit?: number } = {},
): Promise<{ attempted: number; delivered: number }> {
  const due = await hooks.dueDeliveries(deps.db, opts.limit ?? 100);
  let delivered = 0;
  for (const d of due) if ((await attemptDelivery(deps, d.orgId, d.deliveryId)) === 'delivered') delivered++;
  return { attempted: due.length, delivered };
}
