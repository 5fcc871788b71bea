/**
 * Webhook signatures: header `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`.
 * Receivers recompute the MAC over the raw body and reject old timestamps (replay window).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-svp-signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** True when `header` carries a v1 MAC of `body` under `secret` made within the tolerance. */
export function verifySignature(secret: string, header: string | undefined, body: string, nowSeconds: number, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): boolean {
  if (!header) return false;
  const parts = new Map<string, string[]>();
  for (const kv of header.split(',')) {
    const i = kv.indexOf('=');
    if (i <= 0) continue;
    const k = kv.slice(0, i).trim();
    parts.set(k, [...(parts.get(k) ?? []), kv.slice(i + 1).trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return (parts.get('v1') ?? []).some((hex) => {
    if (!/^[0-9a-f]{64}$/.test(hex)) return false;
    return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
  });
}

/** A new endpoint secret (shown to the tenant once). */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/**
 * Delay before retry `attempt` (1-based count of failed attempts so far): exponential from
 * `baseMs`, capped, with up to 20% jitter so many endpoints failing together do not retry in step.
 */
export function retryDelayMs(attempt: number, opts: { baseMs?: number; maxMs?: number; random?: () => number } = {}): number {
  const base = opts.baseMs ?? 30_000;
  const max = opts.maxMs ?? 6 * 60 * 60 * 1000;
  const raw = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (1 + 0.2 * (opts.random ?? Math.random)()));
}

/** Attempts after which a delivery is given up (about a day with the default schedule). */
export const MAX_DELIVERY_ATTEMPTS = 12;

/** Status codes worth retrying: timeouts, rate limits and server errors (not 4xx answers). */
export const retryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;
