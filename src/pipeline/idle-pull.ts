/**
 * Nothing missed while down: a callback can be lost (the server restarting, a network blip, the
 * proxy down) and WeCom does not send it again, so the message would wait for the next callback
 * of that account. When an account has not been pulled for `intervalMs` (no callback came), one
 * `sync_msg` is made anyway; a message whose callback was lost is answered within about that time.
 *
 * Across instances it must not multiply: the last pull time is the store's (`accounts.last_pull_at`,
 * written by every instance's pulls), and the decision to pull an idle account is taken under the
 * coordinator's lock `idle-pull:<open_kfid>`, which records the moment in the shared cache; an
 * instance that finds a recent mark there leaves the account alone. So an idle account gets one
 * pull per interval, whichever instances run.
 */
import type { Logger } from '../log/logger.js';
import type { Coordinator } from '../store/coordination/types.js';
import type { Store } from '../store/types.js';

/** What asks for a pull (the Puller): coalesced with pulls in flight, gated by the known accounts. */
export interface PullRequester {
  schedule(openKfId: string, token?: string, reqId?: string): void;
}

/** How long the claim lock may live (a dead holder's lock is gone after this). */
const CLAIM_LOCK_MS = 10_000;

export class IdlePull {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly checkMs: number;
  private readonly log: Logger;
  private readonly startedAt: number;

  constructor(
    private readonly deps: {
      store: Pick<Store, 'listAccounts'>;
      coordinator: Pick<Coordinator, 'tryWithLock' | 'cache'>;
      puller: PullRequester;
      /** Accounts the configuration names: looked after even before their first pull is stored. */
      configured?: string[];
      /** An account not pulled for this long is pulled (ms, > 0). */
      intervalMs: number;
      logger: Logger;
      now?: () => number;
    },
  ) {
    // Looked at a few times per interval (at most every 5 s), so a pull comes at most that late.
    this.checkMs = Math.max(100, Math.min(5_000, Math.floor(deps.intervalMs / 4)));
    this.log = deps.logger.child({ component: 'idle-pull' });
    this.startedAt = this.now();
  }

  private now() {
    return this.deps.now?.() ?? Date.now();
  }

  start(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.check()
        .catch((err: unknown) =>
          // The store or Redis failing: the pipeline's own errors say so; try again next time.
          this.log.debug({ err: { message: (err as Error).message } }, 'idle check failed'),
        )
        .finally(() => {
          this.running = undefined;
          this.start();
        });
    }, this.checkMs);
    this.timer.unref?.();
  }

  /** One look at every account: the idle ones get a pull (one instance decides per interval). */
  async check(): Promise<void> {
    const { store, intervalMs } = this.deps;
    const accounts = (await store.listAccounts()).map((a) => ({
      openKfId: a.openKfId,
      // Never pulled to the end yet (its first pull may be in flight): idle from when it was first seen.
      lastPullAt: a.lastPullAt ?? a.firstSeenAt,
    }));
    for (const id of this.deps.configured ?? [])
      if (!accounts.some((a) => a.openKfId === id))
        accounts.push({ openKfId: id, lastPullAt: this.startedAt });
    for (const a of accounts) {
      if (this.stopped) return;
      if (this.now() - a.lastPullAt < intervalMs) continue;
      if (await this.claim(a.openKfId)) {
        this.log.debug({ openKfId: a.openKfId, lastPullAt: a.lastPullAt }, 'no pull for a while: pulling');
        this.deps.puller.schedule(a.openKfId, undefined, 'idle-pull');
      }
    }
  }

  /** True for the one instance that takes this interval's pull of the account. */
  private async claim(openKfId: string): Promise<boolean> {
    const { coordinator, intervalMs } = this.deps;
    const key = `idle-pull:${openKfId}`;
    const res = await coordinator.tryWithLock(key, CLAIM_LOCK_MS, async () => {
      const at = (await coordinator.cache.get(key)) as number | undefined;
      if (typeof at === 'number' && this.now() - at < intervalMs) return false;
      await coordinator.cache.set(key, this.now(), intervalMs * 3);
      return true;
    });
    return res.acquired && res.value;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
