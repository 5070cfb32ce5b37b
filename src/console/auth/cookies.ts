import type { FastifyReply, FastifyRequest } from 'fastify';

/** The few cookies the console uses, read and written here (no cookie plugin needed for three names). */
export function readCookies(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const header = req.headers.cookie;
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (name in out) continue; // the first one is the most specific path
    const raw = part.slice(eq + 1).trim();
    try {
      out[name] = decodeURIComponent(raw);
    } catch {
      out[name] = raw;
    }
  }
  return out;
}

/**
 * Secure only when the browser reached us over TLS: behind Caddy the server sees plain HTTP from
 * 127.0.0.1, and `request.protocol` then reads X-Forwarded-Proto — believed from loopback only
 * (fastify's trustProxy: 'loopback', src/server/app.ts).
 */
export function isHttps(req: FastifyRequest): boolean {
  return req.protocol === 'https';
}

export function setCookie(
  req: FastifyRequest,
  reply: FastifyReply,
  name: string,
  value: string,
  opts: { path: string; maxAgeS?: number; httpOnly?: boolean },
): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${opts.path}`, 'SameSite=Strict'];
  if (opts.httpOnly !== false) parts.push('HttpOnly');
  if (isHttps(req)) parts.push('Secure');
  if (opts.maxAgeS !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(opts.maxAgeS))}`);
  appendSetCookie(reply, parts.join('; '));
}

export function clearCookie(req: FastifyRequest, reply: FastifyReply, name: string, path: string): void {
  setCookie(req, reply, name, '', { path, maxAgeS: 0 });
}

export function appendSetCookie(reply: FastifyReply, cookie: string): void {
  const prev = reply.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev.map(String) : [String(prev)];
  reply.header('set-cookie', [...list, cookie]);
}
