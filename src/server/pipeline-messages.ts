/**
 * What the main thread and the pipeline's worker thread say to each other (structured clone over
 * the worker's port). Main → worker: callbacks to pull for, and calls; worker → main: log lines,
 * figures for /metrics, and answers to calls. Nothing else crosses: each side has its own store
 * handle, coordinator and HTTP clients.
 */
import type { WxcozeConfig } from '../config/types.js';
import type { ThreadLine } from '../log/thread-lines.js';
import type { PipelineCounter, PipelineHistogram } from '../pipeline/metric-events.js';

export interface WorkerSetup {
  config: WxcozeConfig;
  logLevel: string;
  /** Enables the `hog` and `crash` messages (tests only; never set by the CLI). */
  testHooks: boolean;
}

/** [open_kfid, callback Token, reqId of the callback]. */
export type KfCallback = [string, string, string];

export type PipelineCall = 'start' | 'pullAllKnown' | 'stop' | 'reloadSettings';

/** `instanceId` for start, `drainMs` for stop. */
export interface CallArgs {
  instanceId?: string;
  drainMs?: number;
}

export type ToWorker =
  | { t: 'kf'; callbacks: KfCallback[] }
  /** Work was stored outside the pipeline (the console): the dispatcher looks at the inbox now. */
  | { t: 'kick' }
  | ({ t: 'call'; id: number; call: PipelineCall } & CallArgs)
  /** Blocks the worker until `release` (an Int32 in shared memory) is set, or `maxMs` passes. */
  | { t: 'hog'; release: SharedArrayBuffer; maxMs: number }
  | { t: 'crash' };

export type FromWorker =
  /** `os`: the thread's Linux thread id and nice value (src/server/thread-priority.ts), when it could be set. */
  | { t: 'ready'; os?: { tid: number; nice: number } }
  | { t: 'log'; lines: ThreadLine[] }
  | { t: 'processed'; done: number; error: number }
  /** The adaptive Coze limit: where it stands, how often it moved and how many calls were throttled since the last one. */
  | { t: 'coze'; limit: number; raised: number; lowered: number; throttled: number }
  /** The pipeline's counts since the last one (summed per labels) and its histogram observations. */
  | {
      t: 'metrics';
      counts: [PipelineCounter, string[], number][];
      observed: [PipelineHistogram, number[]][];
    }
  | { t: 'stats'; heapUsedBytes: number; eventLoopLagMaxS: number }
  | { t: 'answer'; id: number; error?: string };
