/**
 * Runs on every instance's main thread, every WXCOZE_ALERT_CHECK_MS: reads the facts, lets each
 * condition say whether it holds, writes each change of state with a compare-and-set on its row
 * (src/store/sql/alerts.ts), then sends what is due. A send is claimed with a conditional UPDATE,
 * so of several instances exactly one sends each alert and each recovery; a failed send is tried
 * again with backoff, and all instances together send at most SENDS_PER_MINUTE a minute. Nothing
 * here touches the message pipeline (it runs in its own thread), and a slow webhook only delays
 * the next round.
 */
import type { AlertsConfig } from '../../config/types.js';
import type { Logger } from '../../log/logger.js';
import { SESSION_MAX_MS } from '../../pipeline/customer-mode.js';
import type { AlertRow } from '../../store/alert-types.js';
import type { Store } from '../../store/types.js';
import { backoffMs, sleep } from '../../util/backoff.js';
import { explainWecomError } from '../health.js';
import { SENDS_PER_MINUTE, type AlertMessage, type SendResult } from './channel.js';
import {
  CONDITIONS,
  COZE_OUTCOME_WINDOW_MS,
  FAILED_WINDOW_MS,
  type AlertCondition,
  type AlertFacts,
  type CertReading,
  type CozeProbe,
  type DiskReading,
} from './conditions.js';
import { firingMessage, parseDetail, resolvedMessage, type StoredDetail } from './message.js';
import { decide, dueMessage } from './state.js';

/** Where the facts outside the store come from (each may fail: its conditions then say nothing). */
export interface AlertReaders {
  cozeProbe(): Promise<CozeProbe>;
  consoleSeenAt(): Promise<number | null>;
  cert(now: number): Promise<CertReading | null | undefined>;
  cozeTokenExpiresAt(): Promise<number | null>;
  disk(): Promise<DiskReading>;
}

export interface AlertEvaluatorDeps {
  config: AlertsConfig;
  store: Pick<Store, 'alerts' | 'listAccounts' | 'operatorActions'>;
  channel: { send(m: AlertMessage): Promise<SendResult> };
  readers: AlertReaders;
  logger: Logger;
  /** Who sends (unique per process: the claim's owner). */
  owner: string;
  /** Shown in the messages: which instance saw it. */
  instanceId: () => string;
  /** Account names, for the texts. */
  accountName?: (openKfId: string) => string | undefined;
  consoleUrl: string;
  now?: () => number;
  conditions?: AlertCondition[];
}

/**
 * Coze is probed every round while something about it looks wrong (a failing probe or message, a
 * Coze alert pending or on), else every 10 rounds, at most every 5 min: an idle bridge does not
 * spend Coze calls to learn that nothing changed.
 */
const PROBE_IDLE_ROUNDS = 10;
const PROBE_IDLE_MAX_MS = 5 * 60_000;
const COZE_ALERTS = new Set(['coze_auth', 'coze_down']);
const ACCOUNT_ERROR_FRESH_MS = 3_600_000;

/** A claimed send is another instance's for this long (the webhook's timeout is 10 s). */
const SEND_LEASE_MS = 60_000;
const SEND_RETRY_CAP_MS = 30 * 60_000;
const STOP_WAIT_MS = 3_000;

export class AlertEvaluator {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly now: () => number;
  private readonly conditions: AlertCondition[];
  private ensured = false;
  /** Rounds whose store reads failed in a row (logged once, then every 20th). */
  private failures = 0;
  private lastProbe?: { at: number; result: CozeProbe };

  constructor(private readonly d: AlertEvaluatorDeps) {
    this.now = d.now ?? Date.now;
    this.conditions = d.conditions ?? CONDITIONS;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const loop = () => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(loop, this.d.config.checkMs).unref();
      });
    };
    this.timer = setTimeout(loop, Math.min(this.d.config.checkMs, 5_000)).unref();
  }

  /**
   * No new round; the one in progress gets a moment to finish. A send cut off by the stop is not
   * lost: its claim lapses and another instance (or the next start) sends it.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.running) await Promise.race([this.running, sleep(STOP_WAIT_MS)]);
  }

  /** One round: facts → states → sends. Never throws. */
  async tick(): Promise<void> {
    try {
      const now = this.now();
      if (!this.ensured) {
        await this.d.store.alerts.ensure(
          this.conditions.map((c) => c.id),
          now,
        );
        this.ensured = true;
      }
      const rows = await this.d.store.alerts.list();
      const facts = await this.facts(now, rows);
      await this.advance(facts, rows, now);
      await this.deliver();
      this.failures = 0;
    } catch (err) {
      // Stopping closes the store under a round still running: that is not news.
      if (!this.stopped && this.failures++ % 20 === 0)
        this.d.logger.warn(
          { err: { message: (err as Error).message } },
          'alerts: this round could not read or write the store; trying again next round',
        );
    }
  }

  /** What every condition looks at; a reader that fails leaves its part undefined. */
  private async facts(now: number, rows: AlertRow[]): Promise<AlertFacts> {
    const { store, readers } = this.d;
    const quiet = <T>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined);
    const [inbox, accounts, waiting, consoleSeenAt, cert, cozeTokenExpiresAt, disk] = await Promise.all([
      store.alerts.inboxFacts({
        failedSince: now - FAILED_WINDOW_MS,
        cozeSince: now - COZE_OUTCOME_WINDOW_MS,
      }),
      store.listAccounts(),
      store.operatorActions.waitingQueue({ limit: 100, sinceAfter: now - SESSION_MAX_MS }),
      quiet(readers.consoleSeenAt()),
      quiet(readers.cert(now)),
      quiet(readers.cozeTokenExpiresAt()),
      quiet(readers.disk()),
    ]);
    const cozeProbe = await this.probeCoze(now, rows, inbox.cozeOutcome?.ok === false);
    return {
      now,
      inbox,
      accountErrors: accounts
        // A wall is retried at least every minute (the puller's backoff cap): an error not
        // repeated for an hour belongs to an account nobody pulls any more.
        .filter((a) => a.lastError && a.lastPullAt !== null && now - a.lastPullAt < ACCOUNT_ERROR_FRESH_MS)
        .map((a) => {
          const name = this.d.accountName?.(a.openKfId);
          return { openKfId: a.openKfId, ...(name ? { name } : {}), error: explainWecomError(a.lastError) };
        }),
      waiting: {
        count: waiting.length,
        oldestSince: waiting.length ? Math.min(...waiting.map((w) => w.since)) : null,
      },
      ...(cozeProbe ? { cozeProbe } : {}),
      ...(consoleSeenAt !== undefined ? { consoleSeenAt } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(cozeTokenExpiresAt !== undefined ? { cozeTokenExpiresAt } : {}),
      ...(disk ? { disk } : {}),
      consoleUrl: this.d.consoleUrl,
    };
  }

  /** This round's probe, or the last one while nothing about Coze looks wrong and it is recent. */
  private async probeCoze(now: number, rows: AlertRow[], failing: boolean): Promise<CozeProbe | undefined> {
    const last = this.lastProbe;
    const suspicious =
      failing ||
      (last !== undefined && !last.result.ok) ||
      rows.some((r) => COZE_ALERTS.has(r.alert) && r.state !== 'ok');
    const idleMs = Math.min(PROBE_IDLE_MAX_MS, PROBE_IDLE_ROUNDS * this.d.config.checkMs);
    if (last && !suspicious && now - last.at < idleMs) return last.result;
    const result = await this.d.readers.cozeProbe().catch(() => undefined);
    if (result) this.lastProbe = { at: now, result };
    return result;
  }

  /** Each condition's change of state, written only from the version it was decided on. */
  private async advance(facts: AlertFacts, list: AlertRow[], now: number): Promise<void> {
    const rows = new Map(list.map((r) => [r.alert, r]));
    const clearHoldMs = 2 * this.d.config.checkMs;
    for (const c of this.conditions) {
      const row = rows.get(c.id);
      if (!row) continue;
      const seen = c.observe(facts, this.d.config);
      const decision = decide(row, seen?.active, now, c.holdMs(this.d.config), clearHoldMs);
      if (!decision) continue;
      let detail: string | undefined;
      if (decision.edge === 'fires' && seen?.active) {
        const d: StoredDetail = { text: seen.text, since: decision.change.since };
        detail = JSON.stringify(d);
      } else if (decision.edge === 'resolves') {
        const d = parseDetail(row.detail);
        if (d) detail = JSON.stringify({ ...d, lastedMs: Math.max(0, row.clearSince - row.since) });
      }
      const won = await this.d.store.alerts.transition(
        c.id,
        row.version,
        { ...decision.change, ...(detail !== undefined ? { detail } : {}) },
        now,
      );
      // Lost: another instance changed the row first; the next round decides from what it wrote.
      if (won && decision.edge)
        this.d.logger.info(
          { alert: c.id, state: decision.edge === 'fires' ? 'firing' : 'resolved' },
          decision.edge === 'fires' ? 'alert: condition holds' : 'alert: condition cleared',
        );
    }
  }

  /** Sends what is due, each claimed by exactly one instance. */
  private async deliver(): Promise<void> {
    const { store } = this.d;
    for (const row of await store.alerts.list()) {
      if (this.stopped) return;
      const cond = this.conditions.find((c) => c.id === row.alert);
      if (!cond || !dueMessage(row)) continue;
      const now = this.now();
      if (row.nextSendAt > now) continue;
      if (!(await store.alerts.claimSend(row.alert, this.d.owner, now, SEND_LEASE_MS))) continue;
      // Read again under the claim: the state may have moved since the list.
      const cur = (await store.alerts.list()).find((r) => r.alert === row.alert);
      const due = cur && dueMessage(cur);
      if (!cur || !due) {
        await store.alerts.releaseSend(row.alert, this.d.owner);
        continue;
      }
      if (!(await store.alerts.reserveSend(now, SENDS_PER_MINUTE))) {
        // This minute's sends are used up (across instances): the rest wait for the next round.
        await store.alerts.releaseSend(row.alert, this.d.owner);
        return;
      }
      await this.send(cond, cur, due);
    }
  }

  private async send(cond: AlertCondition, row: AlertRow, due: 'firing' | 'resolved'): Promise<void> {
    const { store, logger } = this.d;
    const detail = parseDetail(row.detail);
    const message =
      due === 'firing' && detail
        ? firingMessage(cond, detail, this.d.instanceId())
        : resolvedMessage(cond, detail, this.d.instanceId());
    const r = await this.d.channel.send(message);
    const now = this.now();
    if (r.ok) {
      await store.alerts.finishSend(row.alert, this.d.owner, due, now);
      logger.info({ alert: row.alert, state: due }, 'alert sent');
      return;
    }
    const attempt = row.sendAttempts + 1;
    const wait = Math.max(
      r.retryAfterMs ?? 0,
      backoffMs(attempt, { baseMs: Math.max(this.d.config.checkMs, 1_000), capMs: SEND_RETRY_CAP_MS }),
    );
    await store.alerts.failSend(row.alert, this.d.owner, now + wait, now);
    logger.warn(
      { alert: row.alert, state: due, attempt, retryInMs: wait, reason: r.reason },
      'alert not delivered; trying again later (`wxcoze alerts test` checks the webhook)',
    );
  }
}
