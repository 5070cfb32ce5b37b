import type { PipelineMetrics } from './metric-events.js';
import type { Logger } from '../log/logger.js';
import type { Coordinator } from '../store/coordination/types.js';
import type { NewInboxMessage, Store } from '../store/types.js';
import type { SyncMsgPage } from '../wecom/types.js';
import { backoffMs } from '../util/backoff.js';
import { classify, HISTORY_GRACE_MS } from './classify.js';
import { applyEvents } from './events.js';
import type { KfAccountGate } from './kf-accounts.js';
import { wecomErrcodeOf } from './ports.js';

export interface SyncSource {
  syncMsg(req: { openKfId: string; cursor?: string; token?: string; limit?: number }): Promise<SyncMsgPage>;
}

/** How long a pull lock lives without renewal (a dead holder's lock is gone after this). */
const PULL_LOCK_MS = 15_000;
const RECHECK_MS = 1_000;
/** Pause before a follow-up pull of the same account (adds at most this much to a reply). */
const PULL_GAP_MS = 50;
/**
 * Least time between the starts of two pulls of an account when the next callback came after the
 * last pull had ended. Under a steady stream of callbacks, each arriving after a quick pull had
 * ended used to start a pull of its own (~100 sync_msg calls a second at 10,000 callbacks a second,
 * against WeCom's frequency limit and at the pipeline's CPU cost); now that stream costs at most 40.
 * Shorter than PULL_GAP_MS so that a customer's next message, written after the reply to the last,
 * is not held back (those arrive tens of ms after the pull that found the last one).
 */
const PULL_MIN_INTERVAL_MS = 25;

interface AccountState {
  running: boolean;
  again: boolean;
  token?: string;
  reqId?: string;
  failures: number;
  /** The backoff after a failure, or the check that another instance's pull happened. */
  timer?: NodeJS.Timeout;
  /** The next pull, due PULL_MIN_INTERVAL_MS after the last one started. */
  gapTimer?: NodeJS.Timeout;
  /** performance.now() when the last pull of this account started. */
  lastStartedAt: number;
}

/**
 * Pulls kf/sync_msg for one open_kfid at a time: callbacks only say "pull now", so many of them
 * coalesce into one pull in flight per account plus at most one more after it. Each page's
 * messages and next_cursor are committed together, so a crash after a commit loses nothing and
 * a crash before it just pulls the page again.
 */
export class Puller {
  private accounts = new Map<string, AccountState>();
  private stopped = false;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      store: Store;
      wecom: SyncSource;
      coordinator: Coordinator;
      logger: Logger;
      onStored: () => void;
      /** Each committed page's messages (after the commit; must not throw or wait). */
      onPage?: (messages: NewInboxMessage[]) => void;
      retryBaseMs?: number;
      now?: () => number;
      /** Counts pulls for /metrics. */
      metrics?: PipelineMetrics;
      /** Which open_kfids may be pulled (absent: all, for tests of the puller alone). */
      gate?: KfAccountGate;
    },
  ) {}

  private now() {
    return this.deps.now?.() ?? Date.now();
  }

  /**
   * Asks for a pull of this account; returns at once. An account not yet confirmed as this app's
   * is pulled once the gate confirms it (now, or when WeCom's account list answers again);
   * an unknown one is never pulled and never stored.
   */
  schedule(openKfId: string, token?: string, reqId?: string): void {
    if (this.stopped) return;
    const gate = this.deps.gate;
    if (gate && !gate.isValid(openKfId)) {
      gate.whenValid(openKfId, () => this.schedule(openKfId, token, reqId));
      return;
    }
    let st = this.accounts.get(openKfId);
    if (!st) {
      st = { running: false, again: false, failures: 0, lastStartedAt: -Infinity };
      this.accounts.set(openKfId, st);
    }
    if (token) st.token = token;
    if (reqId) st.reqId = reqId;
    if (st.running) {
      st.again = true;
      return;
    }
    // After a failure the backoff stands: a flood of callbacks must not turn into a flood of pulls
    // against a WeCom that is failing (the timer pulls, with the newest Token).
    if (st.timer && st.failures > 0) return;
    // A pull is already due at the end of the interval (it takes the newest Token).
    if (st.gapTimer) return;
    const wait = st.lastStartedAt + PULL_MIN_INTERVAL_MS - performance.now();
    if (wait > 0) {
      st.gapTimer = setTimeout(() => {
        st.gapTimer = undefined;
        this.schedule(openKfId);
      }, wait);
      st.gapTimer.unref?.();
      return;
    }
    if (st.timer) {
      clearTimeout(st.timer);
      st.timer = undefined;
    }
    st.running = true;
    const p = this.run(openKfId, st).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /**
   * Pulls every account we know once: what was acknowledged before a crash is picked up here.
   * An account WeCom already answered for (it has a cursor) needs no list; one that never did and
   * that WeCom's list does not name (junk from an older wxcoze that stored any callback's
   * open_kfid) is not pulled, and removed from the store when no message refers to it.
   */
  async pullAllKnown(): Promise<void> {
    const { store, gate, logger } = this.deps;
    for (const a of await store.listAccounts()) {
      if (!gate) {
        this.schedule(a.openKfId, undefined, 'startup');
        continue;
      }
      if (a.cursor) gate.markProven(a.openKfId);
      gate.whenValid(
        a.openKfId,
        () => this.schedule(a.openKfId, undefined, 'startup'),
        () => {
          store
            .forgetAccount(a.openKfId)
            .then((removed) => {
              if (removed)
                logger.warn(
                  { openKfId: JSON.stringify(a.openKfId.slice(0, 80)) },
                  'stored account is not an account of this app and has no messages: removed',
                );
            })
            .catch((err: unknown) =>
              logger.warn(
                { err: { message: (err as Error).message } },
                "could not remove a stored account that is not this app's; trying again at the next start",
              ),
            );
        },
      );
    }
  }

  private async run(openKfId: string, st: AccountState): Promise<void> {
    const log = this.deps.logger.child({ reqId: st.reqId, openKfId });
    const { coordinator } = this.deps;
    const againKey = `pull-again:${openKfId}`;
    try {
      // Across instances one pull per account: the lock expires if its holder dies. A pull that
      // finds the lock taken raises a flag the holder honours before it lets go.
      const res = await coordinator.tryWithLock(`pull:${openKfId}`, PULL_LOCK_MS, async () => {
        await coordinator.takeFlag(againKey);
        for (
          let first = true;
          first || (!this.stopped && (st.again || (await coordinator.takeFlag(againKey))));
          first = false
        ) {
          // Callbacks that arrive during a pull ask for one more; a short gap lets a burst of them
          // be served by that one pull instead of a pull per callback.
          if (!first) await new Promise((r) => setTimeout(r, PULL_GAP_MS));
          st.again = false;
          await this.pullOnce(openKfId, st, log);
          this.deps.metrics?.count('pulls', ['ok']);
          st.failures = 0;
        }
      });
      if (!res.acquired) {
        this.deps.metrics?.count('pulls', ['elsewhere']);
        await coordinator.setFlag(againKey, 10 * PULL_LOCK_MS);
        log.debug('another instance is pulling this account; it will pull again for us');
        this.recheck(openKfId, st, againKey);
        return;
      }
      await this.deps.store.recordPull(openKfId, null, this.now());
    } catch (err) {
      this.deps.metrics?.count('pulls', ['error']);
      st.failures += 1;
      const msg = (err as Error).message;
      log.warn(
        { err: { message: msg, errcode: wecomErrcodeOf(err) }, failures: st.failures },
        'pull failed; will retry',
      );
      await this.deps.store.recordPull(openKfId, msg, this.now()).catch(() => {});
      if (!this.stopped) {
        const delay = backoffMs(st.failures, { baseMs: this.deps.retryBaseMs ?? 1000, capMs: 60_000 });
        st.timer = setTimeout(() => {
          st.timer = undefined;
          this.schedule(openKfId);
        }, delay);
        st.timer.unref?.();
      }
    } finally {
      st.running = false;
      if (st.again && !this.stopped && !st.timer) this.schedule(openKfId);
    }
  }

  /** If the flag is still up later, the holder did not take it (it died): try again. */
  private recheck(openKfId: string, st: AccountState, againKey: string): void {
    st.timer = setTimeout(() => {
      st.timer = undefined;
      this.deps.coordinator
        .hasFlag(againKey)
        .then(
          (up) => {
            if (up) this.schedule(openKfId);
          },
          () => this.schedule(openKfId),
        )
        .catch((err: unknown) =>
          this.deps.logger.error(
            { openKfId, err: { message: (err as Error).message } },
            'pull-again check failed',
          ),
        );
    }, RECHECK_MS);
    st.timer.unref?.();
  }

  private async pullOnce(openKfId: string, st: AccountState, log: Logger): Promise<void> {
    st.lastStartedAt = performance.now();
    const { store, wecom } = this.deps;
    const account = await store.touchAccount(openKfId, this.now());
    // A first pull (no cursor) returns up to 3 days of history: whatever was sent before wxcoze
    // first saw this account is recorded, never answered. Applied on every pull, so a lost cursor
    // cannot bring old messages back either.
    const historyBefore = account.firstSeenAt - HISTORY_GRACE_MS;
    let cursor = account.cursor ?? undefined;
    for (let page = 0; !this.stopped; page++) {
      let res: SyncMsgPage;
      try {
        res = await wecom.syncMsg({ openKfId, cursor, token: st.token, limit: 1000 });
      } catch (err) {
        // 95007: the callback Token expired (10 min). Pull without it rather than fail.
        const errcode = wecomErrcodeOf(err);
        if (errcode === 95007 && st.token) {
          st.token = undefined;
          res = await wecom.syncMsg({ openKfId, cursor, limit: 1000 });
        } else if (errcode === 40058 && cursor) {
          // WeCom no longer takes the stored cursor (older than its 3-day window, say): start over.
          // Nothing is answered twice (msgids are unique in the inbox) and history stays history.
          log.warn('WeCom refused the stored cursor; pulling from the start of its 3-day window');
          cursor = undefined;
          res = await wecom.syncMsg({ openKfId, cursor, token: st.token, limit: 1000 });
        } else throw err;
      }
      const messages = res.msg_list.map((m) =>
        classify({ ...m, open_kfid: m.open_kfid ?? openKfId }, historyBefore),
      );
      const nextCursor = res.next_cursor || cursor || '';
      // An empty page that leaves the cursor where it was (an idle pull, the pull after a burst) has
      // nothing to commit: no transaction for it.
      const { inserted, duplicates } =
        messages.length || nextCursor !== cursor
          ? await store.commitPage(openKfId, nextCursor, messages, this.now())
          : { inserted: 0, duplicates: 0 };
      await applyEvents(store, messages, log, this.now());
      if (inserted > 0) this.deps.onPage?.(messages);
      // An empty page (an idle pull that found nothing, once a minute per account) is not news.
      log[res.msg_list.length ? 'info' : 'debug'](
        { page, received: res.msg_list.length, inserted, duplicates, hasMore: res.has_more },
        'sync_msg page stored',
      );
      for (const m of messages) log.debug({ msgid: m.msgid, state: m.state, note: m.note }, 'message stored');
      if (inserted > 0) this.deps.onStored();
      cursor = nextCursor;
      if (!res.has_more) break;
    }
  }

  /** Stops scheduling new pulls and waits for the ones in flight (each ends after its current page). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.gate?.stop();
    for (const st of this.accounts.values()) {
      if (st.timer) clearTimeout(st.timer);
      if (st.gapTimer) clearTimeout(st.gapTimer);
    }
    await Promise.allSettled([...this.inFlight]);
  }
}
