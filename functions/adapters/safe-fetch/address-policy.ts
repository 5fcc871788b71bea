/**
 * Where a server-side download may go. A URL is acceptable when its scheme, host (allow-list) and
 * every address the host resolves to pass; the connection is then pinned to those checked
 * addresses so DNS cannot change between the check and the connect (rebinding).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';
import { AppError } from '../../shared/errors.js';

export type AddressClass = 'public' | 'loopback' | 'private';

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

// Everything that is not the public internet: RFC 1918, CGNAT, link-local (cloud metadata lives at
// 169.254.169.254), ULA, multicast, documentation and benchmark ranges, translation prefixes whose
// embedded IPv4 we cannot vouch for. IPv4-mapped IPv6 (::ffff:a.b.c.d) is matched by BlockList
// against the IPv4 rules.
const nonPublic = new net.BlockList();
for (const [a, p] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  nonPublic.addSubnet(a, p, 'ipv4');
for (const [a, p] of [
  ['::', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  nonPublic.addSubnet(a, p, 'ipv6');

/** Classifies an IP address literal. Anything unparseable counts as private. */
export function classifyAddress(address: string): AddressClass {
  const a = stripBrackets(address);
  const family = net.isIP(a);
  if (family === 0) return 'private';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (loopback.check(a, type)) return 'loopback';
  if (nonPublic.check(a, type)) return 'private';
  return 'public';
}

const stripBrackets = (h: string) => (h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h);
const normalizeHost = (h: string) => stripBrackets(h.toLowerCase()).replace(/\.$/, '');

/**
 * Host allow-list match. A pattern is an exact host or contains `*`, which matches within one DNS
 * label (`downloadscdn*.freepik.com` matches `downloadscdn7.freepik.com`, not `a.b.freepik.com`).
 */
export function hostMatches(host: string, patterns: readonly string[]): boolean {
  const h = normalizeHost(host);
  return patterns.some((p) => {
    const pat = normalizeHost(p);
    if (!pat.includes('*')) return pat === h;
    const re = new RegExp(
      `^${pat
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[a-z0-9-]*')}$`,
    );
    return re.test(h);
  });
}

/** Where downloads may go. */
export interface AddressPolicy {
  /** Host patterns (see hostMatches) a download or redirect may reach. */
  allowedHosts: readonly string[];
  /**
   * Hosts that may be reached over plain http and on loopback addresses: the local emulator only
   * (e.g. `127.0.0.1`). Empty in every deployed stage.
   */
  localHttpHosts?: readonly string[];
}

/** Resolves a host name to all its addresses (injectable so tests can simulate DNS answers). */
export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;
export const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

export interface CheckedTarget {
  url: URL;
  host: string;
  /** The addresses the connection may use (already checked). */
  addresses: { address: string; family: number }[];
}

const refuse = (reason: string, url: URL | string, message: string) =>
  new AppError('unsafe_download', message, { detail: { reason, url: redact(url) } });

/** A URL without query or fragment (signed URLs carry tokens we should not log). */
export function redact(url: URL | string): string {
  try {
    const u = new URL(String(url));
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<unparseable>';
  }
}

/**
 * Checks scheme, allow-list and resolved addresses of `raw`; throws AppError('unsafe_download')
 * with detail.reason in: bad_url | scheme | credentials | host_not_allowed | private_address |
 * dns_failed.
 */
export async function checkTarget(
  raw: string | URL,
  policy: AddressPolicy,
  resolve: Resolver = systemResolver,
): Promise<CheckedTarget> {
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    throw refuse('bad_url', String(raw), 'The download URL is not valid');
  }
  const host = normalizeHost(url.hostname);
  const local = (policy.localHttpHosts ?? []).some((h) => normalizeHost(h) === host);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    throw refuse('scheme', url, `Downloads must use https (got ${url.protocol.replace(':', '')})`);
  }
  if (url.username || url.password) throw refuse('credentials', url, 'Download URLs must not carry credentials');
  if (!local && !hostMatches(host, policy.allowedHosts)) {
    throw refuse('host_not_allowed', url, `Host ${host} is not on the download allow-list`);
  }
  let addresses: { address: string; family: number }[];
  if (net.isIP(host)) {
    addresses = [{ address: host, family: net.isIP(host) }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (e) {
      throw new AppError('unsafe_download', `Could not resolve ${host}`, {
        detail: { reason: 'dns_failed', url: redact(url) },
        cause: e,
      });
    }
    if (addresses.length === 0) throw refuse('dns_failed', url, `Host ${host} has no addresses`);
  }
  for (const { address } of addresses) {
    const cls = classifyAddress(address);
    if (cls === 'public' || (cls === 'loopback' && local)) continue;
    throw refuse('private_address', url, `Host ${host} resolves to a non-public address (${address})`);
  }
  return { url, host, addresses };
}
