import { sql, type Kysely } from 'kysely';
import { toItem } from '../rows.js';
import type { NewOperatorReply } from '../console-types.js';
import {
  INBOX_STATES,
  type ClaimOptions,
  type InboxItem,
  type InboxState,
  type LastPart,
  type MediaNote,
  type ReplyPart,
} from '../types.js';
import { PENDING, prepared, type SqlDb } from './db.js';
import type { DB } from './schema.js';

/** The origin of an operator's reply (WeCom's own origins: 3 customer, 4 system, 5 servicer). */
export const OPERATOR_ORIGIN = 0;

// The hot path's queries, built once per dialect (see `prepared`).
// A lease is free when it expired, or when its owner's heartbeat row says it is gone or has not
// beaten since `staleBefore` (Heartbeats). An owner without a row (a version before heartbeats)
// keeps its lease until it expires.
const candidatesQuery = prepared((qb, now: number, limit: number, staleBefore: number, owner: string) =>
  qb
    .selectFrom('inbox as i')
    .select('i.msgid')
    .where('i.state', 'in', PENDING)
    .where('i.next_attempt_at', '<=', now)
    .where((eb) =>
      eb.or([
        eb('i.lease_until', '<=', now),
        // Never our own: a claimer whose own beat is late (a slow database) must not start a
        // second worker on a message its first one is still answering.
        eb.and([
          eb('i.lease_owner', '<>', owner),
          eb.exists(
            eb
              .selectFrom('heartbeats as h')
              .select('h.owner')
              .whereRef('h.owner', '=', 'i.lease_owner')
              .where((e) => e.or([e('h.gone', '=', 1), e('h.beat_at', '<', staleBefore)])),
          ),
        ]),
      ]),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('inbox as j')
            .select('j.seq')
            .whereRef('j.open_kfid', '=', 'i.open_kfid')
            .whereRef('j.external_userid', '=', 'i.external_userid')
            .whereRef('j.seq', '<', 'i.seq')
            .where('j.state', 'in', PENDING),
        ),
      ),
    )
    .orderBy('i.seq')
    .limit(limit),
);
const getQuery = prepared((qb, msgid: string) =>
  qb.selectFrom('inbox').selectAll().where('msgid', '=', msgid),
);
const saveAnswerQuery = prepared(
  (
    qb,
    msgid: string,
    owner: string,
    state: 'answered' | 'sending',
    parts: string,
    note: string | null,
    apologized: number,
    now: number,
  ) =>
    qb
      .updateTable('inbox')
      .set({ state, parts, note, apologized, updated_at: now })
      .where('msgid', '=', msgid)
      .where('lease_owner', '=', owner)
      .where('state', 'in', TRANSITIONS.saveAnswer.from),
);
const partSentQuery = prepared((qb, msgid: string, owner: string, n: number, now: number) =>
  qb
    .updateTable('inbox')
    .set({
      state: TRANSITIONS.markPartSent.to,
      parts_sent: sql`CASE WHEN parts_sent < ${n} THEN ${n} ELSE parts_sent END`,
      updated_at: now,
    })
    .where('msgid', '=', msgid)
    .where('lease_owner', '=', owner)
    .where('state', 'in', TRANSITIONS.markPartSent.from),
);
// The last part's count and the finish in one write (one commit instead of two: on MySQL each
// commit waits for the log's fsync, the cost that bounds its throughput).
const lastPartSentQuery = prepared(
  (qb, msgid: string, owner: string, n: number, state: 'done' | 'failed', note: string | null, now: number) =>
    qb
      .updateTable('inbox')
      .set({
        state,
        note,
        parts_sent: sql`CASE WHEN parts_sent < ${n} THEN ${n} ELSE parts_sent END`,
        lease_owner: null,
        lease_until: 0,
        updated_at: now,
      })
      .where('msgid', '=', msgid)
      .where('lease_owner', '=', owner)
      .where('state', 'in', TRANSITIONS.markLastPartSent.from),
);
// out_msgid is the key: a part re-sent after a crash (refused as a duplicate) is never counted twice.
// Logged only while the lease is ours and the message is in one of `states`.
const logSend = (
  qb: Kysely<DB>,
  outMsgid: string,
  now: number,
  msgid: string,
  owner: string,
  states: readonly string[],
) =>
  qb
    .insertInto('sent_log')
    .orIgnore()
    .columns(['out_msgid', 'open_kfid', 'external_userid', 'sent_at', 'inbound_msgid'])
    .expression(
      qb
        .selectFrom('inbox')
        .select([
          sql<string>`${outMsgid}`.as('o'),
          'open_kfid',
          'external_userid',
          sql<number>`${now}`.as('t'),
          'msgid',
        ])
        .where('msgid', '=', msgid)
        .where('lease_owner', '=', owner)
        .where('state', 'in', states),
    );
// A part of the answer: while the message may mark parts sent.
const logSendQuery = prepared((qb, outMsgid: string, now: number, msgid: string, owner: string) =>
  logSend(qb, outMsgid, now, msgid, owner, TRANSITIONS.markPartSent.from),
);
const finishQuery = prepared(
  (
    qb,
    msgid: string,
    owner: string,
    state: 'done' | 'failed' | 'skipped',
    note: string | null,
    now: number,
  ) =>
    qb
      .updateTable('inbox')
      .set({ state, note, lease_owner: null, lease_until: 0, updated_at: now })
      .where('msgid', '=', msgid)
      .where('lease_owner', '=', owner)
      .where('state', 'in', TRANSITIONS.finish.from),
);
const deferQuery = prepared((qb, msgid: string, owner: string, at: number, note: string, now: number) =>
  qb
    .updateTable('inbox')
    .set({
      attempts: sql`attempts + 1`,
      next_attempt_at: at,
      note,
      lease_owner: null,
      lease_until: 0,
      updated_at: now,
    })
    .where('msgid', '=', msgid)
    .where('lease_owner', '=', owner),
);
const beginSendingQuery = prepared((qb, msgid: string, owner: string, now: number) =>
  qb
    .updateTable('inbox')
    .set({ state: TRANSITIONS.beginSending.to, updated_at: now })
    .where('msgid', '=', msgid)
    .where('lease_owner', '=', owner)
    .where('state', 'in', TRANSITIONS.beginSending.from),
);
const releaseQuery = prepared((qb, msgid: string, owner: string) =>
  qb
    .updateTable('inbox')
    .set({ lease_owner: null, lease_until: 0 })
    .where('msgid', '=', msgid)
    .where('lease_owner', '=', owner),
);
/** A transcript is kept up to this many characters (a 60-second voice says far less). */
const MAX_TRANSCRIPT = 4000;

const chatRefQuery = prepared((qb, msgid: string, conversationId: string, chatId: string) =>
  qb
    .updateTable('inbox')
    .set({ coze_conversation_id: conversationId, coze_chat_id: chatId })
    .where('msgid', '=', msgid),
);
/**
 * Messages sent to this customer since their latest message: the ledger of WeCom's 5-per-message
 * budget. Built once for both queries below (alone, and beside the waiting count).
 *
 * The latest message is the customer's newest row by seq (the puller commits each account's
 * messages in WeCom's order), read backwards along inbox_customer: a row or two, however long the
 * customer's history. MAX(send_time) read every message the customer ever sent. Should WeCom ever
 * hand one over out of order, the time found is older, which counts more sends: the budget is
 * never overspent. The console's list reads it the same way (console-conversations.ts).
 */
export const sentSinceLatestMessage = (qb: Kysely<DB>, kf: string, user: string) =>
  qb
    .selectFrom('sent_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('open_kfid', '=', kf)
    .where('external_userid', '=', user)
    .where(
      'sent_at',
      '>=',
      sql<number>`COALESCE((${qb
        .selectFrom('inbox')
        .select('send_time')
        .where('open_kfid', '=', kf)
        .where('external_userid', '=', user)
        .where('origin', '=', 3)
        .orderBy('seq', 'desc')
        .limit(1)}), 0) * 1000`,
    );
const budgetUsedQuery = prepared((qb, kf: string, user: string) => sentSinceLatestMessage(qb, kf, user));
// The budget used and the customer's later messages still waiting, in one round trip.
const budgetAndWaitingQuery = prepared((qb, kf: string, user: string, seq: number) =>
  qb.selectNoFrom((eb) => [
    sentSinceLatestMessage(qb, kf, user).as('used'),
    eb
      .selectFrom('inbox')
      .select((e) => e.fn.countAll<number>().as('n'))
      .where('open_kfid', '=', kf)
      .where('external_userid', '=', user)
      .where('seq', '>', seq)
      .where('state', 'in', PENDING)
      .as('waiting'),
  ]),
);
// The customer's newest message before `beforeSeq`, read backwards along inbox_customer (as the
// budget's start is, sentSinceLatestMessage): not MAX(send_time) over all they ever sent.
const lastCustomerQuery = prepared((qb, kf: string, user: string, beforeSeq: number) =>
  qb
    .selectFrom('inbox')
    .select('send_time as t')
    .where('open_kfid', '=', kf)
    .where('external_userid', '=', user)
    .where('seq', '<', beforeSeq)
    .where('origin', '=', 3)
    .orderBy('seq', 'desc')
    .limit(1),
);
// When each pending row becomes claimable: the later of its retry time and the moment its lease
// is free, which is the earlier of lease_until and its owner's last beat + the takeover time (0 when
// the owner is gone; no heartbeat row: lease_until). Only future moments count.
const nextWakeQuery = prepared((qb, now: number, takeoverMs: number) => {
  const freeAt = sql<number>`CASE WHEN h.gone = 1 THEN 0 WHEN h.beat_at + ${takeoverMs} < i.lease_until THEN h.beat_at + ${takeoverMs} ELSE i.lease_until END`;
  const wake = sql<number>`CASE WHEN ${freeAt} > i.next_attempt_at THEN ${freeAt} ELSE i.next_attempt_at END`;
  return qb
    .selectFrom('inbox as i')
    .leftJoin('heartbeats as h', 'h.owner', 'i.lease_owner')
    .select(sql<number | null>`MIN(${wake})`.as('t'))
    .where('i.state', 'in', PENDING)
    .where((eb) => eb.or([eb('i.lease_until', '>', now), eb('i.next_attempt_at', '>', now)]))
    .where(wake, '>', now);
});

/**
 * The inbox and its state machine. Every transition a message can make is written here, and
 * each one is conditional on the states it may start from (and, for a worker's writes, on the
 * worker still holding the lease), so a stale worker or a replayed event cannot move a row back:
 *
 *   (commitPage) → received | skipped
 *   (insertOperatorReply) → answered                       an operator's reply (origin 0)
 *   received  ─saveAnswer─▶ answered ─beginSending─▶ sending ─markPartSent─▶ sending
 *   received  ─saveAnswer(sending)─▶ sending                 stored and going out at once (one write)
 *   answered | sending ─markPartSent(last)─▶ done | failed   the last part, finishing in the same write
 *   received | answered | sending ─finish─▶ done | failed | skipped
 *   received | answered ─cancel─▶ cancelled                 (recall, or an operator taking over)
 *   any pending ─deferRetry─▶ same state, later
 *   failed ─retry─▶ received (asked anew) | answered | sending (continuing)
 *
 * An answer saved as the apology (`apologized`, set by saveAnswer) still ends `failed` once it
 * is out (processMessage reads the flag from the item it claimed). `answered` means no part has
 * started going out: `beginSending` marks that moment (before the first send), so a cancel
 * either comes first (nothing is sent) or finds `sending` (the reply goes out whole).
 */
export const TRANSITIONS = {
  // `sending` when the worker sends it at once: beginSending folded into the same write.
  saveAnswer: { from: ['received'], to: ['answered', 'sending'] },
  beginSending: { from: ['answered'], to: 'sending' },
  markPartSent: { from: ['answered', 'sending'], to: 'sending' },
  markLastPartSent: { from: ['answered', 'sending'], to: ['done', 'failed'] },
  finish: { from: PENDING, to: ['done', 'failed', 'skipped'] },
  cancel: { from: ['received', 'answered'], to: 'cancelled' },
  retry: { from: ['failed'], to: ['received', 'answered', 'sending'] },
} as const satisfies Record<
  string,
  {
    from: readonly InboxState[];
    to: InboxState | readonly InboxState[];
  }
>;

/** Most msgids in one lease renewal statement (a bounded IN list). */
const LEASE_CHUNK = 500;

export class Inbox {
  constructor(private readonly db: SqlDb) {}

  /** Leases pending messages that are due, oldest first, at most one per customer, never one whose earlier sibling is unfinished. */
  async claim(opts: ClaimOptions): Promise<InboxItem[]> {
    const { qb } = this.db;
    // -1: no takeover by heartbeat age (beat_at is never below it); gone owners still count.
    const staleBefore = opts.takeoverMs === undefined ? -1 : opts.now - opts.takeoverMs;
    const candidates = await this.db.rows(candidatesQuery(qb, opts.now, opts.limit, staleBefore, opts.owner));
    if (!candidates.length) return [];
    const ids = candidates.map((r) => r.msgid);
    const until = opts.now + opts.leaseMs;
    // One conditional UPDATE for the batch: of two workers (or instances) racing for a row, one wins
    // it (the loser finds the lease now held by a live owner); the rows this call won are the ones
    // now carrying its (owner, until) lease.
    await this.db.run(
      qb
        .updateTable('inbox')
        .set({
          lease_owner: opts.owner,
          lease_until: until,
          attempts: sql`attempts + (CASE WHEN state = 'received' THEN 1 ELSE 0 END)`,
          updated_at: opts.now,
        })
        .where('msgid', 'in', ids)
        .where((eb) =>
          eb.or([
            eb('lease_until', '<=', opts.now),
            eb.and([
              eb('lease_owner', '<>', opts.owner),
              eb.exists(
                eb
                  .selectFrom('heartbeats as h')
                  .select('h.owner')
                  .whereRef('h.owner', '=', 'inbox.lease_owner')
                  .where((e) => e.or([e('h.gone', '=', 1), e('h.beat_at', '<', staleBefore)])),
              ),
            ]),
          ]),
        )
        .where('state', 'in', PENDING),
    );
    const won = await this.db.rows(
      qb
        .selectFrom('inbox')
        .selectAll()
        .where('msgid', 'in', ids)
        .where('lease_owner', '=', opts.owner)
        .where('lease_until', '=', until)
        .orderBy('seq'),
    );
    return won.map(toItem);
  }

  async get(msgid: string): Promise<InboxItem | undefined> {
    const r = await this.db.first(getQuery(this.db.qb, msgid));
    return r ? toItem(r) : undefined;
  }

  /**
   * Renews this owner's leases on `msgids` (a worker's messages) in one UPDATE per chunk, and
   * returns the msgids whose lease is no longer this owner's (taken over, or finished meanwhile).
   * The rows kept are read back rather than counted: MySQL counts a row whose value did not change
   * as unaffected.
   */
  async extendLeases(msgids: string[], owner: string, until: number, now: number): Promise<string[]> {
    const { qb } = this.db;
    const kept = new Set<string>();
    for (let i = 0; i < msgids.length; i += LEASE_CHUNK) {
      const ids = msgids.slice(i, i + LEASE_CHUNK);
      await this.db.run(
        qb
          .updateTable('inbox')
          .set({ lease_until: until })
          .where('msgid', 'in', ids)
          .where('lease_owner', '=', owner)
          .where('lease_until', '>', now),
      );
      const rows = await this.db.rows(
        qb
          .selectFrom('inbox')
          .select('msgid')
          .where('msgid', 'in', ids)
          .where('lease_owner', '=', owner)
          .where('lease_until', '=', until),
      );
      for (const r of rows) kept.add(r.msgid);
    }
    return msgids.filter((m) => !kept.has(m));
  }

  /**
   * received → answered: the reply is stored before anything is sent. `apology`: the reply is the
   * apology. `sending`: the worker sends it at once, so the same write also marks the reply going
   * out (received → sending, what beginSending would do one round trip and one commit later): a
   * recall or a takeover then either came first (this write fails) or finds it going out whole.
   */
  async saveAnswer(
    msgid: string,
    owner: string,
    parts: ReplyPart[],
    note: string | null,
    now: number,
    apology = false,
    sending = false,
  ): Promise<boolean> {
    const state = TRANSITIONS.saveAnswer.to[sending ? 1 : 0];
    return (
      (await this.db.run(
        saveAnswerQuery(this.db.qb, msgid, owner, state, JSON.stringify(parts), note, apology ? 1 : 0, now),
      )) === 1
    );
  }

  /**
   * answered | sending → sending, parts_sent = partNo + 1 (never lower), and a message part
   * (outMsgid set) logged against the customer's budget, only while the lease is ours (a worker
   * that lost it changes and logs nothing). Two statements, no transaction (on MySQL that is 2 round
   * trips instead of 4): the log entry first, itself conditional on the lease, then the count, which
   * decides the answer. The part was delivered before this is called, so a log entry without the
   * count (a crash or a takeover between the two) is true: the next worker re-sends the part under
   * the same outbound msgid, WeCom refuses it as a duplicate, and the entry (keyed by that msgid) is
   * not written twice. The other order could leave a sent part uncounted against the budget.
   */
  async markPartSent(
    msgid: string,
    owner: string,
    partNo: number,
    outMsgid: string | null,
    now: number,
    last?: LastPart,
  ): Promise<boolean> {
    if (outMsgid) await this.db.run(logSendQuery(this.db.qb, outMsgid, now, msgid, owner));
    const query = last
      ? lastPartSentQuery(this.db.qb, msgid, owner, partNo + 1, last.state, last.note, now)
      : partSentQuery(this.db.qb, msgid, owner, partNo + 1, now);
    return (await this.db.run(query)) === 1;
  }

  /**
   * Logs a message sent for a customer message that is still being answered (the waiting notice)
   * against the customer's budget, only while the lease is ours and no answer is stored yet.
   * Keyed by its outbound msgid: a notice re-sent after a crash (refused as a duplicate) counts once.
   * False when the row is no longer ours or was answered meanwhile (the entry is then not written).
   */
  async logInterimSend(msgid: string, owner: string, outMsgid: string, now: number): Promise<boolean> {
    const qb = this.db.qb;
    // Only before an answer is stored: the notice never counts against a message already answered.
    await this.db.run(logSend(qb, outMsgid, now, msgid, owner, ['received']));
    const r = await this.db.first(
      qb.selectFrom('sent_log').select('out_msgid').where('out_msgid', '=', outMsgid),
    );
    return r !== undefined;
  }

  /** pending → done | failed | skipped; the lease is given back. */
  async finish(
    msgid: string,
    owner: string,
    state: 'done' | 'failed' | 'skipped',
    note: string | null,
    now: number,
  ): Promise<boolean> {
    return (await this.db.run(finishQuery(this.db.qb, msgid, owner, state, note, now))) === 1;
  }

  /** Gives the lease back and schedules another attempt; the state stays where it was. */
  async deferRetry(
    msgid: string,
    owner: string,
    nextAttemptAt: number,
    note: string,
    now: number,
  ): Promise<boolean> {
    return (await this.db.run(deferQuery(this.db.qb, msgid, owner, nextAttemptAt, note, now))) === 1;
  }

  async releaseLease(msgid: string, owner: string): Promise<void> {
    await this.db.run(releaseQuery(this.db.qb, msgid, owner));
  }

  /**
   * At start. The embedded store serves one process, so every lease found then was held by one
   * that died: all are given back at once. A shared store leaves them to expire (other instances may be alive).
   */
  async recoverLeasesAtStart(): Promise<number> {
    if (this.db.dialect !== 'sqlite') return 0;
    return this.db.run(
      this.db.qb
        .updateTable('inbox')
        .set({ lease_owner: null, lease_until: 0 })
        .where('lease_owner', 'is not', null)
        .where('state', 'in', PENDING),
    );
  }

  /** A customer recalled the message: cancelled, unless its reply has started going out. */
  async cancel(msgid: string, note: string, now: number): Promise<boolean> {
    return (
      (await this.db.run(
        this.db.qb
          .updateTable('inbox')
          .set({ state: TRANSITIONS.cancel.to, note, lease_owner: null, lease_until: 0, updated_at: now })
          .where('msgid', '=', msgid)
          .where('state', 'in', TRANSITIONS.cancel.from),
      )) === 1
    );
  }

  /**
   * An operator took the chat over: every message of this customer whose reply has not started
   * going out is cancelled (the same rule as a recall), so an answer Coze is still writing finds
   * its row cancelled (saveAnswer) or is stopped before its first part (beginSending). Operator
   * rows (origin 0) are the operator's own replies: kept.
   */
  async cancelCustomer(openKfId: string, externalUserId: string, note: string, now: number): Promise<number> {
    return this.db.run(
      this.db.qb
        .updateTable('inbox')
        .set({ state: TRANSITIONS.cancel.to, note, lease_owner: null, lease_until: 0, updated_at: now })
        .where('open_kfid', '=', openKfId)
        .where('external_userid', '=', externalUserId)
        .where('origin', '<>', OPERATOR_ORIGIN)
        .where('state', 'in', TRANSITIONS.cancel.from),
    );
  }

  /** answered → sending, right before the first part goes out, while the lease is ours. */
  async beginSending(msgid: string, owner: string, now: number): Promise<boolean> {
    return (await this.db.run(beginSendingQuery(this.db.qb, msgid, owner, now))) === 1;
  }

  /**
   * An operator's reply enters the inbox already answered (one text part), so the dispatcher sends
   * it like any stored answer: its parts' msgids derive from its own msgid (`op_<action id>`), it
   * counts against the same budget and lands in the same sent_log. Insert-or-ignore by msgid: the
   * same action twice is one row. Its seq puts it after the customer's earlier messages.
   */
  async insertOperatorReply(r: NewOperatorReply): Promise<boolean> {
    const sendTime = Math.floor(r.now / 1000);
    return (
      (await this.db.run(
        this.db.qb
          .insertInto('inbox')
          .orIgnore()
          .values({
            msgid: r.msgid,
            open_kfid: r.openKfId,
            external_userid: r.externalUserId,
            origin: OPERATOR_ORIGIN,
            msgtype: 'text',
            send_time: sendTime,
            // Shaped like a sync_msg item, so what shows a conversation reads it like any message.
            payload: JSON.stringify({
              msgid: r.msgid,
              open_kfid: r.openKfId,
              external_userid: r.externalUserId,
              send_time: sendTime,
              origin: OPERATOR_ORIGIN,
              msgtype: 'text',
              text: { content: r.text },
              operator: r.operator,
            }),
            state: 'answered',
            parts: JSON.stringify([{ kind: 'text', content: r.text }] satisfies ReplyPart[]),
            note: `operator: ${r.operator}`,
            created_at: r.now,
            updated_at: r.now,
          }),
      )) === 1
    );
  }

  /**
   * failed → pending again (the operator's Retry). Three disjoint conditional statements, at most
   * one of which applies (each needs `failed`): the apology was delivered or nothing was stored →
   * asked anew (received, parts cleared, a new reply round so its part msgids are new to WeCom);
   * a stored answer with nothing sent → answered; part of it sent → sending, continuing after the
   * parts already out. Attempts start over; the lease and retry time are cleared.
   */
  async retry(msgid: string, note: string, now: number): Promise<'received' | 'answered' | 'sending' | null> {
    const { qb } = this.db;
    const base = {
      note,
      attempts: 0,
      next_attempt_at: 0,
      lease_owner: null,
      lease_until: 0,
      dismissed_at: null,
      updated_at: now,
    };
    const failed = () =>
      qb.updateTable('inbox').where('msgid', '=', msgid).where('state', 'in', TRANSITIONS.retry.from);
    const anew = await this.db.run(
      failed()
        .set({
          ...base,
          state: 'received',
          parts: null,
          parts_sent: 0,
          apologized: 0,
          reply_round: sql`reply_round + 1`,
        })
        .where((eb) => eb.or([eb('apologized', '=', 1), eb('parts', 'is', null)])),
    );
    if (anew === 1) return 'received';
    const notStarted = await this.db.run(
      failed()
        .set({ ...base, state: 'answered' })
        .where('apologized', '=', 0)
        .where('parts', 'is not', null)
        .where('parts_sent', '=', 0),
    );
    if (notStarted === 1) return 'answered';
    const partly = await this.db.run(
      failed()
        .set({ ...base, state: 'sending' })
        .where('apologized', '=', 0)
        .where('parts', 'is not', null)
        .where('parts_sent', '>', 0),
    );
    return partly === 1 ? 'sending' : null;
  }

  /** Failed messages an operator has seen to: the console stops flagging them (the state stays failed). */
  async dismiss(msgids: string[], now: number): Promise<number> {
    if (!msgids.length) return 0;
    return this.db.run(
      this.db.qb
        .updateTable('inbox')
        .set({ dismissed_at: now })
        .where('msgid', 'in', msgids.slice(0, LEASE_CHUNK))
        .where('state', '=', 'failed')
        .where('dismissed_at', 'is', null),
    );
  }

  async setChatRef(msgid: string, conversationId: string, chatId: string): Promise<void> {
    await this.db.run(chatRefQuery(this.db.qb, msgid, conversationId, chatId));
  }

  /**
   * Keeps a voice's transcript or a file's name on its row (cut to the columns' sizes). Not a
   * transition and not under the lease: any worker that fetched the media learnt the same.
   * updated_at moves, so an open console thread shows it at once.
   */
  async noteMedia(msgid: string, note: MediaNote, now: number): Promise<void> {
    const set = {
      ...(note.transcript !== undefined
        ? { transcript: [...note.transcript].slice(0, MAX_TRANSCRIPT).join('') }
        : {}),
      ...(note.filename !== undefined ? { media_filename: [...note.filename].slice(0, 200).join('') } : {}),
    };
    if (!Object.keys(set).length) return;
    await this.db.run(
      this.db.qb
        .updateTable('inbox')
        .set({ ...set, updated_at: now })
        .where('msgid', '=', msgid),
    );
  }

  /** Records WeCom's msg_send_fail against the message the failed reply answered; returns that msgid. */
  async noteDeliveryFailure(outMsgid: string, note: string, now: number): Promise<string | undefined> {
    const r = await this.db.first(
      this.db.qb.selectFrom('sent_log').select('inbound_msgid').where('out_msgid', '=', outMsgid),
    );
    if (!r?.inbound_msgid) return undefined;
    await this.db.run(
      this.db.qb.updateTable('inbox').set({ note, updated_at: now }).where('msgid', '=', r.inbound_msgid),
    );
    return r.inbound_msgid;
  }

  /** Messages sent to this customer since their latest message (the 5-per-message budget used), in one query. */
  async budgetUsed(openKfId: string, externalUserId: string): Promise<number> {
    const r = await this.db.first(budgetUsedQuery(this.db.qb, openKfId, externalUserId));
    return Number(r!.n);
  }

  /**
   * budgetUsed, and the unfinished messages of the same customer after this one (each still needs
   * a reply), in one query.
   */
  async budgetAndWaiting(
    openKfId: string,
    externalUserId: string,
    seq: number,
  ): Promise<{ used: number; waiting: number }> {
    const r = await this.db.first(budgetAndWaitingQuery(this.db.qb, openKfId, externalUserId, seq));
    return { used: Number(r!.used), waiting: Number(r!.waiting) };
  }

  /** The customer's latest message (ms; `beforeSeq`: committed before that one), or null. */
  async lastCustomerMessageAt(
    openKfId: string,
    externalUserId: string,
    beforeSeq = Number.MAX_SAFE_INTEGER,
  ): Promise<number | null> {
    const r = await this.db.first(lastCustomerQuery(this.db.qb, openKfId, externalUserId, beforeSeq));
    return r?.t === null || r?.t === undefined ? null : Number(r.t) * 1000;
  }

  /** Earliest future time at which a pending message becomes claimable, or null. */
  async nextWakeAt(now: number, takeoverMs?: number): Promise<number | null> {
    // Without a takeover time a heartbeat never frees a lease before it expires.
    const r = await this.db.first(nextWakeQuery(this.db.qb, now, takeoverMs ?? Number.MAX_SAFE_INTEGER));
    const t = r?.t;
    return t === null || t === undefined ? null : Number(t);
  }

  async countWaiting(): Promise<Record<string, number>> {
    const out: Record<string, number> = Object.fromEntries(PENDING.map((s) => [s, 0]));
    const rows = await this.db.rows(
      this.db.qb
        .selectFrom('inbox')
        .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
        .where('state', 'in', PENDING)
        .groupBy('state'),
    );
    for (const r of rows) out[r.state] = Number(r.n);
    return out;
  }

  async countSince(since: number): Promise<Record<InboxState, number>> {
    // One count per state in a single pass over the created_at range, not GROUP BY state: with a
    // GROUP BY, SQLite prefers walking an index that starts with state, which reads the whole
    // inbox (500 ms at a million rows) instead of the day asked for (under 1 ms).
    const r = await this.db.first(
      this.db.qb
        .selectFrom('inbox')
        .select((eb) =>
          INBOX_STATES.map((s) => eb.fn.count<number>(eb.case().when('state', '=', s).then(1).end()).as(s)),
        )
        .where('created_at', '>=', since),
    );
    const out = {} as Record<InboxState, number>;
    for (const s of INBOX_STATES) out[s] = Number((r as Record<string, unknown> | undefined)?.[s] ?? 0);
    return out;
  }
}
