/**
 * Where the pipeline runs, seen from the HTTP side: `PipelineHost` is all start-server.ts and the
 * callback route need. By default the pipeline runs in a worker thread (`startPipelineWorker`), so
 * its work (pulls, SQLite, Coze streams, replies, garbage collection) never delays a callback's ack;
 * WXCOZE_PIPELINE_THREAD=off keeps it on the main thread (`inThreadPipeline`).
 */
import { Worker } from 'node:worker_threads';
import type { WxcozeConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { writeThreadLines } from '../log/thread-lines.js';
import {
  countCozeThrottled,
  countPipelineMessage,
  recordCozeLimit,
  registryMetrics,
  setPipelineThreadStats,
  setPipelineUp,
} from '../ops/metrics.js';
import type { Coordinator } from '../store/coordination/types.js';
import type { Store } from '../store/types.js';
import type {
  CallArgs,
  FromWorker,
  KfCallback,
  PipelineCall,
  ToWorker,
  WorkerSetup,
} from './pipeline-messages.js';

/** While callbacks keep coming, the longest they wait to be handed to the pipeline's thread. */
const FLUSH_GAP_MS = 5;

export interface PipelineHost {
  readonly thread: 'worker' | 'main';
  /** The worker's Linux thread id and nice value (it runs nicer than the HTTP thread), when set. */
  readonly osThread?: { tid: number; nice: number };
  /** A callback asked for a pull of this account; returns at once. */
  schedule(openKfId: string, token: string, reqId: string): void;
  /**
   * Work was stored outside the pipeline (an operator's reply, a retry from the console): look at
   * the inbox now rather than at the next wake. Returns at once. Other instances find it at their
   * next look (the dispatcher's idle poll: within 5 s).
   */
  kick(): void;
  /**
   * Starts the heartbeat under `instanceId` (refused while another live process uses it), takes up
   * unfinished work, starts the dispatcher, pulls every known account.
   */
  start(instanceId: string): Promise<void>;
  pullAllKnown(): Promise<void>;
  /** Applies the settings saved in the console now (other instances notice within seconds on their own). */
  reloadSettings(): Promise<void>;
  /** Stops pulling, lets answers in flight finish for `drainMs`, releases the rest. */
  stop(drainMs: number): Promise<void>;
  /** Settles with the reason if the pipeline dies on its own; never settles otherwise. */
  readonly crashed: Promise<Error>;
  /** Tests only (`startServer(…, { testHooks: true })`, worker thread). */
  readonly testHooks?: {
    /** Holds the pipeline's thread synchronously until the returned function is called. */
    hog(): () => void;
    /** Throws an uncaught error in the pipeline's thread. */
    crash(): void;
  };
}

/** The pipeline on the main thread, sharing its store handle and coordinator. */
export async function inThreadPipeline(deps: {
  config: WxcozeConfig;
  store: Store;
  coordinator: Coordinator;
  logger: Logger;
}): Promise<PipelineHost> {
  // Loaded only here: with the worker (the default) this thread never needs the pipeline's code.
  const { composePipeline } = await import('./compose-pipeline.js');
  const pipeline = composePipeline({
    ...deps,
    events: {
      ...registryMetrics,
      processed: (result) => countPipelineMessage(result),
      cozeLimit: (limit, direction) => recordCozeLimit(limit, direction),
      cozeThrottled: () => countCozeThrottled(),
    },
  });
  const { bridge } = pipeline;
  return {
    thread: 'main',
    schedule: (openKfId, token, reqId) => bridge.puller.schedule(openKfId, token, reqId),
    kick: () => bridge.dispatcher.kick(),
    async start(instanceId) {
      await bridge.start(instanceId);
      setPipelineUp(true);
    },
    pullAllKnown: () => bridge.puller.pullAllKnown(),
    reloadSettings: () => bridge.settings.reload(true),
    async stop(drainMs) {
      setPipelineUp(false);
      await bridge.stop(drainMs);
      await pipeline.close();
    },
    crashed: new Promise<Error>(() => {}),
  };
}

/**
 * The worker's entry. Run from TypeScript sources (tests, through tsx), the worker does not inherit
 * tsx's loader: it registers it first, then imports the .ts entry. `npm test` has just built dist/
 * and names its worker in WXCOZE_TEST_WORKER_JS (scripts/run-tests.mjs): loading the pipeline's
 * modules through tsx's loader cost ~0.3 s of each of the suite's many server starts.
 */
function newWorker(setup: WorkerSetup): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  const built = fromSources ? process.env.WXCOZE_TEST_WORKER_JS : undefined;
  if (built) return new Worker(new URL(built), { workerData: setup });
  const entry = new URL(`./pipeline-worker.${fromSources ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSources) return new Worker(entry, { workerData: setup });
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const code = `import(${tsx}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData: setup });
}

/** Starts the worker thread and resolves once its store and clients are open. */
export async function startPipelineWorker(
  config: WxcozeConfig,
  logger: Logger,
  opts: { testHooks?: boolean } = {},
): Promise<PipelineHost> {
  const worker = newWorker({ config, logLevel: logger.level, testHooks: opts.testHooks === true });
  const send = (m: ToWorker) => worker.postMessage(m);
  let stopping = false;
  let dead: Error | undefined;
  let reportCrash!: (err: Error) => void;
  const crashed = new Promise<Error>((resolve) => (reportCrash = resolve));
  let ready!: (os?: { tid: number; nice: number }) => void;
  let failedToStart!: (err: Error) => void;
  const started = new Promise<{ tid: number; nice: number } | undefined>((resolve, reject) => {
    ready = resolve;
    failedToStart = reject;
  });

  let callSeq = 0;
  const calls = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  const call = (what: PipelineCall, args: CallArgs = {}) =>
    new Promise<void>((resolve, reject) => {
      if (dead) return reject(dead);
      const id = ++callSeq;
      calls.set(id, { resolve, reject });
      send({ t: 'call', id, call: what, ...args });
    });

  const die = (err: Error) => {
    if (dead) return;
    dead = err;
    setPipelineUp(false);
    failedToStart(err);
    for (const c of calls.values()) c.reject(err);
    calls.clear();
    if (!stopping) reportCrash(err);
  };

  worker.on('message', (m: FromWorker) => {
    switch (m.t) {
      case 'log':
        return writeThreadLines(logger, m.lines);
      case 'processed':
        if (m.done) countPipelineMessage('done', m.done);
        if (m.error) countPipelineMessage('error', m.error);
        return;
      case 'coze':
        // Raises and lowerings since the last message, then the limit they ended at.
        if (m.raised) recordCozeLimit(m.limit, 'raised', m.raised);
        if (m.lowered) recordCozeLimit(m.limit, 'lowered', m.lowered);
        if (!m.raised && !m.lowered) recordCozeLimit(m.limit);
        if (m.throttled) countCozeThrottled(m.throttled);
        return;
      case 'metrics':
        for (const [name, labels, n] of m.counts) registryMetrics.count(name, labels, n);
        for (const [name, values] of m.observed) for (const v of values) registryMetrics.observe(name, v);
        return;
      case 'stats':
        return setPipelineThreadStats(m);
      case 'ready':
        return ready(m.os);
      case 'answer': {
        const c = calls.get(m.id);
        calls.delete(m.id);
        if (m.error === undefined) c?.resolve();
        else c?.reject(new Error(m.error));
        return;
      }
    }
  });
  worker.on('error', (err) => die(err));
  worker.on('exit', (code) => die(new Error(`the pipeline thread exited (code ${code})`)));

  // Callbacks are coalesced per account: the puller keeps only the newest Token of an account
  // anyway, and a burst becomes a few messages, not thousands. A quiet account's callback is handed
  // over at the end of this event-loop turn; while callbacks keep coming, at most once per
  // FLUSH_GAP_MS. Each hand-over wakes the pipeline's thread, and under 10,000 callbacks a second
  // waking it every turn cost the HTTP thread more than the callbacks' own crypto (bench, callback
  // path); the puller waits PULL_GAP_MS (50 ms) between two pulls of an account regardless.
  let queued = new Map<string, KfCallback>();
  let flushQueued = false;
  let lastFlushAt = -Infinity;
  const flushCallbacks = () => {
    flushQueued = false;
    if (!queued.size || dead) return;
    lastFlushAt = performance.now();
    const callbacks = [...queued.values()];
    queued = new Map();
    send({ t: 'kf', callbacks });
  };

  const os = await started;
  return {
    thread: 'worker',
    ...(os ? { osThread: os } : {}),
    schedule(openKfId, token, reqId) {
      if (stopping || dead) return;
      queued.set(openKfId, [openKfId, token, reqId]);
      if (!flushQueued) {
        flushQueued = true;
        const wait = lastFlushAt + FLUSH_GAP_MS - performance.now();
        if (wait <= 0) setImmediate(flushCallbacks);
        else setTimeout(flushCallbacks, wait);
      }
    },
    kick() {
      if (!stopping && !dead) send({ t: 'kick' });
    },
    async start(instanceId) {
      await call('start', { instanceId });
      setPipelineUp(true);
    },
    pullAllKnown: () => call('pullAllKnown'),
    reloadSettings: () => call('reloadSettings'),
    async stop(drainMs) {
      if (stopping) return;
      flushCallbacks();
      stopping = true;
      setPipelineUp(false);
      if (dead) return; // crashed: nothing left to drain (leases are taken up at the next start)
      try {
        await call('stop', { drainMs });
      } finally {
        await worker.terminate();
      }
    },
    crashed,
    ...(opts.testHooks
      ? {
          testHooks: {
            hog() {
              const release = new SharedArrayBuffer(4);
              send({ t: 'hog', release, maxMs: 120_000 });
              return () => {
                const flag = new Int32Array(release);
                Atomics.store(flag, 0, 1);
                Atomics.notify(flag, 0);
              };
            },
            crash: () => send({ t: 'crash' }),
          },
        }
      : {}),
  };
}
