/**
 * Signed, expiring file URLs, like the CDN links Freepik's download and Mystic answers carry. The
 * token holds what to draw (theme and size) and when it expires, under an HMAC keyed per emulator
 * run, so a file needs no stored state and a forged or expired link is refused with 403.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { type Fault, imagePayload } from './faults.js';
import type { Reply } from './replies.js';

interface FileToken {
  t: string;
  w: number;
  h: number;
  f: 'jpeg' | 'png';
  e: number;
}

export interface SignedFiles {
  /** A URL on this server for an image of the theme at width x height. */
  url(theme: string, width: number, height: number, format?: 'jpeg' | 'png'): string;
  /** GET /files/{token}: the image, or 403 when the token is forged or expired. */
  serve(token: string, fault: Fault | undefined): Promise<Reply>;
}

export function createSignedFiles(opts: { ttlMs: number; baseUrl: () => string }): SignedFiles {
  const signingKey = randomUUID();
  const sign = (payload: string) => createHmac('sha256', signingKey).update(payload).digest('base64url').slice(0, 22);

  function read(token: string): FileToken | 'expired' | undefined {
    const [payload, mac] = token.split('.');
    if (!payload || !mac) return undefined;
    const expected = Buffer.from(sign(payload));
    const got = Buffer.from(mac);
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) return undefined;
    const data = JSON.parse(Buffer.from(payload, 'base64url').toString());
    return Date.now() > data.e ? 'expired' : data;
  }

  return {
    url(theme, width, height, format = 'jpeg') {
      const token: FileToken = { t: theme, w: width, h: height, f: format, e: Date.now() + opts.ttlMs };
      const payload = Buffer.from(JSON.stringify(token)).toString('base64url');
      return `${opts.baseUrl()}/files/${payload}.${sign(payload)}`;
    },
    async serve(token, fault): Promise<Reply> {
      const data = read(token);
      if (data === 'expired') {
        return { status: 403, raw: 'Forbidden: link expired', headers: { 'content-type': 'text/plain' } };
      }
      if (!data) return { status: 403, raw: 'Forbidden', headers: { 'content-type': 'text/plain' } };
      const bytes = await imagePayload(data.t, data.w, data.h, fault);
      return {
        status: 200,
        raw: bytes,
        headers: { 'content-type': 'image/jpeg', 'cache-control': 'private, max-age=3600' },
      };
    },
  };
}
