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
export function recordCozeLimit(limit: number, direction?: 'lowered' | 'raised'): void {
  cozeLimit.set(limit);
  if (direction) cozeLimitChanges.inc({ direction });
}

export function countCozeThrottled(): void {
  cozeThrottled.inc();
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
