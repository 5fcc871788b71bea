/**
 * The approval use cases' dependencies (app/approvals/deps.ts), created once per process from env
 * with the same lazy pattern as the process container (functions/shared/container.ts). A module of
 * its own so that only the handlers that approve, publish or deliver webhooks load the EventBridge,
 * KMS and Step Functions adapters. Tests and the local stack override pieces with
 * `provideApprovals()`.
 *
 * Defaults:
 *  - task callbacks: Step Functions when STATE_MACHINE_ARN is set; otherwise the task-token broker
 *    of the local workflow runner registered as `services.workflow()` (the local stack does that);
 *  - secrets: the envelope FieldCipher (KMS in AWS, a key file locally);
 *  - events: EventBridge when EVENT_BUS_NAME is set, else the local recorder (logged + kept);
 *  - webhooks: HTTPS POSTs to public addresses only (plain http and loopback in local mode).
 */
import { z } from 'zod';
import { fieldCipher } from '../../adapters/crypto/envelope.js';
import { createCallbackPort, type TaskCallbackClient } from '../../adapters/approvals/task-callbacks.js';
import { createEventBridgePublisher, LocalEventRecorder } from '../../adapters/approvals/event-publisher.js';
import { createHttpWebhookTransport } from '../../adapters/approvals/webhook-transport.js';
import { createSfnTaskCallbacks } from '../../adapters/workflow/task-callbacks.js';
import type { ApprovalLog, ApprovalServices } from '../../app/approvals/deps.js';
import type { EventPublisher, TaskCallbacks, WebhookTransport } from '../../domain/approvals/ports.js';
import { realClock } from '../../adapters/limits/clock.js';
import { services } from '../../shared/container.js';
import { linksEnv, localEnv, parseEnv } from '../../shared/env.js';
import { runsInAws } from '../../shared/runtime.js';

/** What the approval services read from env, beyond PUBLIC_BASE_URL (linksEnv) and APP_MODE (localEnv). */
export const approvalsEnv = z.object({
  /** EventBridge bus for `content.published`; unset locally (events are recorded in-process). */
  EVENT_BUS_NAME: z.string().min(1).optional(),
  STATE_MACHINE_ARN: z.string().optional(),
  AWS_REGION: z.string().optional(),
});

const consoleLog: ApprovalLog = {
  info: (m, d) => console.log(JSON.stringify({ level: 'INFO', service: 'svp-approvals', message: m, ...d })),
  warn: (m, d) => console.warn(JSON.stringify({ level: 'WARN', service: 'svp-approvals', message: m, ...d })),
};

const overrides: Partial<ApprovalServices> = {};
let cached: ApprovalServices | undefined;

/** Replaces pieces of the approval services (tests, local stack). */
export function provideApprovals(partial: Partial<ApprovalServices>): void {
  Object.assign(overrides, partial);
  cached = undefined;
}

export function resetApprovals(): void {
  for (const k of Object.keys(overrides)) delete overrides[k as keyof ApprovalServices];
  cached = undefined;
}

/** The local runner exposes its broker; anything else (a recording starter in tests) does not. */
function localBroker(): TaskCallbackClient | undefined {
  try {
    const wf = services.workflow() as unknown as { broker?: TaskCallbackClient };
    return wf?.broker;
  } catch {
    return undefined;
  }
}

export function approvalServices(): ApprovalServices {
  if (cached) return cached;
  const env = () => parseEnv(approvalsEnv);
  const lazy = <T>(make: () => T): (() => T) => {
    let v: T | undefined;
    return () => (v ??= make());
  };
  const events = lazy<EventPublisher>(() => {
    const e = env();
    if (e.EVENT_BUS_NAME) return createEventBridgePublisher({ busName: e.EVENT_BUS_NAME, region: e.AWS_REGION });
    // In a Lambda an in-process recorder would drop the event (and its webhooks) silently.
    if (runsInAws())
      throw new Error(
        'configuration error: EVENT_BUS_NAME is not set; in AWS events need the bus (give the function the events need)',
      );
    // Locally the "rule" delivers the webhooks in-process, as the content-published Lambda does in AWS.
    const recorder = new LocalEventRecorder(built.log);
    recorder.subscribe(async (ev) =>
      (await import('../../app/approvals/webhooks.js')).deliverEvent(built, ev.organizationId, ev.id),
    );
    return recorder;
  });
  const sfnCallbacks = lazy<TaskCallbacks>(() => createCallbackPort(createSfnTaskCallbacks()));
  // Not cached locally: the local stack may be restarted in one process (tests) with a new runner.
  const callbacks = (): TaskCallbacks => {
    if (env().STATE_MACHINE_ARN) return sfnCallbacks();
    const broker = localBroker();
    if (!broker)
      throw new Error(
        'configuration error: no task callback client (set STATE_MACHINE_ARN or run the local workflow runner)',
      );
    return createCallbackPort(broker);
  };
  const built: ApprovalServices = {
    get db() {
      return overrides.db ?? services.db();
    },
    get secrets() {
      return overrides.secrets ?? fieldCipher();
    },
    get callbacks() {
      return overrides.callbacks ?? callbacks();
    },
    get store() {
      return overrides.store ?? services.store();
    },
    get events() {
      return overrides.events ?? events();
    },
    get webhooks() {
      return overrides.webhooks ?? webhookTransport();
    },
    // Each read on its own: a function without the `links` need (webhooks API) never needs PUBLIC_BASE_URL.
    get publicBaseUrl() {
      return overrides.publicBaseUrl ?? parseEnv(linksEnv).PUBLIC_BASE_URL;
    },
    get appMode() {
      return overrides.appMode ?? parseEnv(localEnv).APP_MODE;
    },
    get clock() {
      return overrides.clock ?? realClock;
    },
    get log() {
      return overrides.log ?? consoleLog;
    },
    get sleep() {
      return overrides.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    },
  };
  const transports = new Map<string, WebhookTransport>();
  const webhookTransport = (): WebhookTransport => {
    const mode = built.appMode;
    if (!transports.has(mode)) transports.set(mode, createHttpWebhookTransport({ allowLocal: mode === 'local' }));
    return transports.get(mode)!;
  };
  cached = built;
  return built;
}
