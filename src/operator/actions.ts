/**
 * What an operator does in the console, as the domain sees it: take a chat over, hand it back,
 * reply, retry and dismiss failed messages. Everything goes through the store's own switches:
 * the customer mode the handoff uses, the inbox's transitions, an operator row the pipeline sends
 * through its one outbound path (a deterministic msgid from the action's id, the same 5-message
 * budget, the same sent_log). Nothing here talks to WeCom or writes SQL.
 */
import { consoleHolds, humanHolds } from '../pipeline/customer-mode.js';
import type { CustomerMode, Store } from '../store/types.js';
import { budgetOf, type Budget } from './budget.js';
import { OperatorRefusal } from './refusal.js';

/** An audit line (the console's audit log; its store method is given by the composition). */
export interface OperatorAuditEntry {
  at: number;
  operator: string;
  action: 'takeover' | 'handback' | 'reply' | 'retry' | 'dismiss';
  openKfId?: string | null;
  externalUserId?: string | null;
  detail?: string | null;
}

export interface OperatorDeps {
  store: Store;
  /** Wakes this instance's pipeline (a reply stored, a message retried) instead of waiting for its next look. */
  kick(): void;
  audit(entry: OperatorAuditEntry): Promise<void>;
  now?: () => number;
}

/** What the console shows about one customer's chat and what the operator may do with it. */
export interface ChatControl {
  /** The mode in force: a takeover or handoff whose 48 hours lapsed reads as `ai`. */
  mode: CustomerMode;
  modeSince: number;
  budget: Budget;
}

/** The browser's id for one intent to send (a UUID or similar): a double click reuses it. */
const ACTION_ID_RE = /^[A-Za-z0-9_-]{8,64}$/;
/** WeCom's limit for one text message. */
const TEXT_MAX_BYTES = 2048;
/** Most messages one retry or dismiss request may name. */
export const MAX_BATCH = 200;

export type RetryResult =
  | { msgid: string; ok: true; state: 'received' | 'answered' | 'sending' }
  | { msgid: string; ok: false; code: OperatorRefusal['code']; message: string };

export class OperatorActions {
  private readonly now: () => number;

  constructor(private readonly d: OperatorDeps) {
    this.now = d.now ?? Date.now;
  }

  /** The chat's mode in force and its budget. */
  async control(openKfId: string, externalUserId: string): Promise<ChatControl> {
    const now = this.now();
    const [customer, facts] = await Promise.all([
      this.d.store.getCustomer(openKfId, externalUserId),
      this.d.store.operatorActions.budgetFacts(openKfId, externalUserId),
    ]);
    let mode: CustomerMode = customer.mode;
    if (mode === 'human' && !humanHolds(customer, now)) mode = 'ai';
    if ((mode === 'console' || mode === 'waiting') && !consoleHolds(customer, facts.lastCustomerAt, now))
      mode = 'ai';
    return { mode, modeSince: customer.modeSince, budget: budgetOf(facts, now) };
  }

  /**
   * Pauses the AI for this customer: mode `console` (the session stays API-served in WeCom, so
   * send_msg keeps working), and every message of theirs whose reply has not started going out is
   * cancelled, so an answer Coze is still writing is not sent. Returns how many were cancelled.
   */
  async takeOver(operator: string, openKfId: string, externalUserId: string): Promise<{ cancelled: number }> {
    const c = await this.control(openKfId, externalUserId);
    if (c.mode === 'human') throw humanMode();
    const now = this.now();
    // Mode first: a message planned after this sees the console's mode and is skipped; one planned
    // before it is still `received` (or answered, not yet going out) and is cancelled next.
    await this.d.store.setCustomerMode(openKfId, externalUserId, 'console', now, now);
    const cancelled = await this.d.store.operatorActions.cancelForTakeover(
      openKfId,
      externalUserId,
      `not answered: ${operator} took the chat over`,
      now,
    );
    await this.d.audit({
      at: now,
      operator,
      action: 'takeover',
      openKfId,
      externalUserId,
      detail: cancelled ? `${cancelled} pending AI answer(s) cancelled` : null,
    });
    return { cancelled };
  }

  /** Resumes the bot: the customer's next message is answered by Coze again. */
  async handBack(operator: string, openKfId: string, externalUserId: string): Promise<{ changed: boolean }> {
    const c = await this.control(openKfId, externalUserId);
    if (c.mode === 'human') throw humanMode();
    if (c.mode === 'ai') return { changed: false };
    const now = this.now();
    await this.d.store.setCustomerMode(openKfId, externalUserId, 'ai', now, now);
    await this.d.audit({ at: now, operator, action: 'handback', openKfId, externalUserId });
    return { changed: true };
  }

  /**
   * Sends the operator's text to the customer, once per `actionId` (the browser's id of the click,
   * reused on a double click or a retry). A customer waiting in the console's queue is taken over
   * by the reply. Refused when the session is with a WeCom servicer, the AI still has the chat,
   * the 48-hour window is closed, or the 5 messages are used.
   */
  async reply(
    operator: string,
    openKfId: string,
    externalUserId: string,
    actionId: string,
    text: string,
  ): Promise<{ msgid: string; duplicate: boolean }> {
    if (!ACTION_ID_RE.test(actionId))
      throw new OperatorRefusal('bad_action_id', 'the action id must be 8-64 letters, digits, _ or -');
    const msgid = `op_${actionId}`;
    const existing = await this.d.store.get(msgid);
    if (existing) {
      if (existing.openKfId !== openKfId || existing.externalUserId !== externalUserId)
        throw new OperatorRefusal('bad_action_id', 'this action id was used for another customer');
      return { msgid, duplicate: true };
    }
    const content = text.trim();
    if (!content) throw new OperatorRefusal('empty_text', 'the reply is empty');
    if (Buffer.byteLength(content, 'utf8') > TEXT_MAX_BYTES)
      throw new OperatorRefusal('too_long', `the reply is over ${TEXT_MAX_BYTES} bytes`);
    const c = await this.control(openKfId, externalUserId);
    if (c.mode === 'human') throw humanMode();
    if (c.mode === 'ai')
      throw new OperatorRefusal('not_taken_over', 'the AI has this chat: take it over first');
    refuseWithoutBudget(c.budget);
    if (c.mode === 'waiting') await this.takeOver(operator, openKfId, externalUserId);
    const now = this.now();
    const inserted = await this.d.store.operatorActions.insertReply({
      msgid,
      openKfId,
      externalUserId,
      operator,
      text: content,
      now,
    });
    if (inserted) {
      this.d.kick();
      await this.d.audit({
        at: now,
        operator,
        action: 'reply',
        openKfId,
        externalUserId,
        detail: `${msgid} (${[...content].length} characters)`,
      });
    }
    return { msgid, duplicate: !inserted };
  }

  /**
   * Has failed messages answered again, each once: one whose stored answer was the apology (or
   * that has none) is asked of Coze anew; one whose reply was not delivered continues after the
   * parts already sent. Each message is judged on its own; the result says what happened to each.
   */
  async retry(operator: string, msgids: string[]): Promise<RetryResult[]> {
    const results: RetryResult[] = [];
    for (const msgid of unique(msgids)) {
      try {
        const state = await this.retryOne(operator, msgid);
        results.push({ msgid, ok: true, state });
      } catch (err) {
        if (!(err instanceof OperatorRefusal)) throw err;
        results.push({ msgid, ok: false, code: err.code, message: err.message });
      }
    }
    if (results.some((r) => r.ok)) this.d.kick();
    return results;
  }

  private async retryOne(operator: string, msgid: string): Promise<'received' | 'answered' | 'sending'> {
    const item = await this.d.store.get(msgid);
    if (!item) throw new OperatorRefusal('not_found', 'no such message');
    if (item.state !== 'failed')
      throw new OperatorRefusal('not_failed', 'the message is not failed (already retried?)');
    if (item.msgtype === 'event')
      throw new OperatorRefusal(
        'welcome_expired',
        'a welcome can only be sent within 20 s of the customer entering',
      );
    const c = await this.control(item.openKfId, item.externalUserId);
    if (c.mode === 'human') throw humanMode();
    const asksAi = item.apologized || item.parts === null;
    if (asksAi && c.mode !== 'ai')
      throw new OperatorRefusal(
        'taken_over',
        'an operator has this chat: hand it back to the AI first, or reply yourself',
      );
    refuseWithoutBudget(c.budget);
    const now = this.now();
    const state = await this.d.store.operatorActions.retry(msgid, `retried by ${operator}`, now);
    if (!state) throw new OperatorRefusal('not_failed', 'the message is not failed (already retried?)');
    await this.d.audit({
      at: now,
      operator,
      action: 'retry',
      openKfId: item.openKfId,
      externalUserId: item.externalUserId,
      detail: msgid,
    });
    return state;
  }

  /** The console stops flagging these failed messages (they stay failed); returns how many. */
  async dismiss(operator: string, msgids: string[]): Promise<number> {
    const ids = unique(msgids);
    const now = this.now();
    const n = await this.d.store.operatorActions.dismiss(ids, now);
    if (n)
      await this.d.audit({
        at: now,
        operator,
        action: 'dismiss',
        detail: `${n} failed message(s): ${ids.slice(0, 20).join(', ')}`,
      });
    return n;
  }
}

function humanMode(): OperatorRefusal {
  return new OperatorRefusal(
    'human_mode',
    "the chat was handed to a WeCom servicer (service_state/trans): it left the API's reach, so wxcoze cannot send to it",
  );
}

function refuseWithoutBudget(b: Budget): void {
  if (!b.windowOpen)
    throw new OperatorRefusal(
      'window_closed',
      "48 hours have passed since the customer's last message (or they never wrote)",
    );
  if (b.left <= 0)
    throw new OperatorRefusal(
      'budget_spent',
      "the 5 messages allowed after the customer's last message are used",
    );
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)].slice(0, MAX_BATCH);
}
