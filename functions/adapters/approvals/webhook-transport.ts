/**
 * Sends one signed webhook POST. Tenants choose the URL, so this is an SSRF surface: https only,
 * every address the host resolves to must be public (no private ranges, link-local metadata or
 * loopback), the socket is pinned to the checked address (no DNS rebinding between check and
 * connect), redirects are not followed, and the whole attempt has one deadline. Local mode allows
 * plain http and loopback so tests and `npm start` can use a receiver on 127.0.0.1.
 */
import http from 'node:http';
import https from 'node:https';
import net, { type LookupFunction } from 'node:net';
import { classifyAddress, systemResolver, type Resolver } from '../safe-fetch/address-policy.js';
import type { WebhookTransport } from '../../domain/approvals/ports.js';

export interface WebhookTransportOptions {
  /** Local mode: plain http and loopback/private targets allowed. */
  allowLocal: boolean;
  resolve?: Resolver;
}

/** Why a URL may not receive webhooks (null = fine). Used at registration and before each POST. */
export function webhookUrlProblem(raw: string, allowLocal: boolean): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'not a valid URL';
  }
  if (u.protocol !== 'https:' && !(allowLocal && u.protocol === 'http:')) return 'must use https';
  if (u.username || u.password) return 'must not contain credentials';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && !allowLocal && classifyAddress(host) !== 'public')
    return 'must not point to a private or loopback address';
  if (!allowLocal && /^(localhost|.*\.localhost|.*\.internal|.*\.local)$/i.test(host)) return 'must be a public host';
  return null;
}

export function createHttpWebhookTransport(opts: WebhookTransportOptions): WebhookTransport {
  const resolve = opts.resolve ?? systemResolver;
  return {
    async post(url, body, headers, timeoutMs) {
      const problem = webhookUrlProblem(url, opts.allowLocal);
      if (problem) return { error: `refused: URL ${problem}` };
      const u = new URL(url);
      const host = u.hostname.replace(/^\[|\]$/g, '');
      let addresses: { address: string; family: number }[];
      try {
        addresses = net.isIP(host) ? [{ address: host, family: net.isIP(host) }] : await resolve(host);
      } catch (e) {
        return { error: `dns: ${(e as Error).message}` };
      }
      if (!addresses.length) return { error: 'dns: no addresses' };
      if (!opts.allowLocal && addresses.some((a) => classifyAddress(a.address) !== 'public')) {
        return { error: 'refused: the host resolves to a private address' };
      }
      const pinned = addresses[0];
      const lookup: LookupFunction = (_h, o, cb) => {
        if ((o as { all?: boolean }).all)
          (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
        else cb(null, pinned.address, pinned.family);
      };
      const payload = Buffer.from(body, 'utf8');
      return new Promise((done) => {
        const mod = u.protocol === 'https:' ? https : http;
        const req = mod.request(
          u,
          {
            method: 'POST',
            lookup,
            timeout: timeoutMs,
            headers: {
              ...headers,
              'content-type': 'application/json',
              'content-length': String(payload.length),
              'user-agent': 'svp-webhooks/1',
            },
          },
          (res) => {
            res.resume(); // the body is not needed; drain it so the socket is released
            res.on('end', () => done({ status: res.statusCode ?? 0 }));
            res.on('error', () => done({ status: res.statusCode ?? 0 }));
          },
        );
        const deadline = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
        req.on('error', (e) => done({ error: e.message }));
        req.on('close', () => clearTimeout(deadline));
        req.end(payload);
      });
    },
  };
}
