/**
 * What the operator console keeps in and asks of the store, one interface per concern
 * (docs/console-design.md). Each is implemented once over SqlDb in src/store/sql/console-*.ts and
 * exposed on `Store` as a readonly property, so the console's routes reach it through the store handle.
 */
import type { InboxItem } from './types.js';

// ── operator actions (take over, operator replies, retry, dismiss, the waiting queue): ──
// ── src/store/sql/console-operator.ts; the inbox transitions themselves are in inbox.ts ──

/** An operator's reply: an inbox row of origin 0, sent by the pipeline like any stored answer. */
export interface NewOperatorReply {
  /** `op_<action id>`: the browser's id of the click, so a double click or a retry inserts nothing new. */
  msgid: string;
  openKfId: string;
  externalUserId: string;
  operator: string;
  text: string;
  now: number;
}

/** What the budget query knows of one customer (src/operator/budget.ts turns it into what is left). */
export interface CustomerBudgetFacts {
  /** Messages sent since the customer's latest message (sent_log). */
  used: number;
  /** Operator replies stored but not yet sent (each will take one). */
  pendingReplies: number;
  /** The customer's latest message (ms), or null when they never wrote. */
  lastCustomerAt: number | null;
}

/** A customer waiting in the console's queue (mode `waiting`), oldest first. */
export interface WaitingCustomer {
  openKfId: string;
  externalUserId: string;
  /** When the handoff put them in the queue (ms). */
  since: number;
}

export interface OperatorActionsStore {
  /**
   * Cancels this customer's messages whose reply has not started going out (received, or answered
   * and not yet sending); operator rows are kept. An answer Coze is still writing is then not sent.
   * Returns how many were cancelled.
   */
  cancelForTakeover(openKfId: string, externalUserId: string, note: string, now: number): Promise<number>;
  /** Inserts the reply (state answered, one text part) unless its msgid exists; true when inserted. */
  insertReply(reply: NewOperatorReply): Promise<boolean>;
  /** The budget facts of one customer, in one query. */
  budgetFacts(openKfId: string, externalUserId: string): Promise<CustomerBudgetFacts>;
  /**
   * failed → pending again, continuing from the parts already sent (answered/sending), or asked
   * anew (received, a new reply round) when the stored answer was the apology or there is none.
   * Conditional on `failed`: of two retries one wins. Returns the state it went to, or null.
   */
  retry(msgid: string, note: string, now: number): Promise<'received' | 'answered' | 'sending' | null>;
  /** Marks failed messages dismissed (the console stops flagging them); returns how many. */
  dismiss(msgids: string[], now: number): Promise<number>;
  /** Failed messages not dismissed, newest first; `beforeSeq`: the next page. */
  listFailed(opts: { limit: number; beforeSeq?: number }): Promise<InboxItem[]>;
  countFailed(): Promise<number>;
  /** Customers in mode `waiting` whose handoff is younger than `sinceAfter`, oldest first. */
  waitingQueue(opts: { limit: number; sinceAfter: number }): Promise<WaitingCustomer[]>;
}
