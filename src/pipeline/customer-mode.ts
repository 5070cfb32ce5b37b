import type { CustomerState } from '../store/types.js';

/** A kf session lasts at most 48 h after the customer's last message (docs/protocol.md §send_msg). */
export const SESSION_MAX_MS = 48 * 3600_000;

/** Whether mode is one of the console's (an operator took over, or the customer waits in its queue). */
export function isConsoleMode(mode: CustomerState['mode']): mode is 'console' | 'waiting' {
  return mode === 'console' || mode === 'waiting';
}

/**
 * Whether the console still holds this customer (AI paused): until an operator hands the chat
 * back, or until 48 h pass without a customer message since the takeover (the reply window
 * closed: a forgotten takeover does not silence the AI forever). `lastCustomerAt`: the
 * customer's latest message before the one being judged (ms), null if none.
 */
export function consoleHolds(c: CustomerState, lastCustomerAt: number | null, now: number): boolean {
  if (!isConsoleMode(c.mode)) return false;
  return now - Math.max(c.modeSince, lastCustomerAt ?? 0) < SESSION_MAX_MS;
}

/** Whether a WeCom servicer holds the session (mode human, changed less than 48 h ago). */
export function humanHolds(c: CustomerState, now: number): boolean {
  return c.mode === 'human' && now - c.modeSince < SESSION_MAX_MS;
}
