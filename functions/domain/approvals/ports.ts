/**
 * Ports of the approval engine. Adapters: Step Functions / the local task-token broker, SES / the
 * outbox printer, EventBridge / a local recorder, HTTP for webhooks, the envelope cipher.
 * Unit tests use in-memory fakes.
 */

/** Outcome of a task-token callback. `already_decided` covers TaskTimedOut / InvalidToken / TaskDoesNotExist. */
export type CallbackResult = 'sent' | 'already_decided';

/** Completes a `.waitForTaskToken` task. Errors other than "already decided" are thrown (retryable). */
export interface TaskCallbacks {
  sendSuccess(taskToken: string, output: unknown): Promise<CallbackResult>;
  sendFailure(taskToken: string, error: string, cause: string): Promise<CallbackResult>;
}

/** Where an encrypted value belongs (tenant + column, optionally the row); decrypting needs the same. */
export interface SecretContext {
  orgId: string;
  field: string;
  rowId?: string;
}

/** Encrypts secrets kept in the database (task tokens, webhook secrets): envelope encryption. */
export interface SecretBox {
  encrypt(plaintext: string, ctx: SecretContext): Promise<string>;
  decrypt(sealed: string, ctx: SecretContext): Promise<string>;
}

export interface Email {
  to: string;
  subject: string;
  text: string;
  /** Links in the text, listed separately for the local outbox view. */
  links: string[];
}

/** Sends an email (SES in AWS). Locally nothing is sent: the outbox printer shows the mail. */
export interface Mailer {
  send(email: Email): Promise<void>;
}

export interface DomainEvent {
  id: string;
  type: 'content.published';
  organizationId: string;
  occurredAt: string;
  data: unknown;
}

/** Publishes domain events (EventBridge in AWS; locally logged and recorded). */
export interface EventPublisher {
  publish(event: DomainEvent): Promise<void>;
}

export interface WebhookResponse {
  status: number;
  error?: undefined;
}
export interface WebhookNetworkError {
  status?: undefined;
  error: string;
}

/** Sends one webhook POST (already signed). Never throws: answers with a status or an error. */
export interface WebhookTransport {
  post(
    url: string,
    body: string,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<WebhookResponse | WebhookNetworkError>;
}

/** Short-lived download URLs for the review page. */
export interface UrlSigner {
  presignGet(key: string, ttlSeconds?: number): Promise<string>;
}
