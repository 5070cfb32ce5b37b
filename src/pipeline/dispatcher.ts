import { randomBytes } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import type { InboxItem, Store } from '../store/types.js';

export interface DispatcherOptions {
  store: Store;
  owner: string;
  concurrency: number;
  leaseMs: number;
  /** A lease whose owner's heartbeat is older than this is claimable (see Heartbeat). */
  takeoverMs?: number;
  logger: Logger;
  process: (item: InboxItem, log: Logger, signal: AbortSignal) => Promise<void>;
  /** Longest sleep between looks at the inbox, for leases freed by other processes. */
  idlePollMs?: number;
}

/** Most messages leased in one look at the inbox. */
const CLAIM_BATCH = 32;
const WAKE_LOOKUP_MS = 250;

interface Active {
  item: InboxItem;
  abort: AbortController;
  done: Promise<void>;
}

/**
 * Feeds leased inbox messages to workers: as many customers in parallel as `concurrency`
 * allows, each customer's messages in order (the store never leases a message whose elder
 * sibling is unfinished). Leases are renewed while a worker runs, so a slow Coze answer is not
 * taken over; a worker whose process died simply stops renewing and its message is taken up again.
 */
export class Dispatcher {
  private active = new Map<string, Active>();
  private ticking = false;
  private again = false;
  private stopped = true;
  private timer?: NodeJS.Timeout;
  private pending = false;
  private lastWakeLookup = 0;
  private renewTimer?: NodeJS.Timeout;

  constructor(private readonly o: DispatcherOptions) {}

  get inFlight(): number {
    return this.active.size;
  }

  start(): void {
    this.stopped = false;
    this.renewTimer = setInterval(
      () => {
        this.renewLeases().catch((err: unknown) =>
          this.o.logger.error(
            { err: { message: (err as Error).message } },
            'lease renewal failed; retrying at the next interval',
          ),
        );
      },
      Math.max(250, Math.floor(this.o.leaseMs / 3)),
    );
    this.renewTimer.unref?.();
    this.kick();
  }

  /**
   * Looks at the inbox soon (new messages stored, a worker finished). Cheap to call often: kicks
   * in the same turn of the event loop share one look, taken after pending I/O (callbacks first).
   */
  kick(): void {
    if (this.stopped || this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      if (this.ticking) {
        this.again = true;
        return;
      }
      this.ticking = true;
      // tick() catches its own errors; the catch here is for a throw from its logger.
      this.tick()
        .catch(() => {})
        .finally(() => {
          this.ticking = false;
          if (this.again) {
            this.again = false;
            this.kick();
          }
        });
    });
  }

  private async tick(): Promise<void> {
    try {
      const room = this.o.concurrency - this.active.size;
      let short = true;
      if (room > 0) {
        // Claim in batches, yielding between them, so a backlog never starves the callback route.
        const limit = Math.min(room, CLAIM_BATCH);
        const items = await this.o.store.claim({
          owner: this.o.owner,
          leaseMs: this.o.leaseMs,
          limit,
          now: Date.now(),
          ...(this.o.takeoverMs === undefined ? {} : { takeoverMs: this.o.takeoverMs }),
        });
        // A message already being worked here (its lease expired while we ran it) keeps its one worker.
        for (const item of items) if (!this.active.has(item.msgid)) this.run(item);
        if (items.length === limit) {
          this.again = true;
          short = false;
        }
      }
      if (short) await this.scheduleWake();
    } catch (err) {
      this.o.logger.error(
        { err: { message: (err as Error).message } },
        'inbox claim failed; retrying shortly',
      );
      this.arm(1000);
    }
  }

  /**
   * Arms the timer for work no worker of ours will announce: retries coming due, leases of other
   * (maybe dead) instances expiring, and the moment such an instance's heartbeat goes stale. Looked up at most every WAKE_LOOKUP_MS: our own workers
   * kick on finishing, so a backlog does not need this query after every message.
   */
  private async scheduleWake(): Promise<void> {
    const now = Date.now();
    if (now - this.lastWakeLookup < WAKE_LOOKUP_MS && this.timer) return;
    this.lastWakeLookup = now;
    const next = await this.o.store.nextWakeAt(now, this.o.takeoverMs);
    const idle = this.o.idlePollMs ?? 5000;
    this.arm(next === null ? idle : Math.min(idle, Math.max(10, next - Date.now())));
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), ms);
    this.timer.unref?.();
  }

  private run(item: InboxItem): void {
    const abort = new AbortController();
    const log = this.o.logger.child({
      reqId: `job-${randomBytes(4).toString('hex')}`,
      msgid: item.msgid,
      openKfId: item.openKfId,
      externalUserId: item.externalUserId,
    });
    // A first attempt is the usual case and 'coze answered' / 'message finished' follow it: said at
    // info only when it is news (a retry, or a reply resumed after a restart). Lines cost CPU per message.
    const resumed = item.attempts > 1 || item.state !== 'received';
    log[resumed ? 'info' : 'debug'](
      { state: item.state, attempt: item.attempts, msgtype: item.msgtype },
      'message taken up',
    );
    const done = this.o
      .process(item, log, abort.signal)
      .catch(async (err) => {
        log.error(
          { err: { message: (err as Error).message, stack: (err as Error).stack } },
          'worker failed; the message will be retried',
        );
        await this.o.store
          .deferRetry(
            item.msgid,
            this.o.owner,
            Date.now() + 5000,
            `worker error: ${(err as Error).message}`,
            Date.now(),
          )
          .catch(() => {});
      })
      .finally(() => {
        this.active.delete(item.msgid);
        this.kick();
      });
    this.active.set(item.msgid, { item, abort, done });
  }

  private async renewLeases(): Promise<void> {
    if (!this.active.size) return;
    const now = Date.now();
    // One statement for all our workers' leases (not one round trip each).
    const lost = await this.o.store.extendLeases(
      [...this.active.keys()],
      this.o.owner,
      now + this.o.leaseMs,
      now,
    );
    for (const msgid of lost) {
      const a = this.active.get(msgid);
      if (!a || a.abort.signal.aborted) continue;
      this.o.logger.warn(
        { msgid },
        'lease lost (another worker took the message over); stopping this worker',
      );
      a.abort.abort();
    }
  }

  /**
   * Stops taking messages, lets in-flight ones finish for up to `drainMs`, then aborts the rest
   * and gives their leases back so the next start (or another instance) continues at once.
   */
  async stop(drainMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const all = () => Promise.allSettled([...this.active.values()].map((a) => a.done));
    const timedOut = await Promise.race([
      all().then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), drainMs).unref?.()),
    ]);
    if (timedOut) {
      const left = [...this.active.values()];
      for (const a of left) a.abort.abort();
      await all();
      for (const a of left) await this.o.store.releaseLease(a.item.msgid, this.o.owner).catch(() => {});
      this.o.logger.info({ released: left.length }, 'leases of unfinished messages released');
    }
    if (this.renewTimer) clearInterval(this.renewTimer);
  }
}
