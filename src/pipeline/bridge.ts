import { hostname } from 'node:os';
import { createHash, randomBytes } from 'node:crypto';
import type { WxcozeConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Coordinator } from '../store/coordination/types.js';
import type { Store } from '../store/types.js';
import { Dispatcher } from './dispatcher.js';
import { Heartbeat } from './heartbeat.js';
import { chatTargetOf, type CozePort, type WecomPort } from './ports.js';
import { processMessage } from './process-message.js';
import { KfAccountGate, type AccountLister } from './kf-accounts.js';
import { Puller } from './puller.js';

export interface Bridge {
  puller: Puller;
  dispatcher: Dispatcher;
  owner: string;
  /** `instanceId`: this instance's identity across restarts (see Heartbeat). */
  start(instanceId: string): Promise<void>;
  stop(drainMs: number): Promise<void>;
}

/** The message path below the HTTP layer: puller → inbox → dispatcher → Coze → reply. */
export function createBridge(deps: {
  config: WxcozeConfig;
  store: Store;
  coordinator: Coordinator;
  wecom: WecomPort & AccountLister;
  coze: CozePort;
  logger: Logger;
}): Bridge {
  const { config, store, logger } = deps;
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const { retryBaseMs } = config.pipeline;
  const target = chatTargetOf(config.coze);
  const dispatcher = new Dispatcher({
    store,
    owner,
    concurrency: config.pipeline.concurrency,
    leaseMs: config.pipeline.leaseMs,
    takeoverMs: config.pipeline.takeoverMs,
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
  });
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
  let heartbeat: Heartbeat | undefined;
  return {
    puller,
    dispatcher,
    owner,
    async start(instanceId: string) {
      // First: it may refuse to start (another live process under this id), and it frees the
      // leases this instance's previous run left behind.
      heartbeat = new Heartbeat({ store, owner, instanceId, takeoverMs: config.pipeline.takeoverMs, logger });
      await heartbeat.begin();
      const recovered = await store.recoverLeasesAtStart();
      if (recovered)
        logger.warn({ recovered }, 'messages left unfinished by a previous run are taken up again');
      dispatcher.start();
      await puller.pullAllKnown();
    },
    async stop(drainMs: number) {
      await puller.stop();
      await dispatcher.stop(drainMs);
      // After the drain (beating on while answers finish), so no one takes them over meanwhile.
      await heartbeat
        ?.end()
        .catch((err: unknown) =>
          logger.warn(
            { err: { message: (err as Error).message } },
            'could not mark this instance stopped; others take its leftovers over after WXCOZE_TAKEOVER_MS',
          ),
        );
    },
  };
}
