import type {
  ConsoleAccessStore,
  ConsoleSettingsStore,
  ConsoleStatsStore,
  OperatorActionsStore,
} from './console-types.js';

/**
 * The one storage interface, implemented once for both engines by `SqlStore` (src/store/sql/).
 * Nothing here knows about HTTP, WeCom or Coze wire formats beyond the stored JSON.
 */
import type { ConversationsStore } from './console-types.js';
import type { AlertsStore } from './alert-types.js';
import type { SurveysStore } from './survey-types.js';
import type { MaintenanceStore, PrivacyStore } from './maintenance-types.js';

/** Inbox states. "claimed" is not a state of its own: it is a lease (owner + until) on a pending row. */
export type InboxState = 'received' | 'answered' | 'sending' | 'done' | 'skipped' | 'failed' | 'cancelled';
export const PENDING_STATES: InboxState[] = ['received', 'answered', 'sending'];
export const INBOX_STATES: InboxState[] = [...PENDING_STATES, 'done', 'skipped', 'failed', 'cancelled'];

export interface Account {
  openKfId: string;
  cursor: string | null;
  /** When wxcoze first saw this account (ms): messages sent well before it are history, not answered. */
  firstSeenAt: number;
  lastPullAt: number | null;
  lastError: string | null;
}

export interface NewInboxMessage {
  msgid: string;
  openKfId: string;
  externalUserId: string;
  origin: number;
  msgtype: string;
  sendTime: number; // unix seconds, as WeCom gives it
  payload: unknown; // the whole sync_msg item
  /** received (to answer) or skipped (recorded only). */
  state: 'received' | 'skipped';
  note?: string;
}

/**
 * One step of a reply, sent in order. `text`, `image` and `menu` are customer-visible messages
 * (they count against WeCom's 5-per-customer-message budget); `welcome` goes through
 * send_msg_on_event; `handoff` moves the session to a human and sends nothing.
 */
export interface ReplyPart {
  kind: 'text' | 'image' | 'menu' | 'welcome' | 'handoff' | 'voice' | 'survey';
  /** text content; an image's source URL; a menu's or welcome's head text; what a voice part says. */
  content: string;
  /** text to send instead when an image cannot be delivered. */
  fallback?: string;
  /** menu / welcome buttons (click items). */
  buttons?: string[];
  /** welcome: the single-use code from enter_session; survey: the session end's msg_code (send_msg_on_event). */
  code?: string;
  /** survey: its row in `surveys` (the buttons' menu ids name it, so a click finds its survey). */
  surveyId?: number;
  /** handoff: the servicer to hand to (state 3), else the queue (state 2). */
  servicer?: string;
  /**
   * handoff: where it goes. 'console': the operator console's queue (the AI pauses, the session
   * stays API-served, nothing is asked of WeCom); unset: WeCom's own servicers (service_state/trans).
   */
  to?: 'console';
  /** voice: the Coze voice (voice_id) that speaks it, fixed when the answer is stored. */
  voiceId?: string;
}

export interface InboxItem {
  seq: number;
  msgid: string;
  openKfId: string;
  externalUserId: string;
  origin: number;
  msgtype: string;
  sendTime: number;
  payload: unknown; // the whole sync_msg item, as stored
  state: InboxState;
  attempts: number;
  parts: ReplyPart[] | null;
  partsSent: number;
  note: string | null;
  /** The stored answer is the apology: once delivered, the message still ends `failed`. */
  apologized: boolean;
  cozeConversationId: string | null;
  cozeChatId: string | null;
  createdAt: number;
  updatedAt: number;
  /** Who holds the lease (as read; stubs may leave it out). */
  leaseOwner?: string | null;
  /**
   * How many times an operator had the message answered again from the start (a retry after the
   * apology): part msgids of a new round differ from the earlier round's, so WeCom does not take
   * the new answer for a duplicate of the apology (migration 8; stubs may leave it out).
   */
  replyRound?: number;
  /** When an operator dismissed the failed message (the console stops flagging it); null: not dismissed. */
  dismissedAt?: number | null;
  /** A voice message's transcript (null: not transcribed, or not yet; migration 10; stubs may leave it out). */
  transcript?: string | null;
  /** A file message's name as WeCom gave it, once the pipeline fetched it (migration 10). */
  mediaFilename?: string | null;
}

/** What the pipeline learnt of a message's media while turning it into a question (shown in the console). */
export interface MediaNote {
  transcript?: string;
  filename?: string;
}

/**
 * Who serves a customer's session. `ai`: the bot. `human`: handed to a WeCom servicer
 * (service_state/trans): the session left the API's reach. `console`: an operator took over in the
 * console (AI paused, session still API-served). `waiting`: handed to the console, waiting in its
 * queue (AI paused). Both console modes end by "hand back" or after 48 h without a customer message.
 */
export type CustomerMode = 'ai' | 'human' | 'console' | 'waiting';
export const CUSTOMER_MODES: readonly CustomerMode[] = ['ai', 'human', 'console', 'waiting'];

/**
 * A customer's state with their internal user and that user's conversation with one bot, read at once:
 * `user` null when the customer has no user yet, absent when not known (no customer row).
 */
export interface CustomerWithUser {
  customer: CustomerState;
  user?: { userId: string; conversation: StoredConversation | null } | null;
}

/** Per-customer state beyond the inbox: who serves the session, and notices already sent. */
export interface CustomerState {
  mode: CustomerMode;
  /** When the mode last changed (ms); a message sent before it is judged by the older mode. */
  modeSince: number;
  fallbackSentAt: number;
  quietNoticeAt: number;
}

export interface ClaimOptions {
  owner: string;
  leaseMs: number;
  limit: number;
  now: number;
  /**
   * A lease is also claimable once its owner's heartbeat is older than this (or the owner said it
   * is gone), whatever its lease_until. Unset: only gone owners' and expired leases are claimable.
   */
  takeoverMs?: number;
}

/** One running process as the heartbeats table knows it. */
export interface InstanceRun {
  /** Its lease owner (unique per process run). */
  owner: string;
  /** The identity that survives restarts (WXCOZE_INSTANCE_ID, by default host:port). */
  instanceId: string;
  host: string;
  pid: number;
  startedAt: number;
  /** Its last heartbeat (ms). */
  beatAt: number;
}

export interface Store {
  readonly kind: string;
  /** What an operator does in the console: take over, reply, retry, dismiss (src/operator/). */
  readonly operatorActions: OperatorActionsStore;
  /** The operator console's access data: operators, sessions, audit log, login throttling. */
  readonly consoleAccess: ConsoleAccessStore;
  /** The console's conversations read model, and the customers' WeChat profiles (the pipeline fetches them). */
  readonly conversations: ConversationsStore;
  /** The console's charts (src/store/sql/console-stats.ts). */
  readonly stats: ConsoleStatsStore;
  /** Settings changed in the console, which win over the config file's (src/store/sql/console-settings.ts). */
  readonly consoleSettings: ConsoleSettingsStore;
  /** Each alert condition's state, shared by the instances, and the inbox facts alerts read (src/store/sql/alerts.ts). */
  readonly alerts: AlertsStore;
  /** Satisfaction surveys: who sends one, and the ratings customers chose (src/store/sql/surveys.ts). */
  readonly surveys: SurveysStore;
  /** The daily jobs' last runs and the claim that lets one instance run each (src/store/sql/maintenance.ts). */
  readonly maintenance: MaintenanceStore;
  /** Erasing customer content: retention and `customers forget` (src/store/sql/retention.ts, forget.ts). */
  readonly privacy: PrivacyStore;
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** One trivial query (SELECT 1): whether the database answers now (/readyz). */
  ping(): Promise<void>;

  // accounts and cursors
  touchAccount(openKfId: string, now: number): Promise<Account>;
  getAccount(openKfId: string): Promise<Account | undefined>;
  listAccounts(): Promise<Account[]>;
  /** Deletes an account row no inbox message refers to (a junk open_kfid); false when kept. */
  forgetAccount(openKfId: string): Promise<boolean>;
  /** Stores one sync_msg page's messages and its next_cursor in ONE transaction; duplicates by msgid are ignored. */
  commitPage(
    openKfId: string,
    nextCursor: string,
    messages: NewInboxMessage[],
    now: number,
  ): Promise<{ inserted: number; duplicates: number }>;
  recordPull(openKfId: string, error: string | null, now: number): Promise<void>;

  // inbox
  /** Leases pending messages that are due, oldest first, at most one per customer, never one whose earlier sibling is unfinished. */
  claim(opts: ClaimOptions): Promise<InboxItem[]>;
  get(msgid: string): Promise<InboxItem | undefined>;
  /** Renews this owner's unexpired leases on `msgids` to `until`; returns those no longer this owner's. */
  extendLeases(msgids: string[], owner: string, until: number, now: number): Promise<string[]>;
  /**
   * Stores the answer (state answered); `apology`: it is the apology (the message ends `failed` once
   * it is out). `sending`: it goes out at once, so the same write is beginSending's (state sending).
   * False when the lease was lost (or the message was cancelled).
   */
  saveAnswer(
    msgid: string,
    owner: string,
    parts: ReplyPart[],
    note: string | null,
    now: number,
    apology?: boolean,
    sending?: boolean,
  ): Promise<boolean>;
  /**
   * Marks part `partNo` (0-based) done; a message part (outMsgid set) is logged against the customer's
   * budget. `last`: it was the answer's last part, so the same write finishes the message (as `finish`).
   */
  markPartSent(
    msgid: string,
    owner: string,
    partNo: number,
    outMsgid: string | null,
    now: number,
    last?: LastPart,
  ): Promise<boolean>;
  finish(
    msgid: string,
    owner: string,
    state: 'done' | 'failed' | 'skipped',
    note: string | null,
    now: number,
  ): Promise<boolean>;
  /** Gives the lease back and schedules another attempt; the state stays where it was. */
  deferRetry(
    msgid: string,
    owner: string,
    nextAttemptAt: number,
    note: string,
    now: number,
  ): Promise<boolean>;
  releaseLease(msgid: string, owner: string): Promise<void>;
  /**
   * Called once at start. The embedded store serves one process, so every lease found then was
   * held by a process that died: give them all back at once instead of waiting for expiry.
   * Shared stores leave leases to expire (other instances may be alive). Returns how many.
   */
  recoverLeasesAtStart(): Promise<number>;
  setChatRef(msgid: string, conversationId: string, chatId: string): Promise<void>;
  /** Keeps what was learnt of the message's media (a voice's transcript, a file's name) for the console. */
  noteMedia(msgid: string, note: MediaNote, now: number): Promise<void>;
  /**
   * Logs a message sent while `msgid` is still being answered (the waiting notice) against the
   * customer's budget, keyed by `outMsgid`, only while the lease is ours and no answer is stored.
   */
  logInterimSend(msgid: string, owner: string, outMsgid: string, now: number): Promise<boolean>;
  /** Messages sent to this customer since their latest message (the 5-per-message budget used), in one query. */
  budgetUsed(openKfId: string, externalUserId: string): Promise<number>;
  /** budgetUsed, and the unfinished messages of the same customer after `seq` (each still needs a reply), in one query. */
  budgetAndWaiting(
    openKfId: string,
    externalUserId: string,
    seq: number,
  ): Promise<{ used: number; waiting: number }>;
  /**
   * Earliest future time at which a pending message becomes claimable, or null: a retry coming
   * due, a lease expiring, or (with `takeoverMs`) the moment its owner's heartbeat goes stale.
   */
  nextWakeAt(now: number, takeoverMs?: number): Promise<number | null>;

  // heartbeats (lease takeover across instances and restarts)
  /** The runs under this instance id that have not said they are gone. */
  instanceRuns(instanceId: string): Promise<InstanceRun[]>;
  /** Registers this run; earlier runs of the same instance id are declared gone (their leases free at once). */
  beginRun(run: InstanceRun): Promise<void>;
  /** One UPDATE; false when this run's row is gone (replaced by a restart under the same id). */
  heartbeat(owner: string, now: number): Promise<boolean>;
  /** Graceful stop: this run's remaining leases are free at once. */
  endRun(owner: string): Promise<void>;
  /**
   * Every waiting message (received, answered, sending) by state, however old. Read by index: the
   * cost follows the waiting messages, never the inbox's size (its rows are kept for the charts).
   */
  countWaiting(): Promise<Record<string, number>>;
  /**
   * The messages created at or after `since` (ms) by state, every state present (0 when none).
   * Read by the created_at index: the cost follows the messages since then.
   */
  countSince(since: number): Promise<Record<InboxState, number>>;

  // customers (handoff, notices) and message events
  getCustomer(openKfId: string, externalUserId: string): Promise<CustomerState>;
  /**
   * getCustomer, with the customer's internal user under `channel` and that user's conversation
   * with `botKey` (null: none), in one read. `user`: null when the customer has no user yet,
   * absent when not known (no customer row).
   */
  customerWithUser(
    openKfId: string,
    externalUserId: string,
    channel: string,
    botKey: string,
  ): Promise<CustomerWithUser>;
  /** Sets who serves the session, unless a later change is already recorded (pages can replay). */
  setCustomerMode(
    openKfId: string,
    externalUserId: string,
    mode: CustomerMode,
    since: number,
    now: number,
  ): Promise<void>;
  /**
   * When the customer last wrote (ms, their latest origin-3 message; `beforeSeq`: only messages
   * committed before that one), or null when never: the start of WeCom's 48-hour reply window.
   */
  lastCustomerMessageAt(openKfId: string, externalUserId: string, beforeSeq?: number): Promise<number | null>;
  /**
   * answered → sending, just before the first part of a reply goes out, only while the lease is
   * ours. False when the message was cancelled meanwhile (recalled, or an operator took the chat
   * over) or the lease was lost: nothing may be sent then. After it, a cancel no longer applies.
   */
  beginSending(msgid: string, owner: string, now: number): Promise<boolean>;
  markCustomerNotice(
    openKfId: string,
    externalUserId: string,
    kind: 'fallback' | 'quiet',
    at: number,
  ): Promise<void>;
  /** Cancels a message whose reply has not started going out (the customer recalled it). */
  cancelMessage(msgid: string, note: string, now: number): Promise<boolean>;
  /** Records WeCom's msg_send_fail against the message the failed reply answered; returns that msgid. */
  noteDeliveryFailure(outMsgid: string, note: string, now: number): Promise<string | undefined>;

  // identity
  /**
   * The internal user of a channel identity, created on first sight. Stable forever. `legacyId`:
   * the identity's unscoped spelling from before migration 3; if it is still waiting to be
   * adopted, this identity takes it over with its internal user (once: the first caller wins).
   */
  resolveUser(channel: string, externalId: string, now: number, legacyId?: string): Promise<string>;
  /**
   * resolveUser (no legacy id) and the user's conversation with the bot, in one read (a user made
   * now has none). `conversation`: null when there is none; undefined when it was not read.
   * `unknown`: the caller has just read that there is no user (customerWithUser): made without a read.
   */
  userWithConversation(
    channel: string,
    externalId: string,
    botKey: string,
    now: number,
    unknown?: boolean,
  ): Promise<{ userId: string; conversation?: StoredConversation | null }>;
  getConversation(userId: string, botKey: string): Promise<string | undefined>;
  /** The user's conversation with the bot, and which Coze credential made it. */
  conversationOf(userId: string, botKey: string): Promise<StoredConversation | undefined>;
  /** `cozeAuth`: the Coze credential that made or last reached it ('token' when not said). */
  setConversation(
    userId: string,
    botKey: string,
    conversationId: string,
    now: number,
    cozeAuth?: string,
  ): Promise<void>;
  clearConversation(userId: string, botKey: string): Promise<void>;

  // identity links (`wxcoze users link`)
  /** Joins `other` to `keep`'s internal user (merging users when both exist); `keep`'s Coze memory wins. */
  linkIdentities(keep: ChannelIdentity, other: ChannelIdentity, now: number): Promise<LinkResult>;
  /** The internal user of a channel identity and every identity joined to it, without creating anything. */
  findIdentities(
    who: ChannelIdentity,
  ): Promise<{ userId: string; identities: ChannelIdentity[] } | undefined>;
  /** One page of internal users, newest first, each with its identities; `total` counts them all. */
  listUsers(page: { limit: number; offset: number }): Promise<{ total: number; users: UserSummary[] }>;
}

export interface UserSummary {
  userId: string;
  createdAt: number;
  identities: ChannelIdentity[];
}

/** One person as a channel knows them: ('wecom', external_userid), ('openwebui', user id), … */
export interface ChannelIdentity {
  channel: string;
  externalId: string;
}

/** A user's Coze conversation with one bot. */
export interface StoredConversation {
  conversationId: string;
  /**
   * The Coze credential that made it, or last reached it: 'token' (COZE_API_TOKEN) or 'oauth:<app
   * id>' (docs/protocol.md §coze-oauth-conversations).
   */
  cozeAuth: string;
}

export interface LinkResult {
  /** The internal user both identities now belong to (what Coze sees as user_id). */
  userId: string;
  /** Nothing changed: they were one user already. */
  alreadyLinked: boolean;
  /** The internal user that was merged away, when both identities had one. */
  mergedUserId?: string;
  /** Conversations of the merged user taken over (bots `keep` had none with). */
  movedConversations: number;
  /** Conversations of the merged user dropped because `keep` had one with the same bot. */
  droppedConversations: number;
}

/** How a message ends when its last part is marked sent (markPartSent's `last`). */
export interface LastPart {
  state: 'done' | 'failed';
  note: string | null;
}
