import { describe, expect, test } from 'vitest';
import {
  checkTarget,
  classifyAddress,
  hostMatches,
  type Resolver,
} from '../../../functions/adapters/safe-fetch/address-policy.js';
import { FREEPIK_DOWNLOAD_HOSTS } from '../../../functions/adapters/safe-fetch/safe-fetch.js';
import { refusalReason } from '../../support/app-error.js';

describe('address classes', () => {
  test.each([
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'private'],
    ['100.64.0.1', 'private'],
    ['0.0.0.0', 'private'],
    ['224.0.0.1', 'private'],
    ['fd00::1', 'private'],
    ['fc00::1', 'private'],
    ['fe80::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'private'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:a00:1::1', 'private'],
    ['::', 'private'],
    ['not-an-ip', 'private'],
    ['8.8.8.8', 'public'],
    ['151.101.1.1', 'public'],
    ['172.32.0.1', 'public'],
    ['2606:4700::1111', 'public'],
  ])('%s is %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });
});

describe('host allow-list', () => {
  test('exact hosts and one-label wildcards', () => {
    const p = [...FREEPIK_DOWNLOAD_HOSTS];
    expect(hostMatches('img.freepik.com', p)).toBe(true);
    expect(hostMatches('IMG.FREEPIK.COM.', p)).toBe(true);
    expect(hostMatches('downloadscdn7.freepik.com', p)).toBe(true);
    expect(hostMatches('downloadscdn.freepik.com', p)).toBe(true);
    expect(hostMatches('ai-statics.freepik.com', p)).toBe(true);
    expect(hostMatches('evil.downloadscdn7.freepik.com', p)).toBe(false);
    expect(hostMatches('downloadscdn7.freepik.com.evil.io', p)).toBe(false);
    expect(hostMatches('imgxfreepik.com', p)).toBe(false);
    expect(hostMatches('www.freepik.com', p)).toBe(false);
  });
});

const fakeDns =
  (answers: Record<string, string[]>): Resolver =>
  async (host) => {
    const a = answers[host];
    if (!a) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
const policy = { allowedHosts: [...FREEPIK_DOWNLOAD_HOSTS] };
const refusal = (p: Promise<unknown>) => refusalReason(p, 'unsafe_download');

describe('checkTarget', () => {
  const dns = fakeDns({
    'img.freepik.com': ['151.101.2.2'],
    'downloadscdn7.freepik.com': ['10.1.2.3'],
    'downloadscdn8.freepik.com': ['151.101.2.3', '192.168.0.9'],
    'downloadscdn9.freepik.com': ['::ffff:169.254.169.254'],
    'ai-statics.freepik.com': ['127.0.0.1'],
    'emulator.test': ['127.0.0.1'],
  });
  test('a public allow-listed https host passes, with its checked addresses', async () => {
    const t = await checkTarget('https://img.freepik.com/a.jpg?token=x', policy, dns);
    expect(t.addresses).toEqual([{ address: '151.101.2.2', family: 4 }]);
  });
  /** Each URL is refused under `p`, for the reason given. */
  async function expectRefused(p: Parameters<typeof checkTarget>[1], cases: [url: string, reason: string][]) {
    for (const [url, reason] of cases) expect(await refusal(checkTarget(url, p, dns)), url).toBe(reason);
  }
  test('http, credentials and unlisted hosts are refused', async () => {
    await expectRefused(policy, [
      ['http://img.freepik.com/a.jpg', 'scheme'],
      ['ftp://img.freepik.com/a.jpg', 'scheme'],
      ['https://u:p@img.freepik.com/a.jpg', 'credentials'],
      ['https://example.com/a.jpg', 'host_not_allowed'],
      ['not a url', 'bad_url'],
    ]);
  });
  test('an allow-listed name resolving to a private, metadata or loopback address is refused (every address checked)', async () => {
    await expectRefused(policy, [
      ['https://downloadscdn7.freepik.com/a.jpg', 'private_address'],
      ['https://downloadscdn8.freepik.com/a.jpg', 'private_address'],
      ['https://downloadscdn9.freepik.com/a.jpg', 'private_address'],
      ['https://ai-statics.freepik.com/a.jpg', 'private_address'],
      ['https://downloadscdn1.freepik.com/a.jpg', 'dns_failed'],
    ]);
  });
  test('IP literals are checked even when someone allow-lists them', async () => {
    const wide = { allowedHosts: ['127.0.0.1', '10.0.0.1', '169.254.169.254', '[fd00::1]', '2130706433'] };
    await expectRefused(wide, [
      ['https://127.0.0.1/x', 'private_address'],
      ['https://10.0.0.1/x', 'private_address'],
      ['https://169.254.169.254/latest/meta-data/', 'private_address'],
      ['https://[fd00::1]/x', 'private_address'],
      // WHATWG URL parsing normalises the decimal form to 127.0.0.1 before we look at it.
      ['https://2130706433/x', 'private_address'],
    ]);
  });
  test('the local-http exception covers the configured local hosts only, and only loopback', async () => {
    const local = { allowedHosts: [...FREEPIK_DOWNLOAD_HOSTS], localHttpHosts: ['emulator.test', '127.0.0.1'] };
    await expect(checkTarget('http://emulator.test:4010/files/x', local, dns)).resolves.toBeTruthy();
    await expect(checkTarget('http://127.0.0.1:4010/files/x', local, dns)).resolves.toBeTruthy();
    await expectRefused(local, [
      ['http://127.0.0.2:4010/files/x', 'scheme'],
      ['http://img.freepik.com/a.jpg', 'scheme'],
      ['https://ai-statics.freepik.com/a.jpg', 'private_address'],
    ]);
    await expectRefused({ ...local, allowedHosts: ['127.0.0.2'] }, [['https://127.0.0.2/x', 'private_address']]);
  });
});
