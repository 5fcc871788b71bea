/**
 * The approval use cases' dependencies (app/approvals/deps.ts), part of the composition root
 * (./root.ts): created once per process from env and kept in its cache. A module of its own so that
 * only the handlers that approve, publish or deliver webhooks load the EventBridge, KMS and Step
 * Functions adapters. Tests and the local stack replace pieces with `provide()` (./cache.ts).
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
import type { EventPublisher, TaskCallbacks } from '../../domain/approvals/ports.js';
import { realClock } from '../../adapters/limits/clock.js';
import { linksEnv, localEnv, parseEnv } from '../../shared/env.js';
import { runsInAws } from '../../shared/runtime.js';
import { providedOr, resolve } from './cache.js';
import { services } from './root.js';

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

/** The local runner exposes its broker; anything else (a recording starter in tests) does not. */
function localBroker(): TaskCallbackClient | undefined {
  try {
    const wf = services.workflow() as unknown as { broker?: TaskCallbackClient };
    return wf?.broker;
  } catch {
    return undefined;
  }
}

const env = () => parseEnv(approvalsEnv);

const events = () =>
  resolve('events', (): EventPublisher => {
    const e = env();
    if (e.EVENT_BUS_NAME) return createEventBridgePublisher({ busName: e.EVENT_BUS_NAME, region: e.AWS_REGION });
    // In a Lambda an in-process recorder would drop the event (and its webhooks) silently.
    if (runsInAws())
      throw new Error(
        'configuration error: EVENT_BUS_NAME is not set; in AWS events need the bus (give the function the events need)',
      );
    // Locally the "rule" delivers the webhooks in-process, as the content-published Lambda does in AWS.
    const recorder = new LocalEventRecorder(approvals.log);
    recorder.subscribe(async (ev) =>
      (await import('../../app/approvals/webhooks.js')).deliverEvent(approvals, ev.organizationId, ev.id),
    );
    return recorder;
  });

// Locally built from the runner's broker: reading `workflow` makes a new runner (a restarted local
// stack in one test process) rebuild them.
const callbacks = () =>
  resolve('callbacks', (): TaskCallbacks => {
    if (env().STATE_MACHINE_ARN) return createCallbackPort(createSfnTaskCallbacks());
    const broker = localBroker();
    if (!broker)
      throw new Error(
        'configuration error: no task callback client (set STATE_MACHINE_ARN or run the local workflow runner)',
      );
    return createCallbackPort(broker);
  });

/**
 * The approval use cases' dependencies. Each piece is read when used, so a function without the
 * `links` need (webhooks API) never needs PUBLIC_BASE_URL, and a piece provided later is seen.
 */
const approvals: ApprovalServices = {
  get db() {
    return services.db();
  },
  get secrets() {
    return resolve('secrets', () => fieldCipher());
  },
  get callbacks() {
    return callbacks();
  },
  get store() {
    return services.store();
  },
  get events() {
    return events();
  },
  get webhooks() {
    // Built after appMode: providing another mode rebuilds the transport.
    return resolve('webhooks', () => createHttpWebhookTransport({ allowLocal: approvals.appMode === 'local' }));
  },
  get publicBaseUrl() {
    return providedOr('publicBaseUrl', () => parseEnv(linksEnv).PUBLIC_BASE_URL);
  },
  get appMode() {
    return providedOr('appMode', () => parseEnv(localEnv).APP_MODE);
  },
  get clock() {
    return resolve('clock', () => realClock);
  },
  get log() {
    return resolve('log', () => consoleLog);
  },
  get sleep() {
    return resolve('sleep', () => (ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  },
};

export function approvalServices(): ApprovalServices {
  return approvals;
}
