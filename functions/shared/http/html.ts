/**
 * The one HTML escaper and Content-Security-Policy builder of the server-rendered pages (dashboard,
 * review links, the local sign-in), and the reply the dashboard pages share. Pages get a fresh CSP
 * nonce per response: inline styles and scripts run only when they carry it.
 */
import { randomBytes } from 'node:crypto';
import type { ApiReply } from './reply.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value -> HTML (quotes included, so it is safe inside either kind of attribute quote). */
export const escapeHtml = (v: unknown): string => String(v ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);

export interface CspSources {
  /** Per-response nonce: the page's inline `<style>` (and `<script>` with `scripts`) carry it. Omitted: nothing inline runs. */
  nonce?: string;
  /** Allow inline scripts carrying the nonce. */
  scripts?: boolean;
  /** img-src sources (e.g. `'self'`, `data:`, the presigned-URL origin). Omitted: no images. */
  img?: string[];
  /** connect-src sources (fetch from the page). Omitted: none. */
  connect?: string[];
}

/**
 * Content-Security-Policy denying everything but what is listed; never framed, no <base>, forms
 * post only to the page's own origin.
 */
export function contentSecurityPolicy(s: CspSources = {}): string {
  const d = ["default-src 'none'"];
  if (s.nonce && s.scripts) d.push(`script-src 'nonce-${s.nonce}'`);
  if (s.nonce) d.push(`style-src 'nonce-${s.nonce}'`);
  if (s.img?.length) d.push(`img-src ${[...new Set(s.img)].join(' ')}`);
  if (s.connect?.length) d.push(`connect-src ${[...new Set(s.connect)].join(' ')}`);
  d.push("base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'");
  return d.join('; ');
}

/** CSP of the dashboard pages: their nonce'd style and script, same-origin API calls, inline images. */
export const pageCsp = (nonce: string) =>
  contentSecurityPolicy({ nonce, scripts: true, img: ["'self'", 'data:'], connect: ["'self'"] });

/** An HTML reply whose page is rendered with this response's nonce, under pageCsp. */
export function htmlReply(render: (nonce: string) => string, status = 200): ApiReply {
  const nonce = randomBytes(16).toString('base64');
  return {
    status,
    body: render(nonce),
    contentType: 'text/html; charset=utf-8',
    headers: {
      'content-security-policy': pageCsp(nonce),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    },
  };
}
