import { CompiledQuery } from 'kysely';
import type {
  Account,
  ChannelIdentity,
  ClaimOptions,
  CustomerMode,
  CustomerState,
  CustomerWithUser,
  InboxItem,
  InboxState,
  InstanceRun,
  LinkResult,
  LastPart,
  MediaNote,
  NewInboxMessage,
  ReplyPart,
  Store,
  StoredConversation,
  UserSummary,
} from '../types.js';
import type { ForgetPlan, PrivacyStore } from '../maintenance-types.js';
import { Accounts } from './accounts.js';
import { Alerts } from './alerts.js';
import { OperatorActions } from './console-operator.js';
import { ConsoleAccess } from './console-access.js';
import { Conversations } from './console-conversations.js';
import { ConsoleSettings } from './console-settings.js';
import { ConsoleStats } from './console-stats.js';
import { Customers } from './customers.js';
import type { SqlDb } from './db.js';
import { Heartbeats } from './heartbeats.js';
import { Identities } from './identities.js';
import { Inbox } from './inbox.js';
import { Surveys } from './surveys.js';
import { forget, findPerson } from './forget.js';
import { Maintenance } from './maintenance.js';
import { migrateMysql, migrateSqlite } from './migrate.js';
import { eraseBefore } from './retention.js';
import { MysqlDb } from './mysql-db.js'; // its driver is imported only by MysqlDb.open
import { SqliteDb } from './sqlite-db.js';

/**
 * The one `Store`, for both engines: the facade the pipeline, routes and CLI see, composed of one
 * part per concern (accounts, inbox, customers, identities), each written once over `SqlDb`.
 */
/** The same text on both engines. */
const PING = CompiledQuery.raw('SELECT 1');

export class SqlStore implements Store {
  readonly kind: 'sqlite' | 'mysql';
  readonly accounts: Accounts;
  readonly inbox: Inbox;
  readonly customers: Customers;
  readonly identities: Identities;
  readonly heartbeats: Heartbeats;
  /** The operator console's take over, replies, retry and dismiss (migration 8). */
  readonly operatorActions: OperatorActions;
  /** The operator console's operators, sessions, audit log and login throttling (migration 6). */
  readonly consoleAccess: ConsoleAccess;
  readonly conversations: Conversations;
  readonly stats: ConsoleStats;
  readonly consoleSettings: ConsoleSettings;
  /** The alerts' shared state and the inbox facts they read (migration 11, src/ops/alerts/). */
  readonly alerts: Alerts;
  /** Satisfaction surveys and their ratings (migration 14, src/pipeline/survey.ts). */
  readonly surveys: Surveys;
  /** The daily jobs' shared bookkeeping (migration 13, src/ops/maintenance/). */
  readonly maintenance: Maintenance;
  /** Retention and `customers forget`: erasing customer content (src/store/sql/retention.ts, forget.ts). */
  readonly privacy: PrivacyStore;

  private constructor(readonly db: SqliteDb | MysqlDb) {
    this.kind = db.dialect;
    const sqlDb: SqlDb = db;
    this.accounts = new Accounts(sqlDb);
    this.inbox = new Inbox(sqlDb);
    this.customers = new Customers(sqlDb);
    this.identities = new Identities(sqlDb);
    this.heartbeats = new Heartbeats(sqlDb);
    this.operatorActions = new OperatorActions(sqlDb, this.inbox, this.customers);
    this.consoleAccess = new ConsoleAccess(sqlDb);
    this.conversations = new Conversations(sqlDb);
    this.stats = new ConsoleStats(sqlDb);
    this.consoleSettings = new ConsoleSettings(sqlDb);
    this.alerts = new Alerts(sqlDb);
    this.surveys = new Surveys(sqlDb);
    this.maintenance = new Maintenance(sqlDb);
    this.privacy = {
      eraseBefore: (cutoff: number) => eraseBefore(sqlDb, cutoff),
      findPerson: (id: string) => findPerson(sqlDb, id),
      forget: (plan: ForgetPlan) => forget(sqlDb, plan),
      compact: async () => (db instanceof SqliteDb ? db.checkpointTruncate() : true),
    };
  }

  /** The embedded store: one SQLite file (created with its folder when missing; ':memory:' for tests). */
  static sqlite(file: string): SqlStore {
    return new SqlStore(new SqliteDb(file));
  }

  /** The shared store for several instances: MySQL or MariaDB. */
  static async mysql(url: string, opts: { connectionLimit?: number } = {}): Promise<SqlStore> {
    return new SqlStore(await MysqlDb.open(url, opts));
  }

  migrate(): Promise<void> {
    return this.db instanceof SqliteDb ? migrateSqlite(this.db) : migrateMysql(this.db);
  }

  private plannerTimer?: NodeJS.Timeout;

  /**
   * Keeps SQLite's planner statistics current (SqliteDb.optimize): now, and hourly when `hourly`.
   * One connection per process does it: the one whose thread can spare the time (the pipeline's).
   * MySQL keeps its own (InnoDB's persistent statistics): nothing to do.
   */
  keepPlannerStats(hourly: boolean, log?: (err: Error) => void): void {
    const db = this.db;
    if (!(db instanceof SqliteDb)) return;
    const run = (all: boolean) => {
      try {
        db.optimize(all);
      } catch (err) {
        log?.(err as Error); // busy with another writer past busy_timeout: next hour
      }
    };
    run(true);
    if (hourly) {
      this.plannerTimer = setInterval(() => run(false), 3600_000);
      this.plannerTimer.unref();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.plannerTimer);
    await this.db.close();
  }

  async ping(): Promise<void> {
    await this.db.rows(PING);
  }

  // accounts and cursors
  touchAccount(openKfId: string, now: number): Promise<Account> {
    return this.accounts.touch(openKfId, now);
  }
  getAccount(openKfId: string): Promise<Account | undefined> {
    return this.accounts.get(openKfId);
  }
  listAccounts(): Promise<Account[]> {
    return this.accounts.list();
  }
  forgetAccount(openKfId: string): Promise<boolean> {
    return this.accounts.forget(openKfId);
  }
  commitPage(openKfId: string, nextCursor: string, messages: NewInboxMessage[], now: number) {
    return this.accounts.commitPage(openKfId, nextCursor, messages, now);
  }
  recordPull(openKfId: string, error: string | null, now: number): Promise<void> {
    return this.accounts.recordPull(openKfId, error, now);
  }

  // inbox
  claim(opts: ClaimOptions): Promise<InboxItem[]> {
    return this.inbox.claim(opts);
  }
  get(msgid: string): Promise<InboxItem | undefined> {
    return this.inbox.get(msgid);
  }
  extendLeases(msgids: string[], owner: string, until: number, now: number): Promise<string[]> {
    return this.inbox.extendLeases(msgids, owner, until, now);
  }
  saveAnswer(
    msgid: string,
    owner: string,
    parts: ReplyPart[],
    note: string | null,
    now: number,
    apology?: boolean,
    sending?: boolean,
  ): Promise<boolean> {
    return this.inbox.saveAnswer(msgid, owner, parts, note, now, apology, sending);
  }
  markPartSent(
    msgid: string,
    owner: string,
    partNo: number,
    outMsgid: string | null,
    now: number,
    last?: LastPart,
  ): Promise<boolean> {
    return this.inbox.markPartSent(msgid, owner, partNo, outMsgid, now, last);
  }
  logInterimSend(msgid: string, owner: string, outMsgid: string, now: number): Promise<boolean> {
    return this.inbox.logInterimSend(msgid, owner, outMsgid, now);
  }
  finish(
    msgid: string,
    owner: string,
    state: 'done' | 'failed' | 'skipped',
    note: string | null,
    now: number,
  ): Promise<boolean> {
    return this.inbox.finish(msgid, owner, state, note, now);
  }
  deferRetry(
    msgid: string,
    owner: string,
    nextAttemptAt: number,
    note: string,
    now: number,
  ): Promise<boolean> {
    return this.inbox.deferRetry(msgid, owner, nextAttemptAt, note, now);
  }
  releaseLease(msgid: string, owner: string): Promise<void> {
    return this.inbox.releaseLease(msgid, owner);
  }
  recoverLeasesAtStart(): Promise<number> {
    return this.inbox.recoverLeasesAtStart();
  }
  setChatRef(msgid: string, conversationId: string, chatId: string): Promise<void> {
    return this.inbox.setChatRef(msgid, conversationId, chatId);
  }
  noteMedia(msgid: string, note: MediaNote, now: number): Promise<void> {
    return this.inbox.noteMedia(msgid, note, now);
  }
  budgetUsed(openKfId: string, externalUserId: string): Promise<number> {
    return this.inbox.budgetUsed(openKfId, externalUserId);
  }
  budgetAndWaiting(
    openKfId: string,
    externalUserId: string,
    seq: number,
  ): Promise<{ used: number; waiting: number }> {
    return this.inbox.budgetAndWaiting(openKfId, externalUserId, seq);
  }
  nextWakeAt(now: number, takeoverMs?: number): Promise<number | null> {
    return this.inbox.nextWakeAt(now, takeoverMs);
  }
  countWaiting(): Promise<Record<string, number>> {
    return this.inbox.countWaiting();
  }
  countSince(since: number): Promise<Record<InboxState, number>> {
    return this.inbox.countSince(since);
  }
  cancelMessage(msgid: string, note: string, now: number): Promise<boolean> {
    return this.inbox.cancel(msgid, note, now);
  }
  lastCustomerMessageAt(
    openKfId: string,
    externalUserId: string,
    beforeSeq?: number,
  ): Promise<number | null> {
    return this.inbox.lastCustomerMessageAt(openKfId, externalUserId, beforeSeq);
  }
  beginSending(msgid: string, owner: string, now: number): Promise<boolean> {
    return this.inbox.beginSending(msgid, owner, now);
  }
  noteDeliveryFailure(outMsgid: string, note: string, now: number): Promise<string | undefined> {
    return this.inbox.noteDeliveryFailure(outMsgid, note, now);
  }

  // heartbeats
  instanceRuns(instanceId: string): Promise<InstanceRun[]> {
    return this.heartbeats.runs(instanceId);
  }
  beginRun(run: InstanceRun): Promise<void> {
    return this.heartbeats.begin(run);
  }
  heartbeat(owner: string, now: number): Promise<boolean> {
    return this.heartbeats.beat(owner, now);
  }
  endRun(owner: string): Promise<void> {
    return this.heartbeats.end(owner);
  }

  // customers
  getCustomer(openKfId: string, externalUserId: string): Promise<CustomerState> {
    return this.customers.get(openKfId, externalUserId);
  }
  customerWithUser(
    openKfId: string,
    externalUserId: string,
    channel: string,
    botKey: string,
  ): Promise<CustomerWithUser> {
    return this.customers.withUser(openKfId, externalUserId, channel, botKey);
  }

  setCustomerMode(
    openKfId: string,
    externalUserId: string,
    mode: CustomerMode,
    since: number,
    now: number,
  ): Promise<void> {
    return this.customers.setMode(openKfId, externalUserId, mode, since, now);
  }
  markCustomerNotice(
    openKfId: string,
    externalUserId: string,
    kind: 'fallback' | 'quiet',
    at: number,
  ): Promise<void> {
    return this.customers.markNotice(openKfId, externalUserId, kind, at);
  }

  // identity
  resolveUser(channel: string, externalId: string, now: number, legacyId?: string): Promise<string> {
    return this.identities.resolveUser(channel, externalId, now, legacyId);
  }
  userWithConversation(
    channel: string,
    externalId: string,
    botKey: string,
    now: number,
    unknown?: boolean,
  ): Promise<{ userId: string; conversation?: StoredConversation | null }> {
    return this.identities.userWithConversation(channel, externalId, botKey, now, unknown);
  }
  getConversation(userId: string, botKey: string): Promise<string | undefined> {
    return this.identities.getConversation(userId, botKey);
  }
  conversationOf(userId: string, botKey: string): Promise<StoredConversation | undefined> {
    return this.identities.conversationOf(userId, botKey);
  }
  setConversation(
    userId: string,
    botKey: string,
    conversationId: string,
    now: number,
    cozeAuth?: string,
  ): Promise<void> {
    return this.identities.setConversation(userId, botKey, conversationId, now, cozeAuth);
  }
  clearConversation(userId: string, botKey: string): Promise<void> {
    return this.identities.clearConversation(userId, botKey);
  }
  linkIdentities(keep: ChannelIdentity, other: ChannelIdentity, now: number): Promise<LinkResult> {
    return this.identities.linkIdentities(keep, other, now);
  }
  findIdentities(
    who: ChannelIdentity,
  ): Promise<{ userId: string; identities: ChannelIdentity[] } | undefined> {
    return this.identities.findIdentities(who);
  }
  listUsers(page: { limit: number; offset: number }): Promise<{ total: number; users: UserSummary[] }> {
    return this.identities.listUsers(page);
  }
}
