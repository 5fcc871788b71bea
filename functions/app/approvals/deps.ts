/**
 * What the approval use cases depend on, as ports (domain/approvals/ports.ts) plus the database
 * handle. Built once per process in functions/handlers/composition/approvals.ts; tests and the
 * local stack replace pieces there.
 */
import type { Db } from '../../adapters/db/client.js';
import type {
  EventPublisher,
  SecretBox,
  TaskCallbacks,
  UrlSigner,
  WebhookTransport,
} from '../../domain/approvals/ports.js';
import type { Clock } from '../../domain/ports.js';

export interface ApprovalLog {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
}

export interface ApprovalServices {
  db: Db;
  secrets: SecretBox;
  callbacks: TaskCallbacks;
  /** Presigned GETs for the review page and the object bytes for the publish checksum check. */
  store: UrlSigner & { get(key: string): Promise<Buffer> };
  events: EventPublisher;
  webhooks: WebhookTransport;
  /** Base of every link we send; never derived from a request's Host header. */
  publicBaseUrl: string;
  appMode: 'aws' | 'local';
  /** Reads the time only; waits go through `sleep`. */
  clock: Pick<Clock, 'now'>;
  log: ApprovalLog;
  /** Pause between callback / webhook attempts (tests shorten it). */
  sleep(ms: number): Promise<void>;
}
