/**
 * Entry of the pipeline's worker thread (started by `startPipelineWorker`, src/server/pipeline-host.ts):
 * pulls, the inbox, the dispatcher, Coze and replies run here, on their own event loop, so the
 * main thread's HTTP server answers WeCom callbacks whatever the pipeline is doing. This thread has
 * its own store handle, coordinator, WecomApi and CozeClient; it logs through the main thread's
 * logger (lines posted, src/log/thread-lines.ts) and reports figures instead of owning a registry.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { lineSendingLogger } from '../log/thread-lines.js';
import { openCoordinator } from '../store/coordination/index.js';
import { openStore } from '../store/index.js';
import { composePipeline } from './compose-pipeline.js';
import type { PipelineCounter, PipelineHistogram } from '../pipeline/metric-events.js';
import type { FromWorker, ToWorker, WorkerSetup } from './pipeline-messages.js';
import { catchUnhandledRejections } from './unhandled-rejections.js';
import { niceThisThread } from './thread-priority.js';

const STATS_EVERY_MS = 5000;

const port = parentPort!;
const setup = workerData as WorkerSetup;
const post = (m: FromWorker) => port.postMessage(m);
const { logger, flush: flushLogs } = lineSendingLogger(setup.logLevel, (lines) => post({ t: 'log', lines }));

// Outcomes are summed and sent once per event-loop turn (thousands of messages, a handful of posts).
const processed = { done: 0, error: 0 };
let processedQueued = false;
// The adaptive Coze limit's moves, summed the same way (it moves once per accepted chat in a burst).
const coze = { limit: 0, raised: 0, lowered: 0, throttled: 0, changed: false };
// The pipeline's counters (pulls, API calls by errcode, …), summed per labels, and its observations.
const counts = new Map<string, [PipelineCounter, string[], number]>();
const observed = new Map<PipelineHistogram, number[]>();
const flushProcessed = () => {
  processedQueued = false;
  if (counts.size || observed.size) {
    post({ t: 'metrics', counts: [...counts.values()], observed: [...observed] });
    counts.clear();
    observed.clear();
  }
  if (coze.changed) {
    post({
      t: 'coze',
      limit: coze.limit,
      raised: coze.raised,
      lowered: coze.lowered,
      throttled: coze.throttled,
    });
    coze.raised = coze.lowered = coze.throttled = 0;
    coze.changed = false;
  }
  if (processed.done + processed.error === 0) return;
  post({ t: 'processed', ...processed });
  processed.done = processed.error = 0;
};
const queueFlush = () => {
  if (!processedQueued) {
    processedQueued = true;
    setImmediate(flushProcessed);
  }
};

const { config } = setup;
// Acks first: the HTTP thread wins the CPU whenever both want it (src/server/thread-priority.ts).
const niced =
  config.pipeline.niceness > 0
    ? niceThisThread(config.pipeline.niceness)
    : { skipped: 'WXCOZE_PIPELINE_NICENESS=0' };
if ('skipped' in niced) logger.debug({ reason: niced.skipped }, 'pipeline thread keeps the process priority');
else logger.debug(niced, 'pipeline thread runs nicer than the HTTP thread');
// This thread keeps SQLite's planner statistics current (hourly): the HTTP thread never waits for it.
const store = await openStore({
  dataDir: config.dataDir,
  databaseUrl: config.store.databaseUrl,
  plannerStats: 'hourly',
});
const coordinator = await openCoordinator(config.store.redisUrl, config.store.redisPrefix);
const pipeline = composePipeline({
  config,
  store,
  coordinator,
  logger,
  events: {
    count(name, labels, n = 1) {
      const key = `${name}\u0000${labels.join('\u0000')}`;
      const c = counts.get(key);
      if (c) c[2] += n;
      else counts.set(key, [name, [...labels], n]);
      queueFlush();
    },
    observe(name, seconds) {
      const list = observed.get(name);
      if (list) list.push(seconds);
      else observed.set(name, [seconds]);
      queueFlush();
    },
    processed(result) {
      processed[result] += 1;
      queueFlush();
    },
    cozeLimit(limit, direction) {
      coze.limit = limit;
      if (direction) coze[direction] += 1;
      coze.changed = true;
      queueFlush();
    },
    cozeThrottled() {
      coze.throttled += 1;
      coze.changed = true;
      queueFlush();
    },
  },
});
const { bridge } = pipeline;
// Background work (pulls, workers) runs here: a rejection nobody caught is logged, not fatal.
catchUnhandledRejections(logger);

const lag = monitorEventLoopDelay({ resolution: 5 });
lag.enable();
const stats = setInterval(() => {
  post({
    t: 'stats',
    heapUsedBytes: process.memoryUsage().heapUsed,
    eventLoopLagMaxS: lag.max / 1e9,
  });
  lag.reset();
}, STATS_EVERY_MS);
stats.unref();

async function stop(drainMs: number): Promise<void> {
  clearInterval(stats);
  lag.disable();
  await bridge.stop(drainMs);
  await pipeline.close();
  await store.close();
  await coordinator.close();
}

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'kf':
      for (const [openKfId, token, reqId] of m.callbacks) bridge.puller.schedule(openKfId, token, reqId);
      return;
    case 'kick':
      bridge.dispatcher.kick();
      return;
    case 'call': {
      const work =
        m.call === 'start'
          ? m.instanceId
            ? bridge.start(m.instanceId)
            : Promise.reject(new Error('start needs the instance id'))
          : m.call === 'pullAllKnown'
            ? bridge.puller.pullAllKnown()
            : m.call === 'reloadSettings'
              ? bridge.settings.reload(true)
              : stop(m.drainMs ?? 10_000);
      work.then(
        () => answer(m.id),
        (err: unknown) => answer(m.id, err instanceof Error ? err.message : String(err)),
      );
      return;
    }
    case 'hog':
      // Tests: holds this thread synchronously, as a long computation would, until the test releases it.
      if (setup.testHooks) Atomics.wait(new Int32Array(m.release), 0, 0, m.maxMs);
      return;
    case 'crash':
      if (setup.testHooks)
        setImmediate(() => {
          throw new Error('pipeline crash requested by a test');
        });
      return;
  }
});

function answer(id: number, error?: string): void {
  flushProcessed();
  flushLogs(); // lines written before the answer arrive before it
  post(error === undefined ? { t: 'answer', id } : { t: 'answer', id, error });
}

post({ t: 'ready', ...('skipped' in niced ? {} : { os: niced }) });
