/**
 * Warnings that people outside can trigger (rejected callbacks, timed-out connections) must not
 * grow the log without bound: at most `perWindow` lines per reason per window; the first line of a
 * later window says how many were suppressed meanwhile. The counters in /metrics see every one.
 */
import type { Logger } from './logger.js';

interface Slot {
  windowStart: number;
  logged: number;
  suppressed: number;
}

export class WarnLimiter {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly perWindow = 10,
    private readonly windowMs = 60_000,
    private readonly now = () => Date.now(),
  ) {}

  /** Logs `msg` at warn unless this reason already did `perWindow` times in the current window. */
  warn(log: Pick<Logger, 'warn'>, reason: string, fields: Record<string, unknown>, msg: string): void {
    this.emit((f, m) => log.warn(f, m), reason, fields, msg);
  }

  /** The same limit for news that is good but can come in floods (a limit raised step by step). */
  info(log: Pick<Logger, 'info'>, reason: string, fields: Record<string, unknown>, msg: string): void {
    this.emit((f, m) => log.info(f, m), reason, fields, msg);
  }

  private emit(
    write: (fields: Record<string, unknown>, msg: string) => void,
    reason: string,
    fields: Record<string, unknown>,
    msg: string,
  ): void {
    const t = this.now();
    let slot = this.slots.get(reason);
    if (!slot) {
      // Reasons are a small fixed set; the cap only guards against a caller passing free text.
      if (this.slots.size >= 100) this.slots.clear();
      slot = { windowStart: t, logged: 0, suppressed: 0 };
      this.slots.set(reason, slot);
    }
    let suppressedBefore = 0;
    if (t - slot.windowStart >= this.windowMs) {
      suppressedBefore = slot.suppressed;
      slot.windowStart = t;
      slot.logged = 0;
      slot.suppressed = 0;
    }
    if (slot.logged >= this.perWindow) {
      slot.suppressed++;
      return;
    }
    slot.logged++;
    write(
      { ...fields, reason, ...(suppressedBefore ? { suppressed: suppressedBefore } : {}) },
      suppressedBefore ? `${msg} (${suppressedBefore} more like it were not logged)` : msg,
    );
  }
}
