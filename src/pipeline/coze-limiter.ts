/**
 * How many Coze chats run at once, adapted to what Coze accepts (AIMD, as TCP does): the limit
 * grows by one for each chat Coze accepts while callers are waiting for a slot (additive increase),
 * and halves, from what was really in flight, when Coze answers with throttling (multiplicative
 * decrease), never below `floor` nor above `ceiling`. After a throttling answer nobody starts a
 * chat for a pause that grows while throttling lasts and resets at the next accepted chat.
 *
 * "Accepted" is Coze's first stream event (its answer to the request itself), not the end of the
 * answer: a throttling refusal arrives at that point, so the limit learns in one request's round
 * trip instead of one answer's length (5 s and more), and a cold start reaches the ceiling in a
 * fraction of a second when Coze keeps up.
 *
 * Only rules and a wait queue: no I/O, no logging (the caller gets `onChange`), a clock for tests.
 */
import { backoffMs } from '../util/backoff.js';

export interface CozeLimiterOptions {
  /** The limit before anything is known. */
  initial: number;
  floor: number;
  ceiling: number;
  /** First pause after a throttling answer; doubles per throttled round, up to `pauseCapMs`. */
  pauseBaseMs: number;
  pauseCapMs: number;
  /** Called when the limit changes (metrics, logs). */
  onChange?: (change: LimitChange) => void;
  /** Called for every throttled chat, echoes included (a counter). */
  onThrottled?: () => void;
  now?: () => number;
  random?: () => number;
}

export interface LimitChange {
  from: number;
  to: number;
  direction: 'lowered' | 'raised';
  /** For `lowered`: how long nobody starts a chat. */
  pauseMs?: number;
}

/** One chat's place under the limit: tell it when Coze accepted, then release it once. */
export interface Slot {
  accepted(): void;
  release(outcome: 'done' | 'throttled' | 'failed'): void;
}

interface Waiter {
  resolve: (slot: Slot) => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class CozeLimiter {
  private current: number;
  private running = 0;
  private readonly queue: Waiter[] = [];
  private pausedUntil = 0;
  private throttledRounds = 0;
  /** Bumped by each decrease: only slots taken after it can cause the next one (once per round trip). */
  private epoch = 0;
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly o: CozeLimiterOptions) {
    if (o.floor < 1 || o.ceiling < o.floor) throw new Error('CozeLimiter: need 1 ≤ floor ≤ ceiling');
    this.current = clamp(o.initial, o.floor, o.ceiling);
    this.now = o.now ?? Date.now;
  }

  /** Chats allowed at once now. */
  get limit(): number {
    return this.current;
  }

  get inFlight(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Waits for a slot (in order of asking; `first` puts a throttled chat back at the head of the
   * line). Rejects only when `signal` aborts.
   */
  acquire(signal?: AbortSignal, first = false): Promise<Slot> {
    if (signal?.aborted) return Promise.reject(abortError());
    if (!this.queue.length && this.canStart()) return Promise.resolve(this.take());
    return new Promise<Slot>((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const i = this.queue.indexOf(w);
          if (i >= 0) this.queue.splice(i, 1);
          reject(abortError());
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      if (first) this.queue.unshift(w);
      else this.queue.push(w);
      this.pump();
    });
  }

  /** Cancels the pause timer (shutdown); waiters still leave through their signals. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private canStart(): boolean {
    return this.running < this.current && this.now() >= this.pausedUntil;
  }

  private take(): Slot {
    this.running++;
    const epoch = this.epoch;
    let accepted = false;
    let released = false;
    return {
      accepted: () => {
        if (accepted || released) return;
        accepted = true;
        this.onAccepted(epoch);
      },
      release: (outcome) => {
        if (released) return;
        released = true;
        if (outcome === 'throttled') this.onThrottled(epoch);
        else if (outcome === 'done' && !accepted) this.onAccepted(epoch);
        this.running--;
        this.pump();
      },
    };
  }

  private onAccepted(epoch: number): void {
    // A chat started before the last decrease says nothing about the lowered limit.
    if (epoch !== this.epoch) return;
    this.throttledRounds = 0;
    // Grow only when the limit is what holds callers back: an idle limit proves nothing about Coze.
    if (this.current < this.o.ceiling && (this.queue.length > 0 || this.running >= this.current)) {
      this.set(this.current + 1);
      this.pump();
    }
  }

  private onThrottled(epoch: number): void {
    this.o.onThrottled?.();
    // Refusals of chats started before the last decrease are echoes of the same overload.
    if (epoch !== this.epoch) return;
    this.epoch++;
    this.throttledRounds++;
    const pauseMs = backoffMs(
      this.throttledRounds,
      { baseMs: this.o.pauseBaseMs, capMs: this.o.pauseCapMs },
      this.o.random,
    );
    this.pausedUntil = this.now() + pauseMs;
    // Halve what Coze really had from us (running counts this chat), not a limit it never saw.
    const to = clamp(Math.floor(Math.min(this.current, this.running) / 2), this.o.floor, this.o.ceiling);
    this.set(to, pauseMs);
  }

  private set(to: number, pauseMs?: number): void {
    const from = this.current;
    this.current = to;
    if (to === from && pauseMs === undefined) return;
    this.o.onChange?.({
      from,
      to,
      direction: to > from ? 'raised' : 'lowered',
      ...(pauseMs !== undefined ? { pauseMs } : {}),
    });
  }

  private pump(): void {
    while (this.queue.length && this.canStart()) {
      const w = this.queue.shift()!;
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      w.resolve(this.take());
    }
    const wait = this.pausedUntil - this.now();
    if (this.queue.length && wait > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      this.timer.unref?.();
    }
  }
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

function abortError(): Error {
  const e = new Error('aborted while waiting for a Coze slot');
  e.name = 'AbortError';
  return e;
}
