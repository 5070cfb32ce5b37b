import type { FastifyInstance } from 'fastify';
import { hostname } from 'node:os';
import type { WxcozeConfig } from '../config/types.js';
import type { CozeClient } from '../coze/client.js';
import type { Logger } from '../log/logger.js';
import { ApiKeyring } from '../openai/auth.js';
import { ModelCatalog } from '../openai/models.js';
import { describeRedisUrl, openCoordinator, type Coordinator } from '../store/coordination/index.js';
// A type only: ioredis is loaded (by openCoordinator) only when a Redis URL is configured.
import type { RedisCoordinator } from '../store/coordination/redis.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { WecomCrypto } from '../wecom/crypto.js';
import { join } from 'node:path';
import { packageVersion } from '../cli/lib/paths.js';
import { ContactLinks } from '../ops/contact.js';
import { CustomerMedia } from '../ops/customer-media.js';
import { Health } from '../ops/health.js';
import { ConsoleWatch, createAlerts, type AlertEvaluator } from '../ops/alerts/index.js';
import type { AlertReaders } from '../ops/alerts/evaluator.js';
import { DailyMaintenance } from '../ops/maintenance/daily.js';
import { consoleUrl } from '../config/console-url.js';
import { maskWebhookUrl } from '../config/webhook-url.js';
import { WecomApi } from '../wecom/api.js';
import { registryMetrics, setInboxSource } from '../ops/metrics.js';
import { Readiness } from '../ops/readiness.js';
import { buildApp } from './app.js';
import { cozeClientFor } from './coze-client.js';
import { inThreadPipeline, startPipelineWorker, type PipelineHost } from './pipeline-host.js';

/**
 * Connections waiting to be accepted. Node's default (511) overflowed when 1,000 customers wrote at
 * once without a proxy in front: the kernel dropped the rest, their SYNs were retried after 1 s
 * and 3 s, and those callbacks were acknowledged seconds late (bench, the 3,000-callback burst;
 * `nstat TcpExtListenOverflows`). The kernel caps it at net.core.somaxconn (4096 on current kernels).
 */
const LISTEN_BACKLOG = 4096;
import { catchUnhandledRejections } from './unhandled-rejections.js';

export interface RunningServer {
  app: FastifyInstance;
  /** The message pipeline, in its worker thread (default) or on this one. */
  pipeline: PipelineHost;
  /** This thread's store handle (the pipeline's worker has its own): for reads, the CLI, the console. */
  store: Store;
  coordinator: Coordinator;
  url: string;
  /**
   * Settles if the pipeline's thread dies on its own. Callbacks are then refused with 503 (WeCom
   * retries them); the caller should exit non-zero so the service manager restarts wxcoze, whose
   * start takes up every unfinished message (`wxcoze start` does).
   */
  crashed: Promise<Error>;
  /** Graceful stop: new callbacks get 503, pulls stop, answers in flight finish or are released. */
  stop(drainMs?: number): Promise<void>;
}

/**
 * Wires config → store → pipeline (its own thread by default) → HTTP, and starts listening. The main
 * thread keeps the HTTP server (callback acks, the OpenAI API, /metrics) and a store handle of its own.
 */
export async function startServer(
  config: WxcozeConfig,
  logger: Logger,
  opts: {
    store?: Store;
    timeoutCheckIntervalMs?: number;
    testHooks?: boolean;
    /** Tests: the alerts' readers of the machine (disk, certificate) replaced. */
    alertReaders?: Partial<AlertReaders>;
  } = {},
): Promise<RunningServer> {
  const store =
    opts.store ??
    (await openStore({
      dataDir: config.dataDir,
      databaseUrl: config.store.databaseUrl,
      // The planner's statistics at start; hourly here only when no pipeline thread does it.
      plannerStats: config.pipeline.thread ? 'open' : 'hourly',
    }));
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
  // The OpenAI-compatible API's client; the pipeline has its own, in its thread.
  let coze: CozeClient;
  try {
    coze = cozeClientFor(config, coordinator, logger, (call, code) =>
      registryMetrics.count('coze_calls', [call, code]),
    );
  } catch (err) {
    await coordinator.close().catch(() => {});
    if (!opts.store) await store.close().catch(() => {});
    throw err;
  }
  const pipeline = config.pipeline.thread
    ? await startPipelineWorker(config, logger, { testHooks: opts.testHooks === true }).catch(
        async (err: Error) => {
          await store.close().catch(() => {});
          await coordinator.close().catch(() => {});
          throw err;
        },
      )
    : await inThreadPipeline({ config, store, coordinator, logger });
  let shuttingDown = false;
  // Why /readyz says no: starting (until the pipeline took up its work), stopping, or crashed.
  let notServing: string | undefined = 'wxcoze is starting: the pipeline has not taken up its work yet';
  const crashed = pipeline.crashed.then((err) => {
    // WeCom retries what is refused now; the next start pulls it and takes up unfinished messages.
    shuttingDown = true;
    notServing =
      'the message pipeline stopped unexpectedly: wxcoze must be restarted (systemd and Docker do it); see `wxcoze logs`';
    logger.fatal(
      { err: { message: err.message, stack: err.stack } },
      'the message pipeline stopped unexpectedly (a bug: please report it); callbacks are refused until wxcoze restarts',
    );
    return err;
  });
  // A worker thread keeps the process alive: a start that fails after it began must stop it.
  const abandon = async (err: unknown): Promise<never> => {
    await pipeline.stop(0).catch(() => {});
    throw err;
  };
  // The console's own WeCom client (contact links, the health page's token check, customers' media
  // in the thread); it shares the access-token cache with the pipeline's through the coordinator.
  const consoleWecom = new WecomApi({
    baseUrl: config.wecom.apiBase,
    ...(config.wecom.proxy ? { proxy: config.wecom.proxy } : {}),
    corpId: config.wecom.corpId,
    secret: config.wecom.secret,
    logger,
    tokenCache: coordinator.cache,
    coordinator,
    onCall: (api, errcode) => registryMetrics.count('wecom_calls', [api, errcode]),
  });
  let instanceId = config.pipeline.instanceId ?? '';
  const health = new Health({
    store,
    coordinator,
    config,
    wecom: consoleWecom,
    coze,
    version: packageVersion(),
    startedAt: Date.now(),
    instanceId: () => instanceId,
  });
  // Whether a console page is open on any instance (the handoff alert reads it).
  const consoleWatch = new ConsoleWatch(coordinator.cache);
  const crypto = new WecomCrypto(config.wecom.token, config.wecom.encodingAesKey, config.wecom.corpId);
  const app = await buildApp({
    logger,
    crypto,
    bodyLimit: config.server.bodyLimit,
    onKfEvent: (openKfId, token, reqId) => {
      pipeline.schedule(openKfId, token, reqId);
      health.noteCallback(openKfId);
    },
    isShuttingDown: () => shuttingDown,
    callbackMaxSkewS: config.server.callbackMaxSkewS,
    headersTimeoutMs: config.server.headersTimeoutMs,
    requestTimeoutMs: config.server.requestTimeoutMs,
    maxPendingPerClient: config.server.maxPendingPerClient,
    ...(config.server.metricsToken ? { metricsToken: config.server.metricsToken } : {}),
    readiness: new Readiness(
      { store, cache: coordinator, notServing: () => notServing },
      { timeoutMs: config.server.readyTimeoutMs },
    ),
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
    console: {
      store,
      coordinator,
      config,
      logger,
      kickPipeline: () => pipeline.kick(),
      consoleWatch,
      ops: {
        health,
        contact: new ContactLinks(consoleWecom),
        reloadSettings: () => pipeline.reloadSettings(),
        media: new CustomerMedia(consoleWecom, logger),
      },
    },
    ...(coordinator.kind === 'redis'
      ? { redis: { client: (coordinator as RedisCoordinator).redis, prefix: config.store.redisPrefix } }
      : {}),
  }).catch(abandon);
  await app
    .listen({ host: config.server.host, port: config.server.port, backlog: LISTEN_BACKLOG })
    .catch(async (err: unknown) => {
      await app.close().catch(() => {});
      return abandon(err);
    });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.server.port;
  const url = `http://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${port}`;
  // From here work runs in the background (pulls, workers): a rejection nobody caught is logged, not fatal.
  const releaseRejections = catchUnhandledRejections(logger);
  // Host and the port it listens on: stable across restarts, unique among instances running at once.
  instanceId = config.pipeline.instanceId ?? `${hostname()}:${port}`;
  // It may refuse to start (another live process under this instance id): then close everything.
  await pipeline.start(instanceId).catch(async (err: unknown) => {
    releaseRejections();
    await app.close().catch(() => {});
    return abandon(err);
  });
  // Alerts run on every instance; the store decides which one sends (src/ops/alerts/).
  const alerts: AlertEvaluator | undefined = createAlerts({
    config,
    store,
    logger,
    coze,
    consoleWatch,
    instanceId: () => instanceId,
    consoleUrl: consoleUrl({ ...config, server: { ...config.server, port } }),
    ...(opts.alertReaders ? { readers: opts.alertReaders } : {}),
  });
  alerts?.start();
  // /metrics reads the inbox's figures from this thread's store at scrape time.
  setInboxSource(store);
  notServing = undefined;
  // The daily retention erase and SQLite backup; the store lets one instance run each (src/ops/maintenance/).
  const daily = new DailyMaintenance({
    config: config.maintenance,
    store,
    logger,
    // A store handed in (tests) is not the data directory's file: nothing to copy.
    ...(store.kind === 'sqlite' && !opts.store ? { sqliteFile: join(config.dataDir, 'wxcoze.db') } : {}),
    owner: `${instanceId}:${process.pid}`,
  });
  daily.start();
  logger.info(
    {
      url,
      alerts: config.alerts.webhook ? maskWebhookUrl(config.alerts.webhook) : 'off',
      store: store.kind,
      cache: coordinator.kind,
      instanceId,
      pipeline: pipeline.thread === 'worker' ? 'worker thread' : 'main thread',
      coze: config.coze.apiBase,
      wecom: config.wecom.apiBase,
    },
    'wxcoze listening',
  );
  let stopping: Promise<void> | undefined;
  return {
    app,
    pipeline,
    store,
    coordinator,
    url,
    crashed,
    stop(drainMs = 10_000) {
      stopping ??= (async () => {
        shuttingDown = true;
        notServing = 'wxcoze is stopping: answers in flight finish, new work waits for the next start';
        setInboxSource(undefined);
        await alerts?.stop();
        await daily.stop();
        await pipeline.stop(drainMs);
        await app.close();
        await consoleWecom.close();
        await store.close();
        await coordinator.close();
        logger.info('wxcoze stopped');
        releaseRejections();
      })();
      return stopping;
    },
  };
}
