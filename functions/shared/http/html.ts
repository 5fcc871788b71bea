/**
 * Server-rendered pages (dashboard shell, local sign-in) answer with a fresh CSP nonce per
 * response: inline scripts and styles run only when they carry it.
 */
import { randomBytes } from 'node:crypto';
import type { ApiReply } from './api-handler.js';

/** Content-Security-Policy for pages carrying `nonce`. */
export const pageCsp = (nonce: string) =>
  `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src 'self' data:; connect-src 'self'; ` +
  `base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;

/** An HTML reply whose page is rendered with this response's nonce, under pageCsp. */
export function htmlReply(render: (nonce: string) => string, status = 200): ApiReply {
  const nonce = randomBytes(16).toString('base64');
  return {
    status,
    body: render(nonce),
    contentType: 'text/html; charset=utf-8',
    headers: { 'content-security-policy': pageCsp(nonce), 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' },
  };
}
