/**
 * When a condition's alert starts and ends, as a pure function of its stored row and what this
 * round saw. Hysteresis both ways: it must hold for its hold time before it fires (a blip is not
 * an incident), and a firing alert must be seen clear for `clearHoldMs` before it resolves (an
 * instance that happens to see it clear once does not end it). One alert when it starts, one when
 * it clears: what was sent is tracked separately (`sent`), so a flap is never a flood.
 */
import type { AlertChange, AlertRow } from '../../store/alert-types.js';

export interface Decision {
  change: AlertChange;
  /** The alert starts (→ firing) or ends (firing → ok): its text is (re)written. */
  edge?: 'fires' | 'resolves';
}

/**
 * The change to write, or null when the row stays as it is. `active` undefined: this round could
 * not tell (a probe or a read failed), so nothing changes.
 */
export function decide(
  row: Pick<AlertRow, 'state' | 'since' | 'clearSince'>,
  active: boolean | undefined,
  now: number,
  holdMs: number,
  clearHoldMs: number,
): Decision | null {
  if (active === undefined) return null;
  switch (row.state) {
    case 'ok':
      if (!active) return null;
      return holdMs <= 0
        ? { change: { state: 'firing', since: now, clearSince: 0 }, edge: 'fires' }
        : { change: { state: 'pending', since: now, clearSince: 0 } };
    case 'pending':
      if (!active) return { change: { state: 'ok', since: 0, clearSince: 0 } };
      return now - row.since >= holdMs
        ? { change: { state: 'firing', since: row.since, clearSince: 0 }, edge: 'fires' }
        : null;
    case 'firing':
      if (active)
        return row.clearSince ? { change: { state: 'firing', since: row.since, clearSince: 0 } } : null;
      if (!row.clearSince) return { change: { state: 'firing', since: row.since, clearSince: now } };
      return now - row.clearSince >= clearHoldMs
        ? { change: { state: 'ok', since: row.since, clearSince: row.clearSince }, edge: 'resolves' }
        : null;
  }
}

/** What the channel must be told about this row now, if anything. */
export function dueMessage(row: Pick<AlertRow, 'state' | 'sent'>): 'firing' | 'resolved' | null {
  if (row.state === 'firing' && row.sent !== 'firing') return 'firing';
  if (row.state !== 'firing' && row.sent === 'firing') return 'resolved';
  return null;
}
