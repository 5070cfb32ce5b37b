import { BlockList, isIP } from 'node:net';
import { Agent, buildConnector, interceptors, type Dispatcher } from 'undici';

/**
 * Addresses a URL chosen by someone else (a Coze answer's image, an OpenAI request's image_url)
 * must never make wxcoze reach: loopback, private networks, link-local (cloud metadata at
 * 169.254.169.254), carrier-grade NAT, multicast and reserved ranges.
 */
const blocked = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) blocked.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    return mapped ? blocked.check(mapped[1]!, 'ipv4') : blocked.check(address, 'ipv6');
  }
  return true;
}

const baseConnect = buildConnector({ timeout: 10_000 });

/**
 * Connects, then checks the address actually connected to: one check covers DNS names, IP
 * literals, redirects and DNS rebinding alike.
 */
const publicOnlyConnect: buildConnector.connector = (opts, cb) => {
  baseConnect(opts, (err, socket) => {
    if (err || !socket) return cb(err ?? new Error('no socket'), null);
    const address = socket.remoteAddress ?? '';
    if (isPrivateAddress(address)) {
      socket.destroy();
      return cb(Object.assign(new Error(`${opts.hostname} is at ${address || 'an unknown address'}, a private or reserved address: not fetched`), { code: 'EPRIVATEADDRESS' }), null);
    }
    cb(null, socket);
  });
};

let publicAgent: Dispatcher | undefined;
let anyAgent: Dispatcher | undefined;

/**
 * The agent for fetching URLs someone else chose: public addresses only, unless `allowPrivate`
 * (WXCOZE_ALLOW_PRIVATE_URLS=1, for an intranet image host or tests). Follows up to 3 redirects;
 * every hop connects through the same check.
 */
export function outsideUrlAgent(allowPrivate: boolean): Dispatcher {
  if (allowPrivate) return (anyAgent ??= new Agent({ connect: { timeout: 10_000 } }).compose(interceptors.redirect({ maxRedirections: 3 })));
  return (publicAgent ??= new Agent({ connect: publicOnlyConnect }).compose(interceptors.redirect({ maxRedirections: 3 })));
}
