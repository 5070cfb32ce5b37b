import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
} from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import { WarnLimiter } from '../log/warn-limiter.js';
import { countCallback, countClientError } from '../ops/metrics.js';
import type { WecomCrypto } from '../wecom/crypto.js';
import { apiRateLimits, type ApiRateLimitSettings } from './api-rate-limits.js';
import { normalizeAddress } from './client-address.js';
import { limitConnectionsPerAddress, limitSlowRequestsPerClient } from './client-limits.js';
import { metricsRoutes } from './routes/metrics.js';
import { openAiRoutes, type OpenAiRouteOptions } from './routes/openai.js';
import { requestLogger } from './request-logger.js';
import { pingRoutes } from './routes/ping.js';
import { healthRoutes } from './routes/health.js';
import { Readiness } from '../ops/readiness.js';
import { wechatHookRoutes } from './routes/wechat-hook.js';
import { consolePlugin } from '../console/plugin.js';
import type { ConsoleDeps } from '../console/types.js';

export interface AppDeps {
  logger: Logger;
  crypto: WecomCrypto;
  bodyLimit: number;
  onKfEvent: (openKfId: string, token: string, reqId: string) => void;
  isShuttingDown: () => boolean;
  /** Callbacks signed further than this from our clock are refused, s. */
  callbackMaxSkewS: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxPendingPerClient: number;
  metricsToken?: string;
  /** /readyz's checks (src/ops/readiness.ts); absent (tests of the HTTP layer): ready unless shutting down. */
  readiness?: Pick<Readiness, 'check'>;
  /** For tests: how often Node checks the timeouts above (default 30 s, so a timeout may take that much longer). */
  timeoutCheckIntervalMs?: number;
  /** The OpenAI-compatible API (always mounted: with no key it answers 403 saying how to turn it on). */
  openai?: Omit<OpenAiRouteOptions, 'notFound' | 'limits' | 'corsOrigins'> & {
    rateLimit: ApiRateLimitSettings;
    corsOrigins: string[];
  };
  /** The operator console (src/console/), mounted at config.console.path. */
  console?: ConsoleDeps;
  /** Shared Redis (several instances): the API's rate-limit counters live there. */
  redis?: { client: Redis; prefix: string };
}

/** A dependency that always answers (the HTTP layer built without a store, in tests). */
const NOTHING = { kind: 'none', ping: () => Promise.resolve() };

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
    // req.log becomes pino's child (with reqId) only when a line is written: most callbacks write none.
    childLoggerFactory: requestLogger,
    return503OnClosing: true,
    // Stop is already drained by then (answers finished or released): idle keep-alive sockets of
    // clients (Open-WebUI, WeCom) must not hold the exit for their keep-alive time.
    forceCloseConnections: true,
    // Behind Caddy every client is loopback: request.ip is then X-Forwarded-For's client, but only
    // when the peer itself is loopback (anyone else could write that header).
    trustProxy: 'loopback',
    // Slow or withheld headers and bodies are cut off (fastify and Node leave them open forever by
    // default). No idle-socket timeout: a non-streamed OpenAI answer may be silent for minutes.
    requestTimeout: deps.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(deps.headersTimeoutMs, deps.requestTimeoutMs),
      ...(deps.timeoutCheckIntervalMs ? { connectionsCheckingInterval: deps.timeoutCheckIntervalMs } : {}),
    },
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => onClientError(err, socket),
  });
  // Anyone on the internet can trigger these lines: bounded and rate-limited per reason.
  const warns = new WarnLimiter();
  const log = deps.logger;
  const notServing = () =>
    deps.isShuttingDown()
      ? 'wxcoze is stopping (or its pipeline stopped): wait for it to start again'
      : undefined;
  function onClientError(err: Error & { code?: string }, socket: Socket) {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    countClientError(timedOut ? 'timeout' : 'bad_request');
    const client = normalizeAddress(socket.remoteAddress ?? '');
    if (timedOut)
      warns.warn(
        log,
        'request_timeout',
        { client },
        `connection closed: the request did not arrive within ${deps.requestTimeoutMs} ms (WXCOZE_REQUEST_TIMEOUT_MS) or its headers within ${deps.headersTimeoutMs} ms`,
      );
    else
      warns.warn(
        log,
        'bad_http',
        { client, code: String(err.code ?? '').slice(0, 40) },
        'connection closed: not valid HTTP',
      );
    const [status, text] = timedOut
      ? ['408', 'Request Timeout']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? ['431', 'Request Header Fields Too Large']
        : ['400', 'Bad Request'];
    if (socket.writable)
      socket.write(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    socket.destroy();
  }
  limitConnectionsPerAddress(app, deps.maxPendingPerClient, log, warns);
  limitSlowRequestsPerClient(app, deps.maxPendingPerClient, warns);
  // Validation failures are the client's fault: a short 400, never a 5xx. Their text can quote
  // what the client sent (a content type, a header), so it is cut short in the body and the log.
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    const reason = String(err.message).slice(0, 120);
    if (status >= 500) req.log.error({ err }, 'request failed');
    else
      warns.warn(
        req.log as unknown as Logger,
        `http_${status}`,
        { status, detail: reason, url: req.url.split('?')[0]!.slice(0, 60) },
        'request rejected',
      );
    if (req.url.startsWith('/wechat/hook')) countCallback(status === 503 ? 'shutting_down' : 'malformed');
    // `void`: a reply is thenable, but send() has nothing to wait for here (fastify sends it).
    void reply
      .code(status)
      .type('text/plain')
      .send(status >= 500 ? 'internal error' : reason);
  });
  await app.register(pingRoutes);
  await app.register(healthRoutes, {
    readiness: deps.readiness ?? new Readiness({ store: NOTHING, cache: NOTHING, notServing }),
    ...(deps.metricsToken ? { token: deps.metricsToken } : {}),
  });
  await app.register(metricsRoutes, deps.metricsToken ? { token: deps.metricsToken } : {});
  await app.register(wechatHookRoutes, {
    crypto: deps.crypto,
    onKfEvent: deps.onKfEvent,
    isShuttingDown: deps.isShuttingDown,
    maxSkewS: deps.callbackMaxSkewS,
    warns,
  });
  if (deps.console) {
    const base = deps.console.config.console.path;
    await app.register(consolePlugin, { ...deps.console, base, prefix: base });
  }
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
