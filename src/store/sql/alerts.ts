import { sql } from 'kysely';
import type { AlertChange, AlertInboxFacts, AlertRow, AlertsStore } from '../alert-types.js';
import { PENDING, unindexed, type SqlDb } from './db.js';

/** The row counting the current minute's sends (not a condition). */
export const RATE_ROW = '~rate';
const MINUTE_MS = 60_000;

/** A row whose message is due: the condition's state and what the channel was last told differ. */
const DUE = sql<boolean>`((state = 'firing' AND sent <> 'firing') OR (state <> 'firing' AND sent = 'firing'))`;

/**
 * The alerts' shared state (migration 11) and the inbox facts their conditions read. Every write
 * that decides something is one conditional UPDATE: of several instances deciding the same change
 * or claiming the same send, exactly one matches the row.
 */
export class Alerts implements AlertsStore {
  constructor(private readonly db: SqlDb) {}

  async list(): Promise<AlertRow[]> {
    const rows = await this.db.rows(
      this.db.qb.selectFrom('alert_states').selectAll().where('alert', '<>', RATE_ROW),
    );
    return rows.map((r) => ({
      alert: r.alert,
      state: r.state as AlertRow['state'],
      since: Number(r.since),
      clearSince: Number(r.clear_since),
      detail: r.detail ?? null,
      sent: r.sent === 'firing' ? 'firing' : 'resolved',
      sentAt: Number(r.sent_at),
      sendAttempts: Number(r.send_attempts),
      nextSendAt: Number(r.next_send_at),
      version: Number(r.version),
    }));
  }

  async ensure(alerts: string[], now: number): Promise<void> {
    const values = [...alerts, RATE_ROW].map((alert) => ({ alert, updated_at: now }));
    await this.db.run(this.db.qb.insertInto('alert_states').orIgnore().values(values));
  }

  async transition(alert: string, version: number, c: AlertChange, now: number): Promise<boolean> {
    const n = await this.db.run(
      this.db.qb
        .updateTable('alert_states')
        .set({
          state: c.state,
          since: c.since,
          clear_since: c.clearSince,
          ...(c.detail !== undefined ? { detail: c.detail } : {}),
          version: version + 1,
          updated_at: now,
        })
        .where('alert', '=', alert)
        .where('version', '=', version),
    );
    return n > 0;
  }

  async claimSend(alert: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    const n = await this.db.run(
      this.db.qb
        .updateTable('alert_states')
        .set({ send_owner: owner, send_until: now + leaseMs, updated_at: now })
        .where('alert', '=', alert)
        .where('send_until', '<=', now)
        .where('next_send_at', '<=', now)
        .where(DUE),
    );
    return n > 0;
  }

  async finishSend(alert: string, owner: string, sent: 'firing' | 'resolved', now: number): Promise<void> {
    await this.db.run(
      this.db.qb
        .updateTable('alert_states')
        .set({
          sent,
          sent_at: now,
          send_owner: null,
          send_until: 0,
          send_attempts: 0,
          next_send_at: 0,
          updated_at: now,
        })
        .where('alert', '=', alert)
        .where('send_owner', '=', owner),
    );
  }

  async failSend(alert: string, owner: string, nextAt: number, now: number): Promise<void> {
    await this.db.run(
      this.db.qb
        .updateTable('alert_states')
        .set((eb) => ({
          send_owner: null,
          send_until: 0,
          send_attempts: eb('send_attempts', '+', 1),
          next_send_at: nextAt,
          updated_at: now,
        }))
        .where('alert', '=', alert)
        .where('send_owner', '=', owner),
    );
  }

  async releaseSend(alert: string, owner: string): Promise<void> {
    await this.db.run(
      this.db.qb
        .updateTable('alert_states')
        .set({ send_owner: null, send_until: 0 })
        .where('alert', '=', alert)
        .where('send_owner', '=', owner),
    );
  }

  /**
   * One statement: a new minute starts the count at 1, else the count grows while below the cap.
   * `send_attempts` is set before `since` because MySQL evaluates SET left to right with the
   * values already assigned (SQLite uses the old ones throughout): both then read the old `since`.
   */
  async reserveSend(now: number, perMinute: number): Promise<boolean> {
    const cut = now - MINUTE_MS;
    const n = await this.db.run(
      this.db.qb
        .updateTable('alert_states')
        .set((eb) => ({
          send_attempts: eb
            .case()
            .when('since', '<=', cut)
            .then(1)
            .else(eb('send_attempts', '+', 1))
            .end(),
          since: eb.case().when('since', '<=', cut).then(now).else(eb.ref('since')).end(),
          updated_at: now,
        }))
        .where('alert', '=', RATE_ROW)
        .where((eb) => eb.or([eb('since', '<=', cut), eb('send_attempts', '<', perMinute)])),
    );
    return n > 0;
  }

  async inboxFacts(opts: { failedSince: number; cozeSince: number }): Promise<AlertInboxFacts> {
    const { qb } = this.db;
    const [oldest, failed, coze] = await Promise.all([
      // The one waiting longest: the lowest pending seq, from the pending index alone. (As ORDER BY
      // seq LIMIT 1, MariaDB may walk the primary key from the oldest message instead, through
      // every answered one.)
      this.db.first(
        qb
          .selectFrom('inbox')
          .select('created_at')
          .where('seq', '=', (eb) =>
            eb
              .selectFrom('inbox')
              .select((e) => e.fn.min('seq').as('first'))
              .where('state', 'in', PENDING),
          ),
      ),
      this.db.first(
        qb
          .selectFrom('inbox')
          .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('updated_at').as('last')])
          // The window is the narrow part: every undismissed failure ever is not (db.ts).
          .where(unindexed('state'), '=', 'failed')
          .where('dismissed_at', 'is', null)
          .where('updated_at', '>', opts.failedSince),
      ),
      // Customer messages Coze answered (no note; or the bot asked for a human) or failed on
      // (`failed: coze …`, the reason ask-coze gives): the newest says whether Coze works now.
      this.db.first(
        qb
          .selectFrom('inbox')
          .select(['note', 'updated_at'])
          .where('updated_at', '>', opts.cozeSince)
          .where('origin', '=', 3)
          .where('msgtype', '<>', 'event')
          .where((eb) =>
            eb.or([
              eb.and([eb('note', 'is', null), eb('state', 'in', ['answered', 'sending', 'done'])]),
              eb('note', '=', 'handoff: asked by the bot'),
              eb('note', 'like', 'failed: coze %'),
            ]),
          )
          .orderBy('updated_at', 'desc')
          .limit(1),
      ),
    ]);
    const failedCount = Number(failed?.n ?? 0);
    const lastFailed = failedCount
      ? await this.db.first(
          qb
            .selectFrom('inbox')
            .select('note')
            .where(unindexed('state'), '=', 'failed')
            .where('dismissed_at', 'is', null)
            .where('updated_at', '>', opts.failedSince)
            .orderBy('updated_at', 'desc')
            .limit(1),
        )
      : undefined;
    return {
      oldestPendingAt: oldest ? Number(oldest.created_at) : null,
      failed: {
        count: failedCount,
        lastAt: failed?.last === null || failed?.last === undefined ? null : Number(failed.last),
        lastNote: lastFailed?.note ?? null,
      },
      cozeOutcome: coze
        ? {
            ok: !(coze.note ?? '').startsWith('failed: coze '),
            note: coze.note ?? null,
            at: Number(coze.updated_at),
          }
        : null,
    };
  }
}
