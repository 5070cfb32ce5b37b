import type { FastifyInstance } from 'fastify';
import { hostname } from 'node:os';
import type { WxcozeConfig } from '../config/types.js';
import { CozeClient } from '../coze/client.js';
import type { Logger } from '../log/logger.js';
import { ApiKeyring } from '../openai/auth.js';
import { ModelCatalog } from '../openai/models.js';
import { createBridge, type Bridge } from '../pipeline/bridge.js';
import { describeRedisUrl, openCoordinator, type Coordinator } from '../store/coordination/index.js';
import { RedisCoordinator } from '../store/coordination/redis.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { WecomApi } from '../wecom/api.js';
import { WecomCrypto } from '../wecom/crypto.js';
import { buildApp } from './app.js';
import { catchUnhandledRejections } from './unhandled-rejections.js';

export interface RunningServer {
  app: FastifyInstance;
  bridge: Bridge;
  store: Store;
  coordinator: Coordinator;
  url: string;
  /** Graceful stop: new callbacks get 503, pulls stop, answers in flight finish or are released. */
  stop(drainMs?: number): Promise<void>;
}

/** Wires config → store → clients → bridge → HTTP, and starts listening. */
export async function startServer(
  config: WxcozeConfig,
  logger: Logger,
  opts: { store?: Store; timeoutCheckIntervalMs?: number } = {},
): Promise<RunningServer> {
  const store =
    opts.store ?? (await openStore({ dataDir: config.dataDir, databaseUrl: config.store.databaseUrl }));
  const coordinator = await openCoordinator(config.store.redisUrl, config.store.redisPrefix);
  if (config.store.redisUrl)
    await coordinator
      .ping()
      .catch((err: Error) =>
        logger.warn(
          { redis: describeRedisUrl(config.store.redisUrl!), err: { message: err.message } },
          'Redis is not reachable yet; pulls wait for it (run `wxcoze doctor`)',
        ),
      );
  else if (store.kind !== 'sqlite')
    logger.warn(
      'WXCOZE_DATABASE_URL is set without WXCOZE_REDIS_URL: fine for one instance; set WXCOZE_REDIS_URL before running several',
    );
  const wecom = new WecomApi({
    baseUrl: config.wecom.apiBase,
    corpId: config.wecom.corpId,
    secret: config.wecom.secret,
    logger,
    tokenCache: coordinator.cache,
    coordinator,
  });
  const coze = new CozeClient({
    baseUrl: config.coze.apiBase,
    token: config.coze.apiToken,
    logger,
    timeoutMs: config.coze.timeoutMs,
  });
  const bridge = createBridge({ config, store, coordinator, wecom, coze, logger });
  let shuttingDown = false;
  const crypto = new WecomCrypto(config.wecom.token, config.wecom.encodingAesKey, config.wecom.corpId);
  const app = await buildApp({
    logger,
    crypto,
    bodyLimit: config.server.bodyLimit,
    onKfEvent: (openKfId, token, reqId) => bridge.puller.schedule(openKfId, token, reqId),
    isShuttingDown: () => shuttingDown,
    callbackMaxSkewS: config.server.callbackMaxSkewS,
    headersTimeoutMs: config.server.headersTimeoutMs,
    requestTimeoutMs: config.server.requestTimeoutMs,
    maxPendingPerClient: config.server.maxPendingPerClient,
    ...(config.server.metricsToken ? { metricsToken: config.server.metricsToken } : {}),
    ...(opts.timeoutCheckIntervalMs ? { timeoutCheckIntervalMs: opts.timeoutCheckIntervalMs } : {}),
    openai: {
      keyring: new ApiKeyring(config.openai.keys),
      catalog: ModelCatalog.fromConfig(config),
      bodyLimit: config.openai.bodyLimit,
      completions: {
        coze,
        store,
        tasks: config.openai.tasks,
        keepAliveMs: config.openai.keepAliveMs,
        imageMaxBytes: config.openai.bodyLimit,
        allowPrivateUrls: config.server.allowPrivateUrls,
      },
      rateLimit: config.openai.rateLimit,
      corsOrigins: config.openai.corsOrigins,
    },
    ...(coordinator instanceof RedisCoordinator
      ? { redis: { client: coordinator.redis, prefix: config.store.redisPrefix } }
      : {}),
  });
  await app.listen({ host: config.server.host, port: config.server.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.server.port;
  const url = `http://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${port}`;
  // From here work runs in the background (pulls, workers): a rejection nobody caught is logged, not fatal.
  const releaseRejections = catchUnhandledRejections(logger);
  // Host and the port it listens on: stable across restarts, unique among instances running at once.
  const instanceId = config.pipeline.instanceId ?? `${hostname()}:${port}`;
  try {
    await bridge.start(instanceId);
  } catch (err) {
    await bridge.stop(0).catch(() => {});
    await app.close().catch(() => {});
    await store.close().catch(() => {});
    await coordinator.close().catch(() => {});
    await wecom.close().catch(() => {});
    releaseRejections();
    throw err;
  }
  logger.info(
    {
      url,
      store: store.kind,
      cache: coordinator.kind,
      instanceId,
      coze: config.coze.apiBase,
      wecom: config.wecom.apiBase,
    },
    'wxcoze listening',
  );
  let stopping: Promise<void> | undefined;
  return {
    app,
    bridge,
    store,
    coordinator,
    url,
    stop(drainMs = 10_000) {
      stopping ??= (async () => {
        shuttingDown = true;
        await bridge.stop(drainMs);
        await app.close();
        await store.close();
        await coordinator.close();
        await wecom.close();
        logger.info('wxcoze stopped');
        releaseRejections();
      })();
      return stopping;
    },
  };
}
