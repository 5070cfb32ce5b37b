import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../log/logger.js';
import type { WecomCrypto } from '../wecom/crypto.js';
import { apiRateLimits, type ApiRateLimitSettings } from './api-rate-limits.js';
import { openAiRoutes, type OpenAiRouteOptions } from './routes/openai.js';
import { pingRoutes } from './routes/ping.js';
import { wechatHookRoutes } from './routes/wechat-hook.js';

export interface AppDeps {
  logger: Logger;
  crypto: WecomCrypto;
  bodyLimit: number;
  onKfEvent: (openKfId: string, token: string, reqId: string) => void;
  isShuttingDown: () => boolean;
  /** The OpenAI-compatible API (always mounted: with no key it answers 403 saying how to turn it on). */
  openai?: Omit<OpenAiRouteOptions, 'notFound' | 'limits' | 'corsOrigins'> & { rateLimit: ApiRateLimitSettings; corsOrigins: string[] };
  /** Shared Redis (several instances): the API's rate-limit counters live there. */
  redis?: { client: Redis; prefix: string };
}

const reqIdPrefix = randomBytes(3).toString('hex') + '-';
let reqCounter = 0;

/** The HTTP surface. Routes stay thin: validate, hand to the domain, shape the reply. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit,
    // A random prefix per process and a counter: unique across instances, no entropy per request.
    genReqId: () => `${reqIdPrefix}${(reqCounter++).toString(36)}`,
    // One line per callback is written by the route itself (with the outcome); fastify's own
    // per-request lines would double the volume on the hot path.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Stop is already drained by then (answers finished or released): idle keep-alive sockets of
    // clients (Open-WebUI, WeCom) must not hold the exit for their keep-alive time.
    forceCloseConnections: true,
    // Behind Caddy every client is loopback: request.ip is then X-Forwarded-For's client, but only
    // when the peer itself is loopback (anyone else could write that header).
    trustProxy: 'loopback',
  });
  // Validation failures are the client's fault: a short 400, never a 5xx.
  app.setErrorHandler((err: any, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.warn({ status, reason: err.message }, 'request rejected');
    // `void`: a reply is thenable, but send() has nothing to wait for here (fastify sends it).
    void reply.code(status).type('text/plain').send(status >= 500 ? 'internal error' : err.message);
  });
  await app.register(pingRoutes);
  await app.register(wechatHookRoutes, { crypto: deps.crypto, onKfEvent: deps.onKfEvent, isShuttingDown: deps.isShuttingDown });
  if (deps.openai) {
    const { rateLimit, corsOrigins, ...routeOpts } = deps.openai;
    // One scope for both mounts, so /v1/x and /x count against the same limits; /wechat/hook is outside it.
    await app.register(async (api) => {
      const limits = await apiRateLimits(api, rateLimit, deps.redis);
      await api.register(openAiRoutes, { ...routeOpts, limits, corsOrigins, notFound: true, prefix: '/v1' });
      // Also without /v1, for clients whose base URL was entered without it (no CORS there: browsers use /v1).
      await api.register(openAiRoutes, { ...routeOpts, limits, prefix: '' });
    });
  }
  return app;
}
