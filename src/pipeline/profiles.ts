import type { Logger } from '../log/logger.js';
import { WarnLimiter } from '../log/warn-limiter.js';
import type { NewInboxMessage, Store } from '../store/types.js';
import { wecomErrcodeOf, type WecomPort } from './ports.js';

/** A customer WeCom did not resolve (inactive for 48 h) is asked again after this long. */
export const PROFILE_RETRY_MS = 6 * 3_600_000;
/** After a failed call (network, permissions), the same customers wait this long in this process. */
const ERROR_RETRY_MS = 5 * 60_000;
const BATCH = 100; // kf/customer/batchget's limit (docs/protocol.md §customer-batchget)

/**
 * The console shows customers by their WeChat nickname and avatar, which only kf/customer/batchget
 * knows, and only for customers active within 48 h: so they are fetched when a customer is first
 * seen, right after the page that brought them is committed. In the background: a reply never
 * waits for it, and a failure only means the console shows the customer id a while longer.
 */
export class ProfileFetcher {
  private readonly pending = new Set<string>();
  private readonly failedAt = new Map<string, number>();
  private running?: Promise<void>;
  private stopped = false;
  private readonly warns = new WarnLimiter(1, 10 * 60_000);

  constructor(
    private readonly deps: {
      store: Store;
      wecom: Pick<WecomPort, 'batchGetCustomers'>;
      logger: Logger;
      now?: () => number;
      retryMs?: number;
    },
  ) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** The customers of a committed page; those without a profile are looked up soon. */
  note(messages: NewInboxMessage[]): void {
    if (this.stopped) return;
    const t = this.now();
    for (const m of messages) {
      const id = m.externalUserId;
      if (!id || (m.origin !== 3 && m.origin !== 4)) continue;
      const failed = this.failedAt.get(id);
      if (failed !== undefined && t - failed < ERROR_RETRY_MS) continue;
      this.pending.add(id);
    }
    if (this.pending.size && !this.running)
      this.running = this.drain().finally(() => {
        this.running = undefined;
      });
  }

  private async drain(): Promise<void> {
    const { store, wecom, logger } = this.deps;
    while (this.pending.size && !this.stopped) {
      const ids = [...this.pending].slice(0, BATCH);
      for (const id of ids) this.pending.delete(id);
      const now = this.now();
      try {
        const missing = await store.conversations.missingProfiles(
          ids,
          now - (this.deps.retryMs ?? PROFILE_RETRY_MS),
        );
        if (!missing.length) continue;
        const res = await wecom.batchGetCustomers(missing);
        await store.conversations.saveProfiles(res.customers, missing, now);
        logger.debug({ asked: missing.length, found: res.customers.length }, 'customer profiles fetched');
      } catch (err) {
        for (const id of ids) this.failedAt.set(id, now);
        this.warns.warn(
          logger,
          'profiles',
          { err: { message: (err as Error).message, errcode: wecomErrcodeOf(err) } },
          "could not fetch customers' WeChat nicknames (kf/customer/batchget); the console shows their ids meanwhile and wxcoze asks again later. If it lasts, check that the app may call the 微信客服 APIs (`wxcoze doctor`)",
        );
      }
      if (this.failedAt.size > 10_000) this.forgetOldFailures(now);
    }
  }

  private forgetOldFailures(now: number): void {
    for (const [id, at] of this.failedAt) if (now - at >= ERROR_RETRY_MS) this.failedAt.delete(id);
  }

  /** Resolves when the lookups asked for so far are done (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops taking customers and waits for the lookup in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pending.clear();
    await this.running;
  }
}
