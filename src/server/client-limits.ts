/**
 * Bounds on what one client can hold open. Timeouts (app.ts) end slow requests eventually; these
 * stop one address from opening hundreds meanwhile and exhausting file descriptors:
 *  - connections per remote address, counted at accept time;
 *  - slow requests per client address (X-Forwarded-For from a loopback proxy, client-address.ts):
 *    requests whose body is still not in after SLOW_MS. A burst of WeCom callbacks arrives in
 *    milliseconds and is never counted; neither are answers being streamed.
 * Neither applies to loopback or private addresses: those are proxies (Caddy on this host or in a
 * Docker network) carrying everyone's traffic, WeCom's included, and capping them would let one
 * attacker shut WeCom out.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import type { WarnLimiter } from '../log/warn-limiter.js';
import { countClientError } from '../ops/metrics.js';
import { clientAddress, isInternalAddress, normalizeAddress } from './client-address.js';

/** A request still without its whole body after this long counts as slow. */
export const SLOW_MS = 1000;

/** A counter per key that forgets keys at zero. */
class Tally {
  private readonly counts = new Map<string, number>();
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  add(key: string): void {
    this.counts.set(key, this.get(key) + 1);
  }
  remove(key: string): void {
    const left = this.get(key) - 1;
    if (left <= 0) this.counts.delete(key);
    else this.counts.set(key, left);
  }
}

export function limitConnectionsPerAddress(
  app: FastifyInstance,
  max: number,
  log: Logger,
  warns: WarnLimiter,
): void {
  const open = new Tally();
  app.server.on('connection', (socket: Socket) => {
    const addr = normalizeAddress(socket.remoteAddress ?? '');
    if (!addr || isInternalAddress(addr)) return;
    if (open.get(addr) >= max) {
      countClientError('too_many');
      warns.warn(
        log,
        'too_many_connections',
        { client: addr, max },
        'connection refused: this address already holds the most connections allowed (WXCOZE_MAX_PENDING_PER_CLIENT)',
      );
      socket.destroy();
      return;
    }
    open.add(addr);
    socket.once('close', () => open.remove(addr));
  });
}

export function limitSlowRequestsPerClient(app: FastifyInstance, max: number, warns: WarnLimiter): void {
  const slow = new Tally();
  const bodyIn = new WeakMap<FastifyRequest, () => void>();
  // Callback-style hooks (not async): they run for every request, callbacks included, and an async
  // hook costs a promise and a microtask turn each.
  app.addHook('onRequest', (req, reply, next) => {
    const client = clientAddress(req);
    if (!client || isInternalAddress(client)) return next();
    if (slow.get(client) >= max) {
      countClientError('too_many');
      warns.warn(
        req.log as unknown as Logger,
        'too_many_slow',
        { client, max },
        'request refused: this client already has the most slow requests allowed (WXCOZE_MAX_PENDING_PER_CLIENT)',
      );
      void reply
        .code(429)
        .header('retry-after', '5')
        .header('connection', 'close')
        .type('text/plain')
        .send('too many unfinished requests from this address; try again shortly\n');
      return;
    }
    let counted = false;
    const timer = setTimeout(() => {
      counted = true;
      slow.add(client);
    }, SLOW_MS);
    timer.unref();
    // Whatever ends first: the body is in (preHandler), or the request is over (answered, timed out, client gone).
    const done = () => {
      clearTimeout(timer);
      if (counted) {
        counted = false;
        slow.remove(client);
      }
    };
    req.raw.once('close', done);
    reply.raw.once('close', done);
    bodyIn.set(req, done);
    next();
  });
  app.addHook('preHandler', (req, _reply, next) => {
    bodyIn.get(req)?.();
    next();
  });
}
