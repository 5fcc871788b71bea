/**
 * Mystic webhook receiver helpers. Freepik signs its webhooks per Standard Webhooks: headers
 * `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> [v1,<base64> ...]` (several
 * entries during secret rotation), the MAC over `{webhook-id}.{webhook-timestamp}.{rawBody}`.
 * Verification is the `standardwebhooks` library's (the same one our own receivers use): raw body
 * bytes, before any JSON parsing, and a 5-minute replay window.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { AppError } from '../../shared/errors.js';
import { type MysticTask, mysticTaskBodySchema } from './endpoints/mystic.js';

/**
 * The Standard Webhooks signer/verifier for a Freepik webhook secret. A `whsec_` secret is a
 * Standard Webhooks one (its base64 is the key); any other string keys the HMAC with its own
 * bytes, as Freepik's API description puts it ("HMAC-SHA256(secret, ...)").
 */
export function freepikWebhook(secret: string): Webhook {
  return secret.startsWith('whsec_')
    ? new Webhook(secret)
    : new Webhook(Buffer.from(secret, 'utf8'), { format: 'raw' });
}

/** The `v1,<base64>` entry for a message (what the emulator sends). */
export function signWebhook(secret: string, id: string, timestamp: string, rawBody: string | Buffer): string {
  return freepikWebhook(secret).sign(id, new Date(Number(timestamp) * 1000), rawBody);
}

/**
 * Verifies and parses a Mystic webhook delivery. Throws AppError('unauthenticated') for missing
 * headers, a wrong signature or a timestamp more than 5 minutes from now, AppError('bad_json') /
 * AppError('validation_failed') for a body that is not a task.
 */
export function parseMysticWebhook(i: {
  secret: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string | Buffer;
}): MysticTask {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(i.headers)) {
    const value = Array.isArray(v) ? v[0] : v;
    if (value !== undefined) headers[k.toLowerCase()] = value;
  }
  try {
    freepikWebhook(i.secret).verify(i.rawBody, headers, { jsonParse: false });
  } catch (e) {
    if (e instanceof WebhookVerificationError)
      throw new AppError('unauthenticated', 'The webhook signature is missing, wrong or too old');
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(String(i.rawBody));
  } catch {
    throw new AppError('bad_json');
  }
  // The body is the poll body without the `data` wrapper; tolerate the wrapper too.
  const candidate = json && typeof json === 'object' && 'data' in json ? (json as { data: unknown }).data : json;
  const r = mysticTaskBodySchema.safeParse(candidate);
  if (!r.success) throw new AppError('validation_failed', 'The webhook body is not a Mystic task');
  return {
    taskId: r.data.task_id,
    status: r.data.status.toUpperCase(),
    generated: r.data.generated ?? [],
    hasNsfw: (r.data.has_nsfw ?? []).map(Boolean),
  };
}
