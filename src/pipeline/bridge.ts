import { hostname } from 'node:os';
import { createHash, randomBytes } from 'node:crypto';
import type { PipelineMetrics } from './metric-events.js';
import type { WxcozeConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Coordinator } from '../store/coordination/types.js';
import type { Store } from '../store/types.js';
import { WarnLimiter } from '../log/warn-limiter.js';
import { CozeLimiter } from './coze-limiter.js';
import { Dispatcher, type DispatcherOptions } from './dispatcher.js';
import { Heartbeat } from './heartbeat.js';
import { IdlePull } from './idle-pull.js';
import { limitCoze } from './limited-coze.js';
import { LiveSettings } from './live-settings.js';
import { authIdentity, chatTargetOf, type CozePort, type VoicePort, type WecomPort } from './ports.js';
import { processMessage } from './process-message.js';
import { ProfileFetcher } from './profiles.js';
import { KfAccountGate, type AccountLister } from './kf-accounts.js';
import { Puller } from './puller.js';
import { SurveySweeper } from './survey.js';

export interface Bridge {
  puller: Puller;
  dispatcher: Dispatcher;
  /** How many Coze chats may run at once (adaptive). */
  cozeLimiter: CozeLimiter;
  /** The service settings with the console's changes applied (reloaded without a restart). */
  settings: LiveSettings;
  owner: string;
  /** `instanceId`: this instance's identity across restarts (see Heartbeat). */
  start(instanceId: string): Promise<void>;
  stop(drainMs: number): Promise<void>;
}

/**
 * What the bridge reports for /metrics. The composition root decides where it goes (the registry
 * in src/ops/metrics.ts, or a message to the main thread): the pipeline never imports prom-client.
 */
export interface PipelineEvents extends PipelineMetrics {
  processed(result: 'done' | 'error'): void;
  /** The adaptive Coze limit now (`direction` undefined: its value at start). */
  cozeLimit(limit: number, direction?: 'lowered' | 'raised'): void;
  /** A Coze call was refused for load or quota and queued again. */
  cozeThrottled(): void;
}

/** The message path below the HTTP layer: puller → inbox → dispatcher → Coze → reply. */
export function createBridge(deps: {
  config: WxcozeConfig;
  store: Store;
  coordinator: Coordinator;
  wecom: WecomPort & AccountLister;
  coze: CozePort;
  voice?: VoicePort;
  logger: Logger;
  events?: PipelineEvents;
  /** How often the console's settings are checked for a change (default 2 s). */
  settingsPollMs?: number;
}): Bridge {
  const { config, store, logger } = deps;
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const { retryBaseMs } = config.pipeline;
  const target = chatTargetOf(config.coze);
  const cozeLimiter = createCozeLimiter(config.pipeline.concurrency, retryBaseMs, logger, deps.events);
  const coze = limitCoze(deps.coze, cozeLimiter);
  const settings = new LiveSettings(store, config.service, logger, deps.settingsPollMs);
  const dispatcherOptions: DispatcherOptions = {
    store,
    owner,
    concurrency: config.pipeline.concurrency,
    leaseMs: config.pipeline.leaseMs,
    takeoverMs: config.pipeline.takeoverMs,
    logger,
    process: async (item, log, signal) =>
      processMessage(
        item,
        {
          store,
          wecom: deps.wecom,
          coze,
          ...(deps.voice ? { voice: deps.voice } : {}),
          defaultTarget: target,
          service: await settings.current(),
          owner,
          allowPrivateUrls: config.server.allowPrivateUrls,
          maxAttempts: config.coze.maxAttempts,
          cozeAuth: authIdentity(config.coze.oauth?.appId),
          maxClaims: 5,
          retryBaseMs,
          maxParts: config.pipeline.maxParts,
          apologyText: config.pipeline.apologyText,
          unsupportedText: config.pipeline.unsupportedText,
          ...(deps.events ? { metrics: deps.events } : {}),
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
  const profiles = new ProfileFetcher({ store, wecom: deps.wecom, logger });
  const puller = new Puller({
    store,
    wecom: deps.wecom,
    coordinator: deps.coordinator,
    logger,
    onStored: () => dispatcher.kick(),
    onPage: (messages) => profiles.note(messages),
    retryBaseMs,
    gate,
    ...(deps.events ? { metrics: deps.events } : {}),
  });
  const surveys = new SurveySweeper({
    store,
    wecom: deps.wecom,
    settings: () => settings.current(),
    owner,
    logger,
  });
  // Lost callbacks: an account no pull reached for WXCOZE_IDLE_PULL_S is pulled anyway.
  const idlePull =
    config.pipeline.idlePullMs > 0
      ? new IdlePull({
          store,
          coordinator: deps.coordinator,
          puller,
          configured: [
            ...(config.wecom.openKfId ? [config.wecom.openKfId] : []),
            ...Object.keys(config.service.accounts),
          ],
          intervalMs: config.pipeline.idlePullMs,
          logger,
        })
      : undefined;
  let heartbeat: Heartbeat | undefined;
  return {
    puller,
    dispatcher,
    cozeLimiter,
    settings,
    owner,
    async start(instanceId: string) {
      // First: it may refuse to start (another live process under this id), and it frees the
      // leases this instance's previous run left behind.
      heartbeat = new Heartbeat({ store, owner, instanceId, takeoverMs: config.pipeline.takeoverMs, logger });
      await heartbeat.begin();
      const recovered = await store.recoverLeasesAtStart();
      if (recovered)
        logger.warn({ recovered }, 'messages left unfinished by a previous run are taken up again');
      await settings.start();
      dispatcher.start();
      surveys.start();
      await puller.pullAllKnown();
      idlePull?.start();
    },
    async stop(drainMs: number) {
      await idlePull?.stop();
      await puller.stop();
      await surveys.stop();
      await profiles.stop();
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
      cozeLimiter.close();
      settings.stop();
    },
  };
}

/**
 * Where the adaptive Coze limit starts: below every paid plan's QPS and about the free plan's
 * (docs/protocol.md §coze-errors); it doubles within one request round trip per step while Coze
 * accepts, so a burst reaches the ceiling in well under a second when Coze keeps up.
 */
const INITIAL_COZE_LIMIT = 16;

function createCozeLimiter(
  ceiling: number,
  retryBaseMs: number,
  logger: Logger,
  events: PipelineEvents | undefined,
): CozeLimiter {
  const warns = new WarnLimiter();
  const limiter: CozeLimiter = new CozeLimiter({
    initial: Math.min(INITIAL_COZE_LIMIT, ceiling),
    floor: 1,
    ceiling,
    pauseBaseMs: retryBaseMs,
    pauseCapMs: Math.min(30_000, retryBaseMs * 30),
    onThrottled: () => events?.cozeThrottled(),
    onChange: (c) => {
      events?.cozeLimit(c.to, c.direction);
      if (c.direction === 'lowered') {
        warns.warn(
          logger,
          'coze-throttling',
          {
            from: c.from,
            to: c.to,
            pauseMs: c.pauseMs,
            inFlight: limiter.inFlight,
            waiting: limiter.waiting,
          },
          "Coze is throttling (rate limit or quota): fewer chats at once, after a pause; the refused messages wait and are sent again, none is dropped. If it lasts, check the Coze plan's limits and balance (`wxcoze doctor`)",
        );
      } else if (c.to === ceiling || (c.to & (c.to - 1)) === 0) {
        // Raised one step per accepted chat: logged at powers of two and at the ceiling only.
        warns.info(
          logger,
          'coze-limit-raised',
          { from: c.from, to: c.to, ceiling },
          'Coze keeps up: more chats at once',
        );
      }
    },
  });
  events?.cozeLimit(limiter.limit);
  return limiter;
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
