/**
 * What the alerts (src/ops/alerts/) keep in the store and read from it: each condition's state,
 * shared by every instance, and the few facts about the inbox the conditions look at. Implemented
 * once for both engines in src/store/sql/alerts.ts (migration 11).
 */

/** ok: not seen; pending: seen, not yet for long enough; firing: the alert is on. */
export type AlertCondition = 'ok' | 'pending' | 'firing';

export interface AlertRow {
  alert: string;
  state: AlertCondition;
  /** When the condition was first seen in this episode (ms; 0 when ok). */
  since: number;
  /** Firing, but seen clear since then (ms; 0 when not). */
  clearSince: number;
  /** The firing's description as stored (JSON), for its recovery message. */
  detail: string | null;
  /** What the channel was last told. */
  sent: 'firing' | 'resolved';
  sentAt: number;
  /** Failed sends in a row, and when the next try may be made (ms). */
  sendAttempts: number;
  nextSendAt: number;
  version: number;
}

/** A change of state, written only if the row is still at the version it was decided on. */
export interface AlertChange {
  state: AlertCondition;
  since: number;
  clearSince: number;
  /** Omitted: left as it is. */
  detail?: string | null;
}

/** The inbox as the conditions see it. */
export interface AlertInboxFacts {
  /** When the oldest message still waiting for its reply was stored (ms), or null when none waits. */
  oldestPendingAt: number | null;
  /** Messages failed for good (not dismissed in the console) since the window's start. */
  failed: { count: number; lastAt: number | null; lastNote: string | null };
  /**
   * The newest message Coze answered or failed since the window's start: ok, or the note of its
   * failure (`failed: coze <kind> <code>: …`). Null when none.
   */
  cozeOutcome: { ok: boolean; note: string | null; at: number } | null;
}

export interface AlertsStore {
  /** Every condition's row (the `~rate` row left out). */
  list(): Promise<AlertRow[]>;
  /** Creates the rows that do not exist yet (state ok). */
  ensure(alerts: string[], now: number): Promise<void>;
  /** Writes `change` if the row is still at `version` (compare-and-set); false when another instance moved it first. */
  transition(alert: string, version: number, change: AlertChange, now: number): Promise<boolean>;
  /**
   * Claims the sending of the row's due message (its state and what was last sent differ, no other
   * claim holds, no backoff waits); true for exactly one of several instances claiming at once.
   */
  claimSend(alert: string, owner: string, now: number, leaseMs: number): Promise<boolean>;
  /** The claimed message went out: records what the channel now knows. */
  finishSend(alert: string, owner: string, sent: 'firing' | 'resolved', now: number): Promise<void>;
  /** The claimed message did not go out: try again at `nextAt`. */
  failSend(alert: string, owner: string, nextAt: number, now: number): Promise<void>;
  /** Gives the claim back untried (the minute's sends are used up). */
  releaseSend(alert: string, owner: string): Promise<void>;
  /** Takes one of `perMinute` sends of the current minute, across instances; false when none is left. */
  reserveSend(now: number, perMinute: number): Promise<boolean>;
  /** `failedSince` and `cozeSince`: the windows' starts (ms). */
  inboxFacts(opts: { failedSince: number; cozeSince: number }): Promise<AlertInboxFacts>;
}
