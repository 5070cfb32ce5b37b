/**
 * What the operator console keeps in the store, one interface per concern (docs/console-design.md).
 * Each is implemented once over SqlDb in src/store/sql/console-*.ts and exposed on `Store` as a
 * readonly property, so the console's routes reach it through the store handle they are given.
 */
import type { InboxItem } from './types.js';

// ── access (operators, sessions, audit log, login throttling): src/store/sql/console-access.ts ──

export interface Operator {
  name: string;
  /** `scrypt$…` (src/console/auth/password.ts). */
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
}

export interface ConsoleSession {
  /** SHA-256 (hex) of the cookie's value. */
  idHash: string;
  operator: string;
  csrf: string;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
}

/** One line of the audit log. `openKfId`/`externalUserId`: the customer the action concerned, if any. */
export interface AuditEntry {
  id: number;
  at: number;
  operator: string;
  action: string;
  openKfId: string | null;
  externalUserId: string | null;
  detail: string | null;
}

export interface NewAuditEntry {
  at: number;
  operator: string;
  /** A short stable code: `login`, `login_failed`, `logout`, `takeover`, `reply`, `settings`, … */
  action: string;
  openKfId?: string | null;
  externalUserId?: string | null;
  /** Free text or JSON a human reads in the audit page (cut to 2,000 characters). */
  detail?: string | null;
}

export interface ConsoleAccessStore {
  countOperators(): Promise<number>;
  getOperator(name: string): Promise<Operator | undefined>;
  listOperators(): Promise<Operator[]>;
  /** Creates the operator or replaces its password; true when it was created. */
  setOperator(name: string, passwordHash: string, now: number): Promise<boolean>;
  /** Removes the operator and ends its sessions; false when there was none. */
  removeOperator(name: string): Promise<boolean>;

  createSession(s: ConsoleSession): Promise<void>;
  /** The session, if it exists (expired or not: the caller decides). */
  getSession(idHash: string): Promise<ConsoleSession | undefined>;
  touchSession(idHash: string, lastSeenAt: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  /** Ends every session of an operator (its password changed); returns how many. */
  deleteSessionsOf(operator: string): Promise<number>;
  /** Drops sessions that ended (expired, or idle longer than `idleMs`) before `now`. */
  pruneSessions(now: number, idleMs: number): Promise<number>;

  audit(entry: NewAuditEntry): Promise<void>;
  /** Newest first; `before`: only entries with a smaller id (the next page). */
  listAudit(opts: { limit: number; before?: number; operator?: string }): Promise<AuditEntry[]>;

  /** Failures counted under `key` in the window that started at most `windowMs` ago (0 if none). */
  loginFailures(
    key: string,
    now: number,
    windowMs: number,
  ): Promise<{ failures: number; windowStart: number }>;
  /** Counts one failure under `key` (a new window if the last one is over); returns the new count. */
  noteLoginFailure(
    key: string,
    now: number,
    windowMs: number,
  ): Promise<{ failures: number; windowStart: number }>;
  clearLoginFailures(key: string): Promise<void>;
}

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

// ── conversations (list, thread, live changes, customer profiles): src/store/sql/console-conversations.ts ──

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
  /** One row of a customer's thread (undefined: no row `seq`, or it belongs to another customer). */
  message(openKfId: string, externalUserId: string, seq: number): Promise<InboxItem | undefined>;
  /** Inbox rows and customers changed at or after `since` (ms), oldest change first, at most `limit` of each. */
  changesSince(since: number, limit: number): Promise<ConversationChange[]>;
  /** Of these external_userids, those without a profile whose last batchget is older than `triedBefore`. */
  missingProfiles(externalUserIds: string[], triedBefore: number): Promise<string[]>;
  /** Stores found profiles and marks every id in `asked` as tried at `now` (retried only after an interval). */
  saveProfiles(found: CustomerProfile[], asked: string[], now: number): Promise<void>;
}

// ── stats (charts): src/store/sql/console-stats.ts ──

/** One time bucket of the charts: what came in, how it ended, how long answers took. */
export interface StatsBucket {
  /** Start of the bucket (ms). */
  at: number;
  /** Customer messages (origin 3, not events) recorded in the bucket. */
  in: number;
  /** Of those: answered (state done), skipped, failed; the rest are pending or cancelled. */
  answered: number;
  skipped: number;
  failed: number;
  /** Of those: handed to a human (the note starts with "handoff"). */
  handoffs: number;
  /** Answer latency (ms) of the answered ones, from the customer's send_time to the answer's finish; null without any. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface StatsSeries {
  from: number;
  to: number;
  bucketMs: number;
  buckets: StatsBucket[];
  /** The same figures over the whole range. */
  total: Omit<StatsBucket, 'at'>;
}

export interface ConsoleStatsStore {
  /**
   * Counts and latency percentiles per bucket of `bucketMs` in [from, to), by when a message was
   * recorded (created_at); `openKfId` narrows to one account.
   */
  series(q: { from: number; to: number; bucketMs: number; openKfId?: string }): Promise<StatsSeries>;
  /** Processes that beat since `since` (the heartbeats table), newest first: the instances seen. */
  instances(since: number): Promise<SeenInstance[]>;
  /** Per account: when its newest message was recorded (how long since the cursor last moved with messages). */
  lastMessageAt(openKfIds: string[]): Promise<Record<string, number>>;
}

export interface SeenInstance {
  instanceId: string;
  host: string;
  pid: number;
  startedAt: number;
  beatAt: number;
  /** It stopped (or a restart under the same id replaced it). */
  gone: boolean;
}

// ── settings (what an owner changes in the console): src/store/sql/console-settings.ts ──

/** '*' = the defaults of every account; else an open_kfid. */
export type SettingScope = string;
export const DEFAULT_SCOPE = '*';

export interface StoredSetting {
  scope: SettingScope;
  key: string;
  /** The validated value; null = follow the config file again. */
  value: unknown;
  updatedAt: number;
  updatedBy: string | null;
}

export interface ConsoleSettingsStore {
  list(): Promise<StoredSetting[]>;
  /** Grows with every save (the newest updated_at): a cheap "did anything change" for every instance. */
  version(): Promise<number>;
  /** Saves the changes in one transaction; returns the new version. */
  save(
    changes: { scope: SettingScope; key: string; value: unknown }[],
    by: string | null,
    now: number,
  ): Promise<number>;
}
