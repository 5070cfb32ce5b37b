/**
 * The console's store interfaces, one section per concern (docs/console-design.md). Each is
 * implemented once for both engines in src/store/sql/console-*.ts and exposed on `Store`.
 */
import type { InboxItem } from './types.js';

// ------------------------------------------------------------------ conversations

/** Who serves a customer: the bot, a WeCom servicer, an operator in the console, or nobody yet (waiting for one). */
export type CustomerMode = 'ai' | 'human' | 'console' | 'waiting';

/** What needs an operator's eye: a handoff asked for, a message that failed (48 h), WeCom's 5 replies spent. */
export type ConversationFlag = 'handoff' | 'failed' | 'budget';

export interface ConversationSummary {
  openKfId: string;
  externalUserId: string;
  nickname: string | null;
  /** https URL of the WeChat avatar, as customer/batchget gave it (null when unknown or not https). */
  avatar: string | null;
  /** The mode in force now (a `human`/`console`/`waiting` older than the 48 h session reads as `ai`). */
  mode: CustomerMode;
  modeSince: number;
  /** The customer's newest inbox row: the list's order and its paging cursor. */
  lastSeq: number;
  last: InboxItem;
  /** When the customer last wrote (ms; 0 never): the 48 h send window starts there. */
  lastCustomerAt: number;
  /** Messages sent since the customer's latest message (WeCom allows 5). */
  budgetUsed: number;
  flags: ConversationFlag[];
}

export interface ConversationListQuery {
  now: number;
  limit: number;
  /** Paging: only conversations whose lastSeq is below this (the last row of the previous page). */
  before?: number;
  openKfId?: string;
  mode?: CustomerMode;
  flag?: ConversationFlag;
  /**
   * A customer id (exact), part of a nickname, or text of a message or an answer. Text is searched
   * in the newest `TEXT_SEARCH_WINDOW` inbox rows only, so a search costs the same at any store size.
   */
  q?: string;
}

export interface ConversationChange {
  type: 'message' | 'customer';
  openKfId: string;
  externalUserId: string;
  seq: number;
  updatedAt: number;
}

export interface CustomerProfile {
  externalUserId: string;
  nickname: string;
  avatar: string;
}

export interface ConversationsStore {
  /** Conversations, latest activity first. `more`: another page exists (ask with before = last row's lastSeq). */
  list(query: ConversationListQuery): Promise<{ items: ConversationSummary[]; more: boolean }>;
  /** One customer's summary (undefined: never seen). */
  summary(openKfId: string, externalUserId: string, now: number): Promise<ConversationSummary | undefined>;
  /** A customer's rows, oldest first, at most `limit`, those before seq `before` when given (older pages). */
  thread(
    openKfId: string,
    externalUserId: string,
    page: { limit: number; before?: number },
  ): Promise<{ items: InboxItem[]; more: boolean }>;
  /** Inbox rows and customers changed at or after `since` (ms), oldest change first, at most `limit` of each. */
  changesSince(since: number, limit: number): Promise<ConversationChange[]>;
  /** Of these external_userids, those without a profile whose last batchget is older than `triedBefore`. */
  missingProfiles(externalUserIds: string[], triedBefore: number): Promise<string[]>;
  /** Stores found profiles and marks every id in `asked` as tried at `now` (retried only after an interval). */
  saveProfiles(found: CustomerProfile[], asked: string[], now: number): Promise<void>;
}
