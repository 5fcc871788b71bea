/**
 * Mystic webhook receiver helpers. Freepik signs `{webhook-id}.{webhook-timestamp}.{rawBody}` with
 * HMAC-SHA256 and sends `webhook-signature: v1,<base64> [v1,<base64> ...]` (several entries during
 * secret rotation). Verify against the raw body bytes, before any JSON parsing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import { mysticTaskBodySchema } from './schemas.js';
import type { MysticTask } from './client.js';

export interface WebhookSignatureInput {
  secret: string;
  id: string;
  /** Unix seconds, as sent in `webhook-timestamp`. */
  timestamp: string;
  /** The `webhook-signature` header value. */
  signature: string;
  rawBody: string | Buffer;
  /** Largest clock difference accepted, seconds (replay window). Default 300. */
  toleranceSec?: number;
  nowMs?: number;
}

/** Computes the `v1,<base64>` entry for a message (used by the emulator and tests). */
export function signWebhook(secret: string, id: string, timestamp: string, rawBody: string | Buffer): string {
  const mac = createHmac('sha256', secret).update(`${id}.${timestamp}.`).update(rawBody).digest('base64');
  return `v1,${mac}`;
}

/** True when one v1 entry matches and the timestamp is within tolerance. */
export function verifyWebhookSignature(i: WebhookSignatureInput): boolean {
  const ts = Number(i.timestamp);
  if (!/^\d+$/.test(i.timestamp) || !Number.isFinite(ts)) return false;
  const now = (i.nowMs ?? Date.now()) / 1000;
  if (Math.abs(now - ts) > (i.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(signWebhook(i.secret, i.id, i.timestamp, i.rawBody).slice(3), 'base64');
  return i.signature.split(' ').some((entry) => {
    const [version, sig] = entry.split(',', 2);
    if (version !== 'v1' || !sig) return false;
    const got = Buffer.from(sig, 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

/**
 * Verifies and parses a Mystic webhook delivery. Throws AppError('unauthenticated') for a missing
 * or wrong signature or a stale timestamp, AppError('validation_failed') for a body that is not
 * a task.
 */
export function parseMysticWebhook(i: {
  secret: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string | Buffer;
  toleranceSec?: number;
  nowMs?: number;
}): MysticTask {
  const h = (name: string) => {
    const v = i.headers[name] ?? i.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = h('webhook-id');
  const timestamp = h('webhook-timestamp');
  const signature = h('webhook-signature');
  if (!id || !timestamp || !signature || !verifyWebhookSignature({ secret: i.secret, id, timestamp, signature, rawBody: i.rawBody, toleranceSec: i.toleranceSec, nowMs: i.nowMs })) {
    throw new AppError('unauthenticated', 'The webhook signature is missing, wrong or too old');
  }
  let json: unknown;
  try { json = JSON.parse(String(i.rawBody)); } catch { throw new AppError('bad_json'); }
  // The body is the poll body without the `data` wrapper; tolerate the wrapper too.
  const candidate = json && typeof json === 'object' && 'data' in json ? (json as { data: unknown }).data : json;
  const r = mysticTaskBodySchema.safeParse(candidate);
  if (!r.success) throw new AppError('validation_failed', 'The webhook body is not a Mystic task');
  return { taskId: r.data.task_id, status: r.data.status.toUpperCase(), generated: r.data.generated ?? [], hasNsfw: (r.data.has_nsfw ?? []).map(Boolean) };
}
