/**
 * Outgoing webhooks are signed per Standard Webhooks (standardwebhooks.com), so receivers verify
 * them with the maintained `standardwebhooks` libraries (JavaScript, Python, Go, Java, Ruby, PHP,
 * Rust, C#...) instead of code of their own:
 *  - `webhook-id`: the event id, the same on every retry (receivers dedupe on it);
 *  - `webhook-timestamp`: unix seconds of the attempt (receivers refuse one more than 5 min away);
 *  - `webhook-signature`: `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<raw body>")>`, the key
 *    being the base64 bytes after `whsec_` of the endpoint's secret.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export type WebhookSignatureHeaders = Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>;

/** A new endpoint secret (shown to the tenant once): 32 random bytes as `whsec_` + base64, the form the libraries take. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * The Standard Webhooks form of a stored endpoint secret. Endpoints created before the switch hold
 * `whsec_` + base64url (unpadded) of their 32 random bytes, which the libraries cannot decode;
 * those same bytes stay the key, written in base64 (`-` -> `+`, `_` -> `/`, `=` padding). Secrets
 * in the standard form come back unchanged.
 */
export function standardWebhookSecret(stored: string): string {
  const body = stored.startsWith('whsec_') ? stored.slice('whsec_'.length) : stored;
  const b64 = body.replace(/-/g, '+').replace(/_/g, '/');
  return `whsec_${b64.padEnd(Math.ceil(b64.length / 4) * 4, '=')}`;
}

/** The three Standard Webhooks headers of one delivery attempt of `body` (the exact bytes sent). */
export function webhookSignatureHeaders(
  secret: string,
  msg: { id: string; body: string; at: Date },
): WebhookSignatureHeaders {
  return {
    'webhook-id': msg.id,
    'webhook-timestamp': String(Math.floor(msg.at.getTime() / 1000)),
    'webhook-signature': new Webhook(standardWebhookSecret(secret)).sign(msg.id, msg.at, msg.body),
  };
}

/**
 * Delay before retry `attempt` (1-based count of failed attempts so far): exponential from
 * `baseMs`, capped, with up to 20% jitter so many endpoints failing together do not retry in step.
 */
export function retryDelayMs(
  attempt: number,
  opts: { baseMs?: number; maxMs?: number; random?: () => number } = {},
): number {
  const base = opts.baseMs ?? 30_000;
  const max = opts.maxMs ?? 6 * 60 * 60 * 1000;
  const raw = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (1 + 0.2 * (opts.random ?? Math.random)()));
}

/** Attempts after which a delivery is given up (about a day with the default schedule). */
export const MAX_DELIVERY_ATTEMPTS = 12;
