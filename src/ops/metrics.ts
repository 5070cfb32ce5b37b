/**
 * The one Prometheus registry of the process (prom-client). Everything else records through the
 * functions below and never imports prom-client, so the names and labels live in one place.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

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

export function countCallback(result: CallbackResult): void {
  callbacks.inc({ result });
}

export function countClientError(kind: 'timeout' | 'too_many' | 'bad_request'): void {
  clientErrors.inc({ kind });
}

export const metricsContentType = registry.contentType;

/** The Prometheus text exposition of every metric. */
export function renderMetrics(): Promise<string> {
  return registry.metrics();
}
