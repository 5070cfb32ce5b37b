/**
 * The one Prometheus registry of the process (prom-client). Everything else records through the
 * functions below and never imports prom-client, so the names and labels live in one place.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PipelineCounter, PipelineHistogram, PipelineMetrics } from '../pipeline/metric-events.js';
import { INBOX_STATES, PENDING_STATES, type InboxState, type Store } from '../store/types.js';

const registry = new Registry();
// 5 ms resolution: the event-loop lag max is what the bench's stall phase reads (target < 50 ms).
collectDefaultMetrics({ register: registry, prefix: 'wxcoze_', eventLoopMonitoringPrecision: 5 });

/** Outcome of a WeCom callback: a small fixed set, never free text. */
export type CallbackResult =
  | 'accepted'
  | 'acknowledged'
  | 'verified'
  | 'bad_signature'
  | 'malformed'
  | 'stale_timestamp'
  | 'shutting_down';

const callbacks = new Counter({
  name: 'wxcoze_callbacks_total',
  help: 'WeCom callbacks received, by result (accepted/acknowledged/verified, or why they were refused)',
  labelNames: ['result'] as const,
  registers: [registry],
});

const clientErrors = new Counter({
  name: 'wxcoze_http_client_errors_total',
  help: 'Connections closed before a request was complete, by kind (timeout, too_many, bad_request)',
  labelNames: ['kind'] as const,
  registers: [registry],
});

const cozeLimit = new Gauge({
  name: 'wxcoze_coze_concurrency_limit',
  help: 'Coze chats allowed at once now (adaptive: lowered when Coze throttles, raised while it keeps up; at most WXCOZE_CONCURRENCY)',
  registers: [registry],
});

const cozeLimitChanges = new Counter({
  name: 'wxcoze_coze_limit_changes_total',
  help: 'Changes of the Coze concurrency limit, by direction (lowered = Coze throttled: 4013/4019/4020/4028 or HTTP 429)',
  labelNames: ['direction'] as const,
  registers: [registry],
});

const cozeThrottled = new Counter({
  name: 'wxcoze_coze_throttled_total',
  help: 'Coze calls refused for load or quota and queued again (the message waits; it is not failed)',
  registers: [registry],
});

/** The adaptive Coze limit moved (or was set at start: `direction` undefined). */
export function recordCozeLimit(limit: number, direction?: 'lowered' | 'raised', changes = 1): void {
  cozeLimit.set(limit);
  if (direction) cozeLimitChanges.inc({ direction }, changes);
}

export function countCozeThrottled(n = 1): void {
  cozeThrottled.inc(n);
}

/*
 * The pipeline's figures. The pipeline may run in a worker thread (src/server/pipeline-worker.ts):
 * it never imports this module; the composition root counts what it reports (in the worker, as
 * events posted to the main thread), so this one registry answers /metrics for both threads.
 */
const pipelineMessages = new Counter({
  name: 'wxcoze_pipeline_messages_total',
  help: 'Customer messages the dispatcher worked on, by result (done: the step ran to its end; error: it threw and is retried)',
  labelNames: ['result'] as const,
  registers: [registry],
});

const pipelineUp = new Gauge({
  name: 'wxcoze_pipeline_up',
  help: 'Whether the message pipeline (pulls, Coze, replies) is running: 1 yes, 0 no (stopping or crashed)',
  registers: [registry],
});

const pipelineHeap = new Gauge({
  name: 'wxcoze_pipeline_thread_heap_used_bytes',
  help: "V8 heap in use by the pipeline's worker thread (absent when the pipeline runs on the main thread)",
  registers: [registry],
});

const pipelineLag = new Gauge({
  name: 'wxcoze_pipeline_thread_eventloop_lag_max_seconds',
  help: "Longest event-loop delay of the pipeline's worker thread over the last report (5 s); the HTTP thread's own is wxcoze_nodejs_eventloop_lag_max_seconds",
  registers: [registry],
});

export type PipelineResult = 'done' | 'error';

export function countPipelineMessage(result: PipelineResult, n = 1): void {
  pipelineMessages.inc({ result }, n);
}

export function setPipelineUp(up: boolean): void {
  pipelineUp.set(up ? 1 : 0);
}

export function setPipelineThreadStats(s: { heapUsedBytes: number; eventLoopLagMaxS: number }): void {
  pipelineHeap.set(s.heapUsedBytes);
  pipelineLag.set(s.eventLoopLagMaxS);
}

// One child per result, made once: inc({ result }) hashes the labels on every callback.
const callbackByResult = new Map<CallbackResult, { inc(): void }>();

export function countCallback(result: CallbackResult): void {
  let child = callbackByResult.get(result);
  if (!child) callbackByResult.set(result, (child = callbacks.labels({ result })));
  child.inc();
}

// Acks should take milliseconds (WeCom gives up after 5 s and retries): fine buckets at the low end.
const callbackAck = new Histogram({
  name: 'wxcoze_callback_ack_seconds',
  help: 'Time from a WeCom callback POST arriving to its answer written (WeCom retries after 5 s)',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export function observeCallbackAck(seconds: number): void {
  callbackAck.observe(seconds);
}

/*
 * What the pipeline reports through its PipelineMetrics sink (src/pipeline/metric-events.ts), in
 * either thread. The label names below are the order the pipeline passes its labels in.
 */
const COUNTER_LABELS: Record<PipelineCounter, string[]> = {
  pulls: ['result'],
  budget_refusals: ['reason'],
  handoffs: ['to'],
  wecom_calls: ['api', 'errcode'],
  coze_calls: ['call', 'code'],
};
const PIPELINE_COUNTERS: Record<PipelineCounter, Counter<string>> = {
  pulls: new Counter({
    name: 'wxcoze_pulls_total',
    help: 'kf/sync_msg pulls, by result (ok: pages pulled and committed; error: retried with backoff; elsewhere: another instance was pulling the account)',
    labelNames: COUNTER_LABELS.pulls,
    registers: [registry],
  }),
  budget_refusals: new Counter({
    name: 'wxcoze_budget_refusals_total',
    help: "Reply parts not sent because WeCom's 5 messages per customer message (48 h) were used, by reason (spent: our own count; wecom_95001: WeCom refused)",
    labelNames: COUNTER_LABELS.budget_refusals,
    registers: [registry],
  }),
  handoffs: new Counter({
    name: 'wxcoze_handoffs_total',
    help: 'Customers handed to a human, by where (wecom: a servicer or the queue; console: the operator console)',
    labelNames: COUNTER_LABELS.handoffs,
    registers: [registry],
  }),
  wecom_calls: new Counter({
    name: 'wxcoze_wecom_api_calls_total',
    help: 'WeCom API calls, by api and errcode ("0" ok; network/timeout/http/busy: failed in transit after retries)',
    labelNames: COUNTER_LABELS.wecom_calls,
    registers: [registry],
  }),
  coze_calls: new Counter({
    name: 'wxcoze_coze_api_calls_total',
    help: 'Coze API calls, by call and code ("0" ok; a Coze code such as 4100; http_<status>; network/timeout; aborted)',
    labelNames: COUNTER_LABELS.coze_calls,
    registers: [registry],
  }),
};

const ANSWER_BUCKETS = [0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120, 300];
const PIPELINE_HISTOGRAMS: Record<PipelineHistogram, Histogram<string>> = {
  answer_seconds: new Histogram({
    name: 'wxcoze_answer_seconds',
    help: "End to end: from the customer's message (WeCom's send_time, whole seconds) to the last part of its reply delivered",
    buckets: ANSWER_BUCKETS,
    registers: [registry],
  }),
  coze_answer_seconds: new Histogram({
    name: 'wxcoze_coze_answer_seconds',
    help: "Coze's part of an answer: from asking Coze to its whole answer (retries and waiting for a Coze slot included)",
    buckets: ANSWER_BUCKETS,
    registers: [registry],
  }),
};

/** Counts straight into this registry (the pipeline on the main thread, the main thread's own clients). */
export const registryMetrics: PipelineMetrics = {
  count(name, labels, n = 1) {
    // Labels are positional; a missing one is written as "" rather than thrown on the hot path.
    const values: Record<string, string> = {};
    COUNTER_LABELS[name].forEach((label, i) => (values[label] = labels[i] ?? ''));
    PIPELINE_COUNTERS[name].inc(values, n);
  },
  observe(name, seconds) {
    PIPELINE_HISTOGRAMS[name].observe(seconds);
  },
};

/*
 * The inbox by state, read from the store when /metrics is scraped: the waiting messages (all of
 * them) and the last 24 hours' messages. Both are index reads whose cost follows what they count,
 * never the inbox's size: its rows are kept for the charts, so counting every state over all of it
 * grew with each message ever received (50 ms at a million rows, on the HTTP thread for SQLite).
 * At most once a second and never longer than INBOX_READ_TIMEOUT_MS: a scrape cannot load the
 * database or hang on it. Unreadable: no samples (a stale figure would look fine).
 */
const INBOX_READ_TIMEOUT_MS = 1000;
const INBOX_CACHE_MS = 1000;
const RECENT_MS = 24 * 3600_000;

/** What the inbox gauges read: the main thread's store. */
export type InboxSource = Pick<Store, 'countWaiting' | 'countSince'>;
interface InboxFigures {
  waiting: Record<string, number>;
  recent: Record<InboxState, number>;
}
let inboxSource: InboxSource | undefined;
let inboxRead: { at: number; figures: Promise<InboxFigures | undefined> } | undefined;

function readInbox(): Promise<InboxFigures | undefined> {
  const source = inboxSource;
  if (!source) return Promise.resolve(undefined);
  const now = Date.now();
  if (inboxRead && now - inboxRead.at < INBOX_CACHE_MS) return inboxRead.figures;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const read = Promise.all([source.countWaiting(), source.countSince(now - RECENT_MS)]).then(
    ([waiting, recent]) => ({ waiting, recent }),
  );
  const figures = Promise.race([
    read.catch(() => undefined),
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), INBOX_READ_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  inboxRead = { at: now, figures };
  return figures;
}

new Gauge({
  name: 'wxcoze_inbox_messages',
  help: 'Messages waiting in the inbox by state (received, answered, sending), however old; read from the store at scrape time, absent when it does not answer within 1 s',
  labelNames: ['state'] as const,
  registers: [registry],
  async collect() {
    const figures = await readInbox();
    this.reset();
    if (!figures) return;
    for (const state of PENDING_STATES) this.set({ state }, figures.waiting[state] ?? 0);
  },
});

new Gauge({
  name: 'wxcoze_inbox_messages_24h',
  help: 'Messages received in the last 24 hours by the state they are in now; read from the store at scrape time, absent when it does not answer within 1 s',
  labelNames: ['state'] as const,
  registers: [registry],
  async collect() {
    const figures = await readInbox();
    this.reset();
    if (!figures) return;
    for (const state of INBOX_STATES) this.set({ state }, figures.recent[state]);
  },
});

/** Where the inbox gauges read their figures (the main thread's store); undefined when it closes. */
export function setInboxSource(source: InboxSource | undefined): void {
  inboxSource = source;
  inboxRead = undefined;
}

export function countClientError(kind: 'timeout' | 'too_many' | 'bad_request'): void {
  clientErrors.inc({ kind });
}

export const metricsContentType = registry.contentType;

/** The Prometheus text exposition of every metric. */
export function renderMetrics(): Promise<string> {
  return registry.metrics();
}
