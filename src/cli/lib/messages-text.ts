import { INBOX_STATES } from '../../store/types.js';

/**
 * The last 24 hours' messages in one line, for status, update and doctor:
 * "last 24 h: 312 done, 2 failed" (states with none left out).
 */
export function last24hText(counts: Record<string, number>): string {
  const parts = INBOX_STATES.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${counts[s]} ${s}`);
  return `last 24 h: ${parts.length ? parts.join(', ') : 'none'}`;
}
