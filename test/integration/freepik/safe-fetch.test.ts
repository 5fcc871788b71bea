/**
 * Safe downloads against a real local HTTP server: SSRF redirects and DNS answers, byte caps,
 * magic bytes and pixel bombs are each refused; the server log proves refused targets were never
 * contacted.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import sharp from 'sharp';
import { NON_IMAGE_BYTES, pixelBombPng } from '../../../local/emulators/freepik/images.js';
import type { Resolver } from '../../../functions/adapters/safe-fetch/address-policy.js';
import {
  fetchImage,
  safeFetch,
  type DownloadPolicy,
  type HopReport,
} from '../../../functions/adapters/safe-fetch/safe-fetch.js';
import { refusalReason } from '../../support/app-error.js';

let server: http.Server;
let port: number;
let hits: string[] = [];
let jpeg: Buffer;

beforeAll(async () => {
  jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#2255aa' } })
    .jpeg()
    .toBuffer();
  server = http.createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    hits.push(u.pathname);
    switch (u.pathname) {
      case '/img.jpg':
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        return res.end(jpeg);
      case '/redirect':
        res.writeHead(302, { location: u.searchParams.get('to')! });
        return res.end();
      case '/loop':
        res.writeHead(301, { location: '/loop' });
        return res.end();
      case '/html':
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        return res.end(NON_IMAGE_BYTES);
      case '/bomb':
        res.writeHead(200, { 'content-type': 'image/png' });
        return res.end(pixelBombPng());
      case '/big-declared':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(50_000_000) });
        return res.end();
      case '/big-stream': {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        let sent = 0;
        const chunk = Buffer.alloc(64 * 1024, 0xff);
        const pump = () => {
          while (sent < 50_000_000 && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      case '/hang':
        return; // never answers
      case '/gone':
        res.writeHead(410);
        return res.end();
      default:
        res.writeHead(404);
        return res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  hits = [];
});

// `cdn.test` is our local server (loopback allowed for it: the configured local host).
const dns: Resolver = async (host) => {
  const table: Record<string, string[]> = {
    'cdn.test': ['127.0.0.1'],
    'downloadscdn7.freepik.com': ['10.1.2.3'],
    'img.freepik.com': ['151.101.2.2', 'fd00::5'],
  };
  if (!table[host]) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return table[host].map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
const policy = (over: Partial<DownloadPolicy> = {}): DownloadPolicy => ({
  allowedHosts: ['img.freepik.com', 'downloadscdn*.freepik.com'],
  localHttpHosts: ['cdn.test'],
  maxBytes: 1_000_000,
  maxRedirects: 3,
  timeoutMs: 2_000,
  maxPixels: 40_000_000,
  ...over,
});
const base = () => `http://cdn.test:${port}`;

const refused = (p: Promise<unknown>, code = 'unsafe_download') => refusalReason(p, code);

describe('allowed downloads', () => {
  test('a JPEG: bytes, type from magic bytes, dimensions, sha256; one hop reported', async () => {
    const hops: HopReport[] = [];
    const img = await fetchImage(`${base()}/img.jpg?token=secret`, policy(), {
      resolve: dns,
      onHop: (h) => {
        hops.push(h);
      },
    });
    expect(img).toMatchObject({ contentType: 'image/jpeg', width: 64, height: 48 });
    expect(img.bytes.equals(jpeg)).toBe(true);
    expect(hops).toMatchObject([{ statusCode: 200, outcome: 'success', hop: 0 }]);
    expect(hops[0].url).not.toContain('secret');
  });
  test('a redirect inside the allow-list is followed, each hop reported', async () => {
    const hops: HopReport[] = [];
    const img = await fetchImage(`${base()}/redirect?to=${encodeURIComponent(`${base()}/img.jpg`)}`, policy(), {
      resolve: dns,
      onHop: (h) => {
        hops.push(h);
      },
    });
    expect(img.width).toBe(64);
    expect(hops.map((h) => h.statusCode)).toEqual([302, 200]);
    expect(hits).toEqual(['/redirect', '/img.jpg']);
  });
});

describe('SSRF', () => {
  test.each([
    ['loopback by IP (same server, would have answered)', () => `http://127.0.0.1:${port}/img.jpg`, 'scheme'],
    ['loopback over https', () => `https://127.0.0.1:${port}/img.jpg`, 'host_not_allowed'],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/', 'scheme'],
    ['private 10.x', () => 'https://10.0.0.8/x.jpg', 'host_not_allowed'],
    ['allow-listed name resolving to 10.x', () => 'https://downloadscdn7.freepik.com/x.jpg', 'private_address'],
    [
      'allow-listed name with one ULA address among public ones',
      () => 'https://img.freepik.com/x.jpg',
      'private_address',
    ],
  ])('redirect to %s is refused before any connection', async (_n, target, reason) => {
    const r = await refused(
      safeFetch(`${base()}/redirect?to=${encodeURIComponent(target())}`, policy(), { resolve: dns }),
    );
    expect(r).toBe(reason);
    expect(hits).toEqual(['/redirect']);
  });

  test('private targets stay refused even when someone allow-lists their IPs', async () => {
    const wide = policy({ allowedHosts: ['127.0.0.1', '169.254.169.254', '10.0.0.8'] });
    for (const t of [
      `https://127.0.0.1:${port}/img.jpg`,
      'https://169.254.169.254/latest/meta-data/',
      'https://10.0.0.8/x',
    ]) {
      expect(await refused(safeFetch(`${base()}/redirect?to=${encodeURIComponent(t)}`, wide, { resolve: dns }))).toBe(
        'private_address',
      );
    }
    expect(hits).toEqual(['/redirect', '/redirect', '/redirect']);
  });

  test('a real DNS name resolving to loopback (localhost) is refused unless it is the configured local host', async () => {
    expect(await refused(safeFetch(`https://localhost:${port}/img.jpg`, policy({ allowedHosts: ['localhost'] })))).toBe(
      'private_address',
    );
    expect(hits).toEqual([]);
  });

  test('redirect loops stop at maxRedirects', async () => {
    expect(await refused(safeFetch(`${base()}/loop`, policy({ maxRedirects: 2 }), { resolve: dns }))).toBe(
      'too_many_redirects',
    );
    expect(hits).toEqual(['/loop', '/loop', '/loop']);
  });
});

describe('content checks', () => {
  test('byte cap: declared length refused up front; undeclared stream cut at the cap', async () => {
    expect(await refused(safeFetch(`${base()}/big-declared`, policy(), { resolve: dns }))).toBe('too_large');
    const hops: HopReport[] = [];
    expect(
      await refused(
        safeFetch(`${base()}/big-stream`, policy(), {
          resolve: dns,
          onHop: (h) => {
            hops.push(h);
          },
        }),
      ),
    ).toBe('too_large');
    expect(hops).toMatchObject([{ statusCode: 200, outcome: 'error', errorCode: 'too_large' }]);
  });
  test('HTML under an image content type is refused by magic bytes', async () => {
    expect(await refused(fetchImage(`${base()}/html`, policy(), { resolve: dns }), 'invalid_image')).toBe('not_image');
  });
  test('a pixel bomb is refused by the pixel limit', async () => {
    expect(await refused(fetchImage(`${base()}/bomb`, policy(), { resolve: dns }), 'invalid_image')).toBe(
      'pixel_limit',
    );
  });
  test('a host that never answers fails at the download deadline (retryable)', async () => {
    const e = await safeFetch(`${base()}/hang`, policy({ timeoutMs: 200 }), { resolve: dns }).catch((x) => x);
    expect(e).toMatchObject({ code: 'upstream_unavailable', retryable: true, detail: { reason: 'timeout' } });
  });
  test('4xx from the file host is a permanent refusal (e.g. an expired link)', async () => {
    await expect(safeFetch(`${base()}/gone`, policy(), { resolve: dns })).rejects.toMatchObject({
      code: 'upstream_rejected',
      retryable: false,
      detail: { status: 410 },
    });
  });
});
