import { sql } from 'kysely';
import type {
  CustomerBudgetFacts,
  NewOperatorReply,
  OperatorActionsStore,
  WaitingCustomer,
} from '../console-types.js';
import { toItem } from '../rows.js';
import type { InboxItem } from '../types.js';
import { noteActivity } from './console-conversations.js';
import type { Customers } from './customers.js';
import { PENDING, type SqlDb } from './db.js';
import { OPERATOR_ORIGIN, sentSinceLatestMessage, type Inbox } from './inbox.js';

/**
 * What the operator console asks of the store (src/operator/ is its only caller). The state
 * changes are the inbox's own transitions (inbox.ts) and the customer-mode switch (customers.ts);
 * the reads here are the console's: a customer's budget, the failed messages, the waiting queue.
 */
export class OperatorActions implements OperatorActionsStore {
  constructor(
    private readonly db: SqlDb,
    private readonly inbox: Inbox,
    private readonly customers: Customers,
  ) {}

  cancelForTakeover(openKfId: string, externalUserId: string, note: string, now: number): Promise<number> {
    return this.inbox.cancelCustomer(openKfId, externalUserId, note, now);
  }

  async insertReply(reply: NewOperatorReply): Promise<boolean> {
    const inserted = await this.inbox.insertOperatorReply(reply);
    // The conversation list is ordered by each customer's newest row: the reply moves them up.
    if (inserted) await noteActivity(this.db, [reply.msgid], reply.now);
    return inserted;
  }

  /** Sent since the customer's latest message, operator replies not yet out, and that message's time: one query. */
  async budgetFacts(openKfId: string, externalUserId: string): Promise<CustomerBudgetFacts> {
    const { qb } = this.db;
    const r = await this.db.first(
      qb.selectNoFrom((eb) => [
        sentSinceLatestMessage(qb, openKfId, externalUserId).as('used'),
        eb
          .selectFrom('inbox')
          .select((e) => e.fn.countAll<number>().as('n'))
          .where('open_kfid', '=', openKfId)
          .where('external_userid', '=', externalUserId)
          .where('origin', '=', OPERATOR_ORIGIN)
          .where('state', 'in', PENDING)
          // A reply already in sent_log is counted in `used`: between the send being logged and its
          // row leaving `sending` it would otherwise count twice (and refuse a reply that fits).
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('sent_log as s')
                  .select('s.out_msgid')
                  .whereRef('s.inbound_msgid', '=', 'inbox.msgid'),
              ),
            ),
          )
          .as('pending'),
        eb
          .selectFrom('inbox')
          .select((e) => e.fn.max('send_time').as('t'))
          .where('open_kfid', '=', openKfId)
          .where('external_userid', '=', externalUserId)
          .where('origin', '=', 3)
          .as('last'),
      ]),
    );
    const last = r?.last as number | string | null | undefined;
    return {
      used: Number(r?.used ?? 0),
      pendingReplies: Number(r?.pending ?? 0),
      lastCustomerAt: last === null || last === undefined ? null : Number(last) * 1000,
    };
  }

  retry(msgid: string, note: string, now: number): Promise<'received' | 'answered' | 'sending' | null> {
    return this.inbox.retry(msgid, note, now);
  }

  dismiss(msgids: string[], now: number): Promise<number> {
    return this.inbox.dismiss(msgids, now);
  }

  async listFailed(opts: { limit: number; beforeSeq?: number }): Promise<InboxItem[]> {
    let q = this.db.qb
      .selectFrom('inbox')
      .selectAll()
      .where('state', '=', 'failed')
      .where('dismissed_at', 'is', null);
    if (opts.beforeSeq !== undefined) q = q.where('seq', '<', opts.beforeSeq);
    const rows = await this.db.rows(q.orderBy('seq', 'desc').limit(opts.limit));
    return rows.map(toItem);
  }

  async countFailed(): Promise<number> {
    const r = await this.db.first(
      this.db.qb
        .selectFrom('inbox')
        .select(sql<number>`COUNT(*)`.as('n'))
        .where('state', '=', 'failed')
        .where('dismissed_at', 'is', null),
    );
    return Number(r?.n ?? 0);
  }

  waitingQueue(opts: { limit: number; sinceAfter: number }): Promise<WaitingCustomer[]> {
    return this.customers.waiting(opts);
  }
}
