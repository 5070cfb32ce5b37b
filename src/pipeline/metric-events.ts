/**
 * What the pipeline counts for /metrics, by name. The pipeline may run in a worker thread that owns
 * no registry (src/server/pipeline-worker.ts): it reports through this sink, which the composition
 * root turns into registry calls (main thread) or sums posted once per event-loop turn (worker).
 * Nothing here imports prom-client; the metrics' Prometheus names and help live in src/ops/metrics.ts.
 */

/** Counters the pipeline moves; the labels are given in the order src/ops/metrics.ts declares them. */
export type PipelineCounter =
  /** [result]: ok (a page pulled), error, elsewhere (another instance holds the account's pull lock). */
  | 'pulls'
  /** [reason]: spent (our own count of WeCom's 5 messages / 48 h), wecom_95001 (WeCom refused). */
  | 'budget_refusals'
  /** [to]: wecom (a servicer or the queue), console (the operator console's queue). */
  | 'handoffs'
  /** [api, errcode]: a WeCom API call's outcome: its errcode ("0" ok), or how the transport failed. */
  | 'wecom_calls'
  /** [call, code]: a Coze API call's outcome: "0" ok, Coze's code, http_<status>, or the failure's kind. */
  | 'coze_calls';

/** Histograms, in seconds. */
export type PipelineHistogram =
  /** From the customer's message (WeCom's send_time) to the last part of its reply delivered. */
  | 'answer_seconds'
  /** Coze's part of it: asking Coze until the whole answer came back (retries and waiting for a slot included). */
  | 'coze_answer_seconds';

export interface PipelineMetrics {
  count(name: PipelineCounter, labels: readonly string[], n?: number): void;
  observe(name: PipelineHistogram, seconds: number): void;
}

/** For tests and callers that count nothing. */
export const NO_METRICS: PipelineMetrics = { count: () => {}, observe: () => {} };
