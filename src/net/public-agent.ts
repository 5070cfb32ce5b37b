import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { buildConnector, Dispatcher } from 'undici';
import { undici } from './undici.js';

/**
 * Addresses a URL chosen by someone else (a Coze answer's image, an OpenAI request's image_url)
 * must never make wxcoze reach. ipaddr.js classifies every range of IANA's IPv4 and IPv6
 * special-purpose registries (loopback, private, link-local with cloud metadata at 169.254.169.254,
 * carrier-grade NAT, documentation 192.0.2/24 198.51.100/24 203.0.113/24 2001:db8::/32 3fff::/20,
 * benchmarking 198.18/15 2001:2::/48, 192.0.0/24, 240/4, broadcast, multicast, 100::/64, fc00::/7,
 * fe80::/10, 2001::/23, 5f00::/16, …): only what it calls plain `unicast` is public.
 * IPv6 must also be global unicast (2000::/3). Addresses that embed an IPv4 address
 * (6to4 2002::/16, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, Teredo) are refused outright, since
 * they reach an IPv4 host through a translator; an IPv4-mapped address is judged by its IPv4 part.
 */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3') as [ipaddr.IPv6, number];

export function isPrivateAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress())
    ip = (ip as ipaddr.IPv6).toIPv4Address();
  if (ip.range() !== 'unicast') return true;
  return ip.kind() === 'ipv6' && !(ip as ipaddr.IPv6).match(GLOBAL_UNICAST_V6);
}

export class PrivateAddressError extends Error {
  readonly code = 'EPRIVATEADDRESS';
}

/**
 * Before connecting: a DNS answer's private addresses are dropped, and a name that resolves only
 * to such addresses fails without any connection attempt.
 */
const publicOnlyLookup = ((
  hostname: string,
  options: { all?: boolean; family?: number },
  cb: (err: Error | null, address?: string | LookupAddress[], family?: number) => void,
) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return cb(err);
    const ok = addresses.filter((a) => !isPrivateAddress(a.address));
    if (ok.length === 0)
      return cb(
        new PrivateAddressError(
          `${hostname} resolves only to private or reserved addresses (${addresses.map((a) => a.address).join(', ')}): not fetched`,
        ),
      );
    if (options.all) return cb(null, ok);
    cb(null, ok[0]!.address, ok[0]!.family);
  });
}) as unknown as LookupFunction;

/**
 * After connecting: the address actually connected to is checked again (an IP literal skips the
 * lookup above, and this also covers whatever resolver path Node took).
 */
const publicOnlyConnect =
  (baseConnect: buildConnector.connector): buildConnector.connector =>
  (opts, cb) => {
    baseConnect(opts, (err, socket) => {
      if (err || !socket) return cb(err ?? new Error('no socket'), null);
      const address = socket.remoteAddress ?? '';
      if (isPrivateAddress(address)) {
        socket.destroy();
        return cb(
          new PrivateAddressError(
            `${opts.hostname} is at ${address || 'an unknown address'}, a private or reserved address: not fetched`,
          ),
          null,
        );
      }
      cb(null, socket);
    });
  };

let publicAgent: Promise<Dispatcher> | undefined;
let anyAgent: Promise<Dispatcher> | undefined;

/**
 * The agent for fetching URLs someone else chose: public addresses only, unless `allowPrivate`
 * (WXCOZE_ALLOW_PRIVATE_URLS=1, for an intranet image host or tests). It follows no redirects:
 * `fetchOutsideUrl` does, hop by hop, each hop through this same check.
 */
export function outsideUrlAgent(allowPrivate: boolean): Promise<Dispatcher> {
  if (allowPrivate)
    return (anyAgent ??= undici().then(({ Agent }) => new Agent({ connect: { timeout: 10_000 } })));
  return (publicAgent ??= undici().then(({ Agent, buildConnector }) => {
    // undici spreads these options into net/tls.connect, so `lookup` is the one Node uses.
    const base = buildConnector({ timeout: 10_000, lookup: publicOnlyLookup } as buildConnector.BuildOptions);
    return new Agent({ connect: publicOnlyConnect(base) });
  }));
}
