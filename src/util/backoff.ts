/**
 * The one retry-delay rule: exponential growth, a cap, and jitter so that many workers failing
 * together (WeCom down, Coze rate limiting) do not retry in lockstep. Used by Coze retries
 * (ask-coze), message retries (process-message), pulls (puller), the kf account list and WeCom's
 * own transport retries (wecom/api). Dependency-free, so every layer may import it.
 */
export interface BackoffPolicy {
  /** The first delay's ceiling. */
  baseMs: number;
  /** No delay is longer than this. */
  capMs: number;
  /** Growth per attempt (default 2). */
  factor?: number;
}

/**
 * Delay before retry number `attempt` (1 = the first retry): the ceiling is
 * `min(cap, base × factor^(attempt-1))`, and the delay a random point in its upper half,
 * so it never collapses to zero and never exceeds the ceiling.
 */
export function backoffMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * (policy.factor ?? 2) ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Waits `ms`, or less when `signal` aborts (it resolves then, never rejects). */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
