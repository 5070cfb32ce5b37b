/**
 * Who is asking: the address rate limits, connection caps and the loopback-only pages key on.
 * Behind Caddy every request arrives from loopback, with the real client as the last entry of
 * X-Forwarded-For (Caddy appends the address it saw; entries further left come from the client
 * and can be forged). The header is believed only from a loopback peer: anyone else could send it.
 */
import { BlockList, isIP } from 'node:net';

export interface RequestLike {
  socket?: { remoteAddress?: string | undefined } | null;
  ip?: string;
  headers: Record<string, string | string[] | undefined>;
}

/** `::ffff:1.2.3.4` → `1.2.3.4`, so one client has one spelling. */
export function normalizeAddress(addr: string): string {
  return addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4 ? addr.slice(7) : addr;
}

export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = normalizeAddress(addr);
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

/** The client's IP address (the peer's, or the proxy's forwarded one when the peer is loopback). */
export function clientAddress(req: RequestLike): string {
  const peer = normalizeAddress(req.socket?.remoteAddress ?? req.ip ?? '');
  if (!isLoopback(peer)) return peer;
  const xff = req.headers['x-forwarded-for'];
  const raw = Array.isArray(xff) ? xff[xff.length - 1] : xff;
  if (!raw) return peer;
  const last = raw.slice(raw.lastIndexOf(',') + 1).trim();
  return last.length <= 45 && isIP(last) ? normalizeAddress(last) : peer;
}

/** Whether the request really comes from this machine (not merely through the local proxy). */
export function isLocalRequest(req: RequestLike): boolean {
  return isLoopback(clientAddress(req));
}

/** Loopback and private networks: where a reverse proxy sits (Caddy on this host or in a Docker network). */
const INTERNAL = new BlockList();
INTERNAL.addSubnet('127.0.0.0', 8, 'ipv4');
INTERNAL.addSubnet('10.0.0.0', 8, 'ipv4');
INTERNAL.addSubnet('172.16.0.0', 12, 'ipv4');
INTERNAL.addSubnet('192.168.0.0', 16, 'ipv4');
INTERNAL.addSubnet('169.254.0.0', 16, 'ipv4');
INTERNAL.addAddress('::1', 'ipv6');
INTERNAL.addSubnet('fc00::', 7, 'ipv6');
INTERNAL.addSubnet('fe80::', 10, 'ipv6');

/**
 * Whether an address is loopback or private: a proxy in front of wxcoze, whose connections carry
 * many clients at once (WeCom's among them). Per-client caps never apply to such an address.
 */
export function isInternalAddress(addr: string): boolean {
  let internal = internalMemo.get(addr);
  if (internal === undefined) {
    const a = normalizeAddress(addr);
    const family = isIP(a);
    internal = family === 4 ? INTERNAL.check(a, 'ipv4') : family === 6 ? INTERNAL.check(a, 'ipv6') : false;
    // Bounded: a client spraying addresses (IPv6 gives it plenty) only empties the memo now and then.
    if (internalMemo.size >= INTERNAL_MEMO_MAX) internalMemo.clear();
    internalMemo.set(addr, internal);
  }
  return internal;
}

/**
 * Every request asks this (client-limits.ts), and BlockList.check builds a native SocketAddress each
 * time: a few µs per callback. The answer for an address never changes, so it is remembered.
 */
const internalMemo = new Map<string, boolean>();
const INTERNAL_MEMO_MAX = 4096;
