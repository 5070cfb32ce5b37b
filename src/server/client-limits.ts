/**
 * Bounds on what one client can hold open. Timeouts (app.ts) end slow requests eventually; these
 * stop one address from opening hundreds meanwhile and exhausting file descriptors:
 *  - connections per remote address, counted at accept time, never for loopback peers (Caddy,
 *    a local Open-WebUI: their clients are counted per request below);
 *  - requests still arriving (headers in, body not yet) per client address (X-Forwarded-For from
 *    a loopback proxy, see client-address.ts). A request leaves the count once its body is in, so
 *    long streamed answers never count, and WeCom's callbacks arrive in milliseconds.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import type { WarnLimiter } from '../log/warn-limiter.js';
import { countClientError } from '../ops/metrics.js';
import { clientAddress, isLoopback, normalizeAddress } from './client-address.js';

export function limitConnectionsPerAddress(app: FastifyInstance, max: number, log: Logger, warns: WarnLimiter): void {
  const open = new Map<string, number>();
  app.server.on('connection', (socket: Socket) => {
    const addr = normalizeAddress(socket.remoteAddress ?? '');
    if (!addr || isLoopback(addr)) return;
    const n = (open.get(addr) ?? 0) + 1;
    if (n > max) {
      countClientError('too_many');
      warns.warn(log, 'too_many_connections', { client: addr, max }, 'connection refused: this address already holds the most connections allowed (WXCOZE_MAX_PENDING_PER_CLIENT)');
      socket.destroy();
      return;
    }
    open.set(addr, n);
    socket.once('close', () => {
      const left = (open.get(addr) ?? 1) - 1;
      if (left <= 0) open.delete(addr);
      else open.set(addr, left);
    });
  });
}

export function limitPendingRequestsPerClient(app: FastifyInstance, max: number, warns: WarnLimiter): void {
  const pending = new Map<string, number>();
  const counted = new WeakMap<FastifyRequest, string>();
  const release = (req: FastifyRequest) => {
    const client = counted.get(req);
    if (client === undefined) return;
    counted.delete(req);
    const left = (pending.get(client) ?? 1) - 1;
    if (left <= 0) pending.delete(client);
    else pending.set(client, left);
  };
  app.addHook('onRequest', async (req, reply) => {
    const client = clientAddress(req);
    const n = (pending.get(client) ?? 0) + 1;
    if (n > max) {
      countClientError('too_many');
      warns.warn(req.log as unknown as Logger, 'too_many_pending', { client, max }, 'request refused: this client already has the most requests still arriving (WXCOZE_MAX_PENDING_PER_CLIENT)');
      return reply.code(429).header('retry-after', '5').header('connection', 'close').type('text/plain').send('too many requests still arriving from this address; try again shortly\n');
    }
    pending.set(client, n);
    counted.set(req, client);
    // Whatever ends first: the body is in, or the request is over (timed out, refused, client gone).
    req.raw.once('close', () => release(req));
  });
  app.addHook('preHandler', async (req) => release(req));
  app.addHook('onResponse', async (req) => release(req));
}
