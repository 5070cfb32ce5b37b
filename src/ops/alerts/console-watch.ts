/**
 * Whether anyone has the operator console open, on any instance: every open console page holds
 * the live feed's event stream (src/console/live.ts), and while one does its instance writes "seen
 * now" into the shared cache (Redis with several instances) at most every 10 s. The
 * handoff_waiting alert reads it: a customer waits for the console and nobody is looking.
 */
import type Keyv from 'keyv';

const KEY = 'console:seen';
const NOTE_EVERY_MS = 10_000;
const TTL_MS = 10 * 60_000;

export class ConsoleWatch {
  private notedAt = 0;

  constructor(
    private readonly cache: Keyv,
    private readonly now: () => number = Date.now,
  ) {}

  /** A console page is open here now. A Map check on most calls; the cache write is not awaited. */
  note(): void {
    const now = this.now();
    if (now - this.notedAt < NOTE_EVERY_MS) return;
    this.notedAt = now;
    this.cache.set(KEY, now, TTL_MS).catch(() => {
      // The cache is down: nobody seems to look, and the alert errs towards telling.
    });
  }

  /** When a console page was last seen open on any instance (ms), null when not within 10 minutes. */
  async seenAt(): Promise<number | null> {
    // The cache down reads as "nobody seen": the alert errs towards telling.
    const v: unknown = await this.cache.get(KEY).catch(() => null);
    return typeof v === 'number' ? v : null;
  }
}
