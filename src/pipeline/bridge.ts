import { hostname } from 'node:os';
import { createHash, randomBytes } from 'node:crypto';
import type { WxcozeConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Coordinator } from '../store/coordination/types.js';
import type { Store } from '../store/types.js';
import { Dispatcher, type DispatcherOptions } from './dispatcher.js';
import { chatTargetOf, type CozePort, type WecomPort } from './ports.js';
import { processMessage } from './process-message.js';
import { KfAccountGate, type AccountLister } from './kf-accounts.js';
import { Puller } from './puller.js';

export interface Bridge {
  puller: Puller;
  dispatcher: Dispatcher;
  owner: string;
  start(): Promise<void>;
  stop(drainMs: number): Promise<void>;
}

/**
 * What the bridge reports for /metrics. The composition root decides where it goes (the registry
 * in src/ops/metrics.ts, or a message to the main thread): the pipeline never imports prom-client.
 */
export interface PipelineEvents {
  processed(result: 'done' | 'error'): void;
}

/** The message path below the HTTP layer: puller → inbox → dispatcher → Coze → reply. */
export function createBridge(deps: {
  config: WxcozeConfig;
  store: Store;
  coordinator: Coordinator;
  wecom: WecomPort & AccountLister;
  coze: CozePort;
  logger: Logger;
  events?: PipelineEvents;
}): Bridge {
  const { config, store, logger } = deps;
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const { retryBaseMs } = config.pipeline;
  const target = chatTargetOf(config.coze);
  const dispatcherOptions: DispatcherOptions = {
    store,
    owner,
    concurrency: config.pipeline.concurrency,
    leaseMs: config.pipeline.leaseMs,
    logger,
    process: (item, log, signal) =>
      processMessage(
        item,
        {
          store,
          wecom: deps.wecom,
          coze: deps.coze,
          defaultTarget: target,
          service: config.service,
          owner,
          allowPrivateUrls: config.server.allowPrivateUrls,
          maxAttempts: config.coze.maxAttempts,
          maxClaims: 5,
          retryBaseMs,
          maxParts: config.pipeline.maxParts,
          apologyText: config.pipeline.apologyText,
          unsupportedText: config.pipeline.unsupportedText,
        },
        log,
        signal,
      ),
  };
  const dispatcher = new Dispatcher(counted(deps.events, dispatcherOptions));
  const gate = new KfAccountGate({
    wecom: deps.wecom,
    cache: deps.coordinator.cache,
    cacheKey: `wecom:kf-accounts:${config.wecom.corpId}:${createHash('sha256').update(config.wecom.secret).digest('hex').slice(0, 16)}`,
    configured: [
      ...(config.wecom.openKfId ? [config.wecom.openKfId] : []),
      ...Object.keys(config.service.accounts),
    ],
    logger,
    // At most one kf/account/list a minute for unknown ids (60 × the retry base: tests run it faster).
    refreshMs: Math.min(60_000, retryBaseMs * 60),
    retryBaseMs,
  });
  const puller = new Puller({
    store,
    wecom: deps.wecom,
    coordinator: deps.coordinator,
    logger,
    onStored: () => dispatcher.kick(),
    retryBaseMs,
    gate,
  });
  return {
    puller,
    dispatcher,
    owner,
    async start() {
      const recovered = await store.recoverLeasesAtStart();
      if (recovered)
        logger.warn({ recovered }, 'messages left unfinished by a previous run are taken up again');
      dispatcher.start();
      await puller.pullAllKnown();
    },
    async stop(drainMs: number) {
      await puller.stop();
      await dispatcher.stop(drainMs);
    },
  };
}

/** The dispatcher's options with each message's outcome reported to `events`. */
function counted(events: PipelineEvents | undefined, opts: DispatcherOptions): DispatcherOptions {
  if (!events) return opts;
  const work = opts.process;
  return {
    ...opts,
    process: (item, log, signal) =>
      work(item, log, signal).then(
        () => events.processed('done'),
        (err: unknown) => {
          events.processed('error');
          throw err;
        },
      ),
  };
}
