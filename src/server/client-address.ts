/**
 * Who is asking: the address rate limits, connection caps and the loopback-only pages key on.
 * Behind Caddy every request arrives from loopback, with the real client as the last entry of
 * X-Forwarded-For (Caddy appends the address it saw; entries further left come from the client
 * and can be forged). The header is believed only from a loopback peer: anyone else could send it.
 */
import { isIP } from 'node:net';

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
