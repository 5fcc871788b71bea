/**
 * Domain events out: EventBridge in AWS (`content.published` on the configured bus), and locally
 * a recorder that logs each event and keeps the last ones in memory (tests read them).
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { AdapterPermissions } from '../aws-permissions.js';

/** `event-bus` = the bus's ARN (EVENT_BUS_NAME). */
export const EVENT_PUBLISHER_PERMISSIONS = {
  publish: [{ action: 'events:PutEvents', on: 'event-bus' }],
} as const satisfies AdapterPermissions<'publish', 'event-bus'>;
import { AppError } from '../../shared/errors.js';
import type { DomainEvent, EventPublisher } from '../../domain/approvals/ports.js';

export const EVENT_SOURCE = 'svp.content';

type EventBridgeSdk = typeof import('@aws-sdk/client-eventbridge');
// Loaded at the first event, not at module load.
let eventBridgeSdk: Promise<EventBridgeSdk> | undefined;
const loadEventBridge = (): Promise<EventBridgeSdk> => (eventBridgeSdk ??= import('@aws-sdk/client-eventbridge'));

export function createEventBridgePublisher(opts: {
  busName: string;
  region?: string;
  client?: Pick<EventBridgeClient, 'send'>;
}): EventPublisher {
  let client = opts.client;
  return {
    async publish(event) {
      const sdk = await loadEventBridge();
      client ??= new sdk.EventBridgeClient(opts.region ? { region: opts.region } : {});
      const out = await client.send(
        new sdk.PutEventsCommand({
          Entries: [
            {
              EventBusName: opts.busName,
              Source: EVENT_SOURCE,
              DetailType: event.type,
              // The event id travels in the detail: consumers dedupe on it (PutEvents itself has no idempotency).
              Detail: JSON.stringify({
                id: event.id,
                organizationId: event.organizationId,
                occurredAt: event.occurredAt,
                data: event.data,
              }),
              Time: new Date(event.occurredAt),
            },
          ],
        }),
      );
      if ((out.FailedEntryCount ?? 0) > 0) {
        const entry = out.Entries?.[0];
        throw new AppError('upstream_unavailable', `EventBridge refused the event: ${entry?.ErrorCode ?? 'unknown'}`, {
          retryable: true,
        });
      }
    },
  };
}

/**
 * Local stand-in for EventBridge: logs and keeps each event, and plays the bus rule by handing it
 * to the subscribers (in-process, after the publisher returned, like an async target).
 */
export class LocalEventRecorder implements EventPublisher {
  readonly events: DomainEvent[] = [];
  private readonly subscribers: ((e: DomainEvent) => Promise<unknown>)[] = [];
  constructor(
    private readonly log?: {
      info(message: string, data?: Record<string, unknown>): void;
      warn(message: string, data?: Record<string, unknown>): void;
    },
  ) {}

  /** Registers a rule target; its failures are logged, never thrown at the publisher. */
  subscribe(target: (e: DomainEvent) => Promise<unknown>): void {
    this.subscribers.push(target);
  }

  async publish(event: DomainEvent): Promise<void> {
    this.events.push(event);
    if (this.events.length > 1000) this.events.shift();
    this.log?.info(`event ${event.type}`, { eventId: event.id, organizationId: event.organizationId });
    for (const s of this.subscribers) {
      setImmediate(() => {
        s(event).catch((e) =>
          this.log?.warn(`event target failed for ${event.type}`, { eventId: event.id, error: (e as Error).message }),
        );
      });
    }
  }
}
