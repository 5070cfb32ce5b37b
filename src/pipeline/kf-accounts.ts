/**
 * Which open_kfids wxcoze pulls. A signed callback only proves it came from WeCom for this corp,
 * not that its open_kfid is an account this app serves: anything else would become an account
 * pulled with backoff forever. Accepted are the accounts WeCom lists for this app (kf/account/list,
 * with manage_privilege) and the ones the configuration names (WECOM_OPEN_KFID, WXCOZE_ACCOUNTS);
 * an account whose sync_msg already succeeded once (a stored cursor) is WeCom's own confirmation.
 *
 * The list is cached in the shared cache (Redis with several instances, like the access token)
 * and refreshed when an unknown id arrives, at most once a minute. An id the refreshed list does
 * not name is logged once and ignored. While the list cannot be fetched (WeCom down, or fetched
 * too recently to ask again) the id is deferred, not dropped: it is checked again when the next
 * list call is allowed, and pulled once the list confirms it (a bounded number wait). The shape of an id is never taken as proof
 * (anyone with the callback key could send a well-shaped made-up id); it only spares WeCom a list
 * call for ids that cannot be real (`__proto__`, `../../etc/passwd`).
 */
import type Keyv from 'keyv';
import type { Logger } from '../log/logger.js';
import { backoffMs } from '../util/backoff.js';
import { wecomErrcodeOf } from './ports.js';

export interface AccountLister {
  listAccounts(): Promise<{ open_kfid: string; manage_privilege?: boolean }[]>;
}

export type Verdict = 'valid' | 'unknown' | 'wait';

interface CachedList {
  ids: string[];
  fetchedAt: number;
}

/** WeCom's open_kfid: `wk` and URL-safe characters (32 in every sample). */
const KF_ID_SHAPE = /^wk[A-Za-z0-9_-]{6,62}$/;
/** The list is kept this long in the shared cache. */
const LIST_TTL_MS = 10 * 60_000;
/** Bounds on what outsiders can make us remember. */
const MAX_LOGGED = 200;
const MAX_DEFERRED = 100;

export class KfAccountGate {
  private readonly valid = new Set<string>();
  private readonly logged = new Set<string>();
  private suppressedLogged = false;
  private readonly deferred = new Map<string, { onValid: () => void; onUnknown?: () => void }>();
  private deferTimer?: NodeJS.Timeout;
  /** No list call before this (a minute after a success, a backoff step after a failure). */
  private nextRefreshAt = -Infinity;
  private failures = 0;
  private inflight?: Promise<CachedList | undefined>;
  private stopped = false;
  private readonly log: Logger;

  constructor(
    private readonly deps: {
      wecom: AccountLister;
      /** Shared cache (the coordinator's), so instances share one list. */
      cache: Keyv;
      /** Distinguishes corps/apps sharing one cache. */
      cacheKey: string;
      /** Accounts the configuration names: always accepted. */
      configured: string[];
      logger: Logger;
      now?: () => number;
      /** Least time between two list calls after a success (default 60 s). */
      refreshMs: number;
      /** First backoff step after a failed list call (doubles, capped at refreshMs). */
      retryBaseMs: number;
    },
  ) {
    for (const id of deps.configured) this.valid.add(id);
    this.log = deps.logger.child({ component: 'kf-accounts' });
  }

  private now() {
    return this.deps.now?.() ?? Date.now();
  }

  /** Synchronous fast path for the callback route: already confirmed. */
  isValid(openKfId: string): boolean {
    return this.valid.has(openKfId);
  }

  /** WeCom answered sync_msg for this account before (it has a cursor): no list needed. */
  markProven(openKfId: string): void {
    this.valid.add(openKfId);
  }

  /**
   * Whether to pull this account: `valid`, `unknown` (a list fetched after it arrived does not
   * name it), or `wait` (the list cannot be fetched now: WeCom failing, or fetched too recently).
   */
  async verdict(openKfId: string): Promise<Verdict> {
    if (this.valid.has(openKfId)) return 'valid';
    if (!KF_ID_SHAPE.test(openKfId)) return 'unknown';
    const cached = (await this.deps.cache.get(this.deps.cacheKey).catch(() => undefined)) as
      CachedList | undefined;
    if (cached?.ids.includes(openKfId)) return this.accept(cached);
    // Another instance's fetch counts as ours: one list call a minute across instances.
    if (cached) this.nextRefreshAt = Math.max(this.nextRefreshAt, cached.fetchedAt + this.deps.refreshMs);
    if (this.now() < this.nextRefreshAt && !this.inflight) return 'wait';
    const fresh = await this.refresh();
    if (!fresh) return 'wait';
    return fresh.ids.includes(openKfId) ? this.accept(fresh) : 'unknown';
  }

  /**
   * Runs `onValid` once the account is confirmed: now, or after WeCom's list answers again
   * (deferred while it cannot be fetched). Unknown ids are logged once and ignored (`onUnknown`).
   */
  whenValid(openKfId: string, onValid: () => void, onUnknown?: () => void): void {
    this.verdict(openKfId)
      .then((v) => {
        if (this.stopped) return;
        if (v === 'valid') onValid();
        else if (v === 'wait') this.defer(openKfId, onValid, onUnknown);
        else {
          this.logUnknown(openKfId);
          onUnknown?.();
        }
      })
      .catch((err: unknown) =>
        this.log.warn({ err: { message: (err as Error).message } }, 'kf account check failed'),
      );
  }

  stop(): void {
    this.stopped = true;
    if (this.deferTimer) clearTimeout(this.deferTimer);
    this.deferred.clear();
  }

  private accept(list: CachedList): 'valid' {
    for (const id of list.ids) this.valid.add(id);
    return 'valid';
  }

  private refresh(): Promise<CachedList | undefined> {
    this.inflight ??= (async () => {
      try {
        const accounts = await this.deps.wecom.listAccounts();
        const list: CachedList = {
          ids: accounts.filter((a) => a.manage_privilege !== false).map((a) => a.open_kfid),
          fetchedAt: this.now(),
        };
        this.failures = 0;
        this.nextRefreshAt = list.fetchedAt + this.deps.refreshMs;
        await this.deps.cache.set(this.deps.cacheKey, list, LIST_TTL_MS).catch(() => {});
        return list;
      } catch (err) {
        this.failures += 1;
        this.nextRefreshAt =
          this.now() +
          backoffMs(this.failures, { baseMs: this.deps.retryBaseMs, capMs: this.deps.refreshMs });
        this.log.warn(
          { err: { message: (err as Error).message, errcode: wecomErrcodeOf(err) } },
          'kf/account/list failed; callbacks for accounts not yet confirmed wait for it (run `wxcoze doctor`)',
        );
        return undefined;
      }
    })().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private defer(openKfId: string, onValid: () => void, onUnknown?: () => void): void {
    if (!this.deferred.has(openKfId) && this.deferred.size >= MAX_DEFERRED) {
      this.logUnknown(
        openKfId,
        'too many unconfirmed accounts waiting for kf/account/list; this one is ignored',
      );
      return;
    }
    if (!this.deferred.has(openKfId))
      this.log.info(
        { openKfId },
        'callback for an account not yet confirmed; its pull waits until kf/account/list answers',
      );
    this.deferred.set(openKfId, { onValid, ...(onUnknown ? { onUnknown } : {}) });
    if (this.deferTimer) return;
    // Checked again at the next moment a list call is allowed.
    this.deferTimer = setTimeout(
      () => {
        this.deferTimer = undefined;
        const waiting = [...this.deferred];
        this.deferred.clear();
        for (const [id, cb] of waiting) this.whenValid(id, cb.onValid, cb.onUnknown);
      },
      Math.max(10, this.nextRefreshAt - this.now()),
    );
    this.deferTimer.unref?.();
  }

  private logUnknown(
    openKfId: string,
    why = 'not an account of this app (not in kf/account/list, WECOM_OPEN_KFID or WXCOZE_ACCOUNTS): ignored',
  ): void {
    if (this.logged.has(openKfId)) return;
    if (this.logged.size >= MAX_LOGGED) {
      if (!this.suppressedLogged)
        this.log.warn(
          `more than ${MAX_LOGGED} unknown open_kfids seen; further ones are ignored without a log line`,
        );
      this.suppressedLogged = true;
      return;
    }
    this.logged.add(openKfId);
    // JSON-quoted and cut: the id came from outside.
    this.log.warn({ openKfId: JSON.stringify(openKfId.slice(0, 80)) }, `callback open_kfid ${why}`);
  }
}
