import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { newUserId } from '../../identity/user-id.js';
import type { Account, ChannelIdentity, ClaimOptions, CustomerState, LinkResult, InboxItem, NewInboxMessage, ReplyPart, Store, UserSummary } from '../types.js';
import { MIGRATIONS } from '../migrations.js';
import { toAccount, toCustomer, toItem } from '../rows.js';
import { openSqlite } from './driver.js';

type Row = Record<string, any>;

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is synchronous, so each method
 * is one atomic step for this process; BEGIN IMMEDIATE makes claims safe against a second process
 * on the same file as well.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private db: Database.Database;
  private stmts!: ReturnType<SqliteStore['prepare']>;

  constructor(readonly file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.db = openSqlite(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL survives a process crash (kill -9); on power loss the last commit may go, and with
    // it the cursor, so the page is simply pulled again: nothing accepted is lost.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
  }

  async migrate(): Promise<void> {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const done = new Set(this.db.prepare('SELECT version FROM schema_migrations').all().map((r: any) => r.version as number));
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      // A failed migration rolls back whole: the data stays as it was.
      this.db.transaction(() => {
        this.db.exec(m.sqlite);
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }).immediate();
    }
    this.stmts = this.prepare();
  }

  private prepare() {
    const d = this.db;
    return {
      getAccount: d.prepare('SELECT * FROM accounts WHERE open_kfid = ?'),
      insertAccount: d.prepare('INSERT OR IGNORE INTO accounts (open_kfid, cursor, first_seen_at) VALUES (?, NULL, ?)'),
      listAccounts: d.prepare('SELECT * FROM accounts ORDER BY open_kfid'),
      setCursor: d.prepare('UPDATE accounts SET cursor = ? WHERE open_kfid = ?'),
      recordPull: d.prepare('UPDATE accounts SET last_pull_at = ?, last_error = ? WHERE open_kfid = ?'),
      insertInbox: d.prepare(`INSERT OR IGNORE INTO inbox (msgid, open_kfid, external_userid, origin, msgtype, send_time, payload, state, note, created_at, updated_at)
        VALUES (@msgid, @openKfId, @externalUserId, @origin, @msgtype, @sendTime, @payload, @state, @note, @now, @now)`),
      candidates: d.prepare(`SELECT i.* FROM inbox i
        WHERE i.state IN ('received', 'answered', 'sending') AND i.next_attempt_at <= @now AND i.lease_until <= @now
          AND NOT EXISTS (SELECT 1 FROM inbox j WHERE j.open_kfid = i.open_kfid AND j.external_userid = i.external_userid
                          AND j.seq < i.seq AND j.state IN ('received', 'answered', 'sending'))
        ORDER BY i.seq LIMIT @limit`),
      lease: d.prepare('UPDATE inbox SET lease_owner = @owner, lease_until = @until, attempts = attempts + (CASE WHEN state = \'received\' THEN 1 ELSE 0 END), updated_at = @now WHERE msgid = @msgid AND lease_until <= @now'),
      get: d.prepare('SELECT * FROM inbox WHERE msgid = ?'),
      extend: d.prepare('UPDATE inbox SET lease_until = @until WHERE msgid = @msgid AND lease_owner = @owner AND lease_until > @now'),
      saveAnswer: d.prepare(`UPDATE inbox SET state = 'answered', parts = @parts, note = @note, updated_at = @now WHERE msgid = @msgid AND lease_owner = @owner AND state = 'received'`),
      partSent: d.prepare(`UPDATE inbox SET state = 'sending', parts_sent = @partsSent, updated_at = @now WHERE msgid = @msgid AND lease_owner = @owner AND parts_sent < @partsSent`),
      logSend: d.prepare('INSERT OR IGNORE INTO sent_log (out_msgid, open_kfid, external_userid, sent_at, inbound_msgid) VALUES (?, ?, ?, ?, ?)'),
      finish: d.prepare(`UPDATE inbox SET state = @state, note = @note, lease_owner = NULL, lease_until = 0, updated_at = @now WHERE msgid = @msgid AND lease_owner = @owner`),
      defer: d.prepare(`UPDATE inbox SET attempts = attempts + 1, next_attempt_at = @at, note = @note, lease_owner = NULL, lease_until = 0, updated_at = @now WHERE msgid = @msgid AND lease_owner = @owner`),
      release: d.prepare('UPDATE inbox SET lease_owner = NULL, lease_until = 0 WHERE msgid = ? AND lease_owner = ?'),
      chatRef: d.prepare('UPDATE inbox SET coze_conversation_id = ?, coze_chat_id = ? WHERE msgid = ?'),
      sentSince: d.prepare('SELECT COUNT(*) AS n FROM sent_log WHERE open_kfid = ? AND external_userid = ? AND sent_at >= ?'),
      budgetUsed: d.prepare(`SELECT COUNT(*) AS n FROM sent_log WHERE open_kfid = @kf AND external_userid = @user
        AND sent_at >= COALESCE((SELECT MAX(send_time) FROM inbox WHERE open_kfid = @kf AND external_userid = @user AND origin = 3), 0) * 1000`),
      nextWake: d.prepare(`SELECT MIN(CASE WHEN lease_until > next_attempt_at THEN lease_until ELSE next_attempt_at END) AS t
        FROM inbox WHERE state IN ('received', 'answered', 'sending') AND (lease_until > @now OR next_attempt_at > @now)`),
      counts: d.prepare('SELECT state, COUNT(*) AS n FROM inbox GROUP BY state'),
      identity: d.prepare('SELECT user_id FROM identities WHERE channel = ? AND external_id = ?'),
      insertUser: d.prepare('INSERT INTO users (id, created_at) VALUES (?, ?)'),
      insertIdentity: d.prepare('INSERT INTO identities (channel, external_id, user_id, created_at) VALUES (?, ?, ?, ?)'),
      getConv: d.prepare('SELECT conversation_id FROM conversations WHERE user_id = ? AND bot_key = ?'),
      setConv: d.prepare(`INSERT INTO conversations (user_id, bot_key, conversation_id, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (user_id, bot_key) DO UPDATE SET conversation_id = excluded.conversation_id, updated_at = excluded.updated_at`),
      clearConv: d.prepare('DELETE FROM conversations WHERE user_id = ? AND bot_key = ?'),
    };
  }

  private cache = new Map<string, Database.Statement>();

  /** A prepared statement, prepared once (preparing per call showed up in profiles). */
  private sql(text: string): Database.Statement {
    let st = this.cache.get(text);
    if (!st) { st = this.db.prepare(text); this.cache.set(text, st); }
    return st;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async touchAccount(openKfId: string, now: number): Promise<Account> {
    this.stmts.insertAccount.run(openKfId, now);
    return toAccount(this.stmts.getAccount.get(openKfId) as Row);
  }

  async getAccount(openKfId: string): Promise<Account | undefined> {
    const r = this.stmts.getAccount.get(openKfId) as Row | undefined;
    return r ? toAccount(r) : undefined;
  }

  async listAccounts(): Promise<Account[]> {
    return (this.stmts.listAccounts.all() as Row[]).map(toAccount);
  }

  async forgetAccount(openKfId: string): Promise<boolean> {
    return this.sql('DELETE FROM accounts WHERE open_kfid = ? AND NOT EXISTS (SELECT 1 FROM inbox WHERE open_kfid = ?)').run(openKfId, openKfId).changes === 1;
  }

  async commitPage(openKfId: string, nextCursor: string, messages: NewInboxMessage[], now: number) {
    let inserted = 0;
    this.db.transaction(() => {
      for (const m of messages) {
        const res = this.stmts.insertInbox.run({
          msgid: m.msgid, openKfId: m.openKfId, externalUserId: m.externalUserId, origin: m.origin, msgtype: m.msgtype,
          sendTime: m.sendTime, payload: JSON.stringify(m.payload), state: m.state, note: m.note ?? null, now,
        });
        inserted += res.changes;
      }
      this.stmts.setCursor.run(nextCursor, openKfId);
    }).immediate();
    return { inserted, duplicates: messages.length - inserted };
  }

  async recordPull(openKfId: string, error: string | null, now: number): Promise<void> {
    this.stmts.recordPull.run(now, error, openKfId);
  }

  async claim(opts: ClaimOptions): Promise<InboxItem[]> {
    return this.db.transaction(() => {
      const rows = this.stmts.candidates.all({ now: opts.now, limit: opts.limit }) as Row[];
      const out: InboxItem[] = [];
      for (const r of rows) {
        const res = this.stmts.lease.run({ owner: opts.owner, until: opts.now + opts.leaseMs, now: opts.now, msgid: r.msgid });
        if (res.changes === 1) out.push(toItem(this.stmts.get.get(r.msgid) as Row));
      }
      return out;
    }).immediate();
  }

  async get(msgid: string): Promise<InboxItem | undefined> {
    const r = this.stmts.get.get(msgid) as Row | undefined;
    return r ? toItem(r) : undefined;
  }

  async extendLease(msgid: string, owner: string, until: number): Promise<boolean> {
    return this.stmts.extend.run({ msgid, owner, until, now: Date.now() }).changes === 1;
  }

  async saveAnswer(msgid: string, owner: string, parts: ReplyPart[], note: string | null, now: number): Promise<boolean> {
    return this.stmts.saveAnswer.run({ msgid, owner, parts: JSON.stringify(parts), note, now }).changes === 1;
  }

  async markPartSent(msgid: string, owner: string, partNo: number, outMsgid: string | null, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      const row = this.stmts.get.get(msgid) as Row | undefined;
      if (!row || row.lease_owner !== owner) return false;
      this.stmts.partSent.run({ msgid, owner, partsSent: partNo + 1, now });
      if (outMsgid) this.stmts.logSend.run(outMsgid, row.open_kfid, row.external_userid, now, msgid);
      return true;
    }).immediate();
  }

  async finish(msgid: string, owner: string, state: 'done' | 'failed' | 'skipped', note: string | null, now: number): Promise<boolean> {
    return this.stmts.finish.run({ msgid, owner, state, note, now }).changes === 1;
  }

  async deferRetry(msgid: string, owner: string, nextAttemptAt: number, note: string, now: number): Promise<boolean> {
    return this.stmts.defer.run({ msgid, owner, at: nextAttemptAt, note, now }).changes === 1;
  }

  async releaseLease(msgid: string, owner: string): Promise<void> {
    this.stmts.release.run(msgid, owner);
  }

  async recoverLeasesAtStart(): Promise<number> {
    return this.sql("UPDATE inbox SET lease_owner = NULL, lease_until = 0 WHERE lease_owner IS NOT NULL AND state IN ('received', 'answered', 'sending')").run().changes;
  }

  async setChatRef(msgid: string, conversationId: string, chatId: string): Promise<void> {
    this.stmts.chatRef.run(conversationId, chatId, msgid);
  }

  async sentSince(openKfId: string, externalUserId: string, sinceMs: number): Promise<number> {
    return (this.stmts.sentSince.get(openKfId, externalUserId, sinceMs) as Row).n as number;
  }

  async pendingAfter(openKfId: string, externalUserId: string, seq: number): Promise<number> {
    return (this.sql("SELECT COUNT(*) AS n FROM inbox WHERE open_kfid = ? AND external_userid = ? AND seq > ? AND state IN ('received', 'answered', 'sending')").get(openKfId, externalUserId, seq) as Row).n as number;
  }

  async budgetUsed(openKfId: string, externalUserId: string): Promise<number> {
    return (this.stmts.budgetUsed.get({ kf: openKfId, user: externalUserId }) as Row).n as number;
  }

  async nextWakeAt(now: number): Promise<number | null> {
    const t = (this.stmts.nextWake.get({ now }) as Row).t;
    return t === null || t === undefined ? null : Number(t);
  }

  async countByState(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of this.stmts.counts.all() as Row[]) out[r.state] = r.n;
    return out;
  }

  async getCustomer(openKfId: string, externalUserId: string): Promise<CustomerState> {
    const r = this.sql('SELECT * FROM customers WHERE open_kfid = ? AND external_userid = ?').get(openKfId, externalUserId) as Row | undefined;
    return toCustomer(r);
  }

  async setCustomerMode(openKfId: string, externalUserId: string, mode: 'ai' | 'human', since: number, now: number): Promise<void> {
    this.sql(`INSERT INTO customers (open_kfid, external_userid, mode, mode_since, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (open_kfid, external_userid) DO UPDATE SET mode = excluded.mode, mode_since = excluded.mode_since, updated_at = excluded.updated_at
      WHERE excluded.mode_since >= customers.mode_since`).run(openKfId, externalUserId, mode, since, now);
  }

  async markCustomerNotice(openKfId: string, externalUserId: string, kind: 'fallback' | 'quiet', at: number): Promise<void> {
    const col = kind === 'fallback' ? 'fallback_sent_at' : 'quiet_notice_at';
    this.sql(`INSERT INTO customers (open_kfid, external_userid, ${col}, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (open_kfid, external_userid) DO UPDATE SET ${col} = excluded.${col}, updated_at = excluded.updated_at`).run(openKfId, externalUserId, at, at);
  }

  async cancelMessage(msgid: string, note: string, now: number): Promise<boolean> {
    return this.sql(`UPDATE inbox SET state = 'cancelled', note = ?, lease_owner = NULL, lease_until = 0, updated_at = ?
      WHERE msgid = ? AND (state = 'received' OR (state IN ('answered', 'sending') AND parts_sent = 0))`).run(note, now, msgid).changes === 1;
  }

  async noteDeliveryFailure(outMsgid: string, note: string, now: number): Promise<string | undefined> {
    const r = this.sql('SELECT inbound_msgid FROM sent_log WHERE out_msgid = ?').get(outMsgid) as Row | undefined;
    if (!r?.inbound_msgid) return undefined;
    this.sql("UPDATE inbox SET note = ?, updated_at = ? WHERE msgid = ?").run(note, now, r.inbound_msgid);
    return r.inbound_msgid as string;
  }

  async resolveUser(channel: string, externalId: string, now: number, legacyId?: string): Promise<string> {
    return this.db.transaction(() => {
      const r = this.stmts.identity.get(channel, externalId) as Row | undefined;
      if (r) return r.user_id as string;
      if (legacyId !== undefined) {
        const old = this.sql('SELECT user_id, created_at FROM legacy_web_identities WHERE external_id = ?').get(legacyId) as Row | undefined;
        if (old) {
          this.sql('DELETE FROM legacy_web_identities WHERE external_id = ?').run(legacyId);
          this.stmts.insertIdentity.run(channel, externalId, old.user_id, old.created_at);
          return old.user_id as string;
        }
      }
      const id = newUserId();
      this.stmts.insertUser.run(id, now);
      this.stmts.insertIdentity.run(channel, externalId, id, now);
      return id;
    }).immediate();
  }

  async getConversation(userId: string, botKey: string): Promise<string | undefined> {
    const r = this.stmts.getConv.get(userId, botKey) as Row | undefined;
    return r?.conversation_id;
  }

  async setConversation(userId: string, botKey: string, conversationId: string, now: number): Promise<void> {
    this.stmts.setConv.run(userId, botKey, conversationId, now);
  }

  async clearConversation(userId: string, botKey: string): Promise<void> {
    this.stmts.clearConv.run(userId, botKey);
  }

  // ---- identity links (`wxcoze users link`) ------------------------------------------------

  async linkIdentities(keep: ChannelIdentity, other: ChannelIdentity, now: number): Promise<LinkResult> {
    const d = this.db;
    const userOf = (who: ChannelIdentity) => (d.prepare('SELECT user_id FROM identities WHERE channel = ? AND external_id = ?').get(who.channel, who.externalId) as Row | undefined)?.user_id as string | undefined;
    return d.transaction((): LinkResult => {
      let keepUser = userOf(keep);
      const otherUser = userOf(other);
      const none = { movedConversations: 0, droppedConversations: 0 };
      if (keepUser && keepUser === otherUser) return { userId: keepUser, alreadyLinked: true, ...none };
      if (!keepUser) {
        // `keep` is new: it joins `other`'s user (that memory is the only one there is), or a new one.
        keepUser = otherUser ?? newUserId();
        if (!otherUser) d.prepare('INSERT INTO users (id, created_at) VALUES (?, ?)').run(keepUser, now);
        d.prepare('INSERT INTO identities (channel, external_id, user_id, created_at) VALUES (?, ?, ?, ?)').run(keep.channel, keep.externalId, keepUser, now);
        if (!otherUser) d.prepare('INSERT INTO identities (channel, external_id, user_id, created_at) VALUES (?, ?, ?, ?)').run(other.channel, other.externalId, keepUser, now);
        return { userId: keepUser, alreadyLinked: false, ...none };
      }
      if (!otherUser) {
        d.prepare('INSERT INTO identities (channel, external_id, user_id, created_at) VALUES (?, ?, ?, ?)').run(other.channel, other.externalId, keepUser, now);
        return { userId: keepUser, alreadyLinked: false, ...none };
      }
      // Both known as different users: every identity of `other`'s user moves over; its conversations
      // move where `keep` has none with that bot, and are dropped where it has (one memory per bot).
      const dropped = d.prepare('DELETE FROM conversations WHERE user_id = ? AND bot_key IN (SELECT bot_key FROM conversations WHERE user_id = ?)').run(otherUser, keepUser).changes;
      const moved = d.prepare('UPDATE conversations SET user_id = ? WHERE user_id = ?').run(keepUser, otherUser).changes;
      d.prepare('UPDATE identities SET user_id = ? WHERE user_id = ?').run(keepUser, otherUser);
      d.prepare('DELETE FROM users WHERE id = ?').run(otherUser);
      return { userId: keepUser, alreadyLinked: false, mergedUserId: otherUser, movedConversations: moved, droppedConversations: dropped };
    }).immediate();
  }

  async findIdentities(who: ChannelIdentity): Promise<{ userId: string; identities: ChannelIdentity[] } | undefined> {
    const r = this.sql('SELECT user_id FROM identities WHERE channel = ? AND external_id = ?').get(who.channel, who.externalId) as Row | undefined;
    if (!r) return undefined;
    const rows = this.sql('SELECT channel, external_id FROM identities WHERE user_id = ? ORDER BY created_at, channel').all(r.user_id) as Row[];
    return { userId: r.user_id as string, identities: rows.map((x) => ({ channel: x.channel as string, externalId: x.external_id as string })) };
  }

  async listUsers(page: { limit: number; offset: number }): Promise<{ total: number; users: UserSummary[] }> {
    const total = (this.sql('SELECT COUNT(*) AS n FROM users').get() as Row).n as number;
    const rows = this.sql('SELECT id, created_at FROM users ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?').all(page.limit, page.offset) as Row[];
    const ids = this.sql('SELECT channel, external_id FROM identities WHERE user_id = ? ORDER BY created_at, channel');
    return {
      total,
      users: rows.map((r) => ({
        userId: r.id as string,
        createdAt: r.created_at as number,
        identities: (ids.all(r.id) as Row[]).map((x) => ({ channel: x.channel as string, externalId: x.external_id as string })),
      })),
    };
  }

}
