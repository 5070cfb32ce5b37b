import mysql, { type Pool, type PoolConnection, type ResultSetHeader, type RowDataPacket } from 'mysql2/promise';
import { newUserId } from '../../identity/user-id.js';
import { MIGRATIONS } from '../migrations.js';
import { toAccount, toCustomer, toItem } from '../rows.js';
import type { Account, ChannelIdentity, ClaimOptions, CustomerState, LinkResult, InboxItem, NewInboxMessage, ReplyPart, Store, UserSummary } from '../types.js';

type Row = RowDataPacket & Record<string, any>;
const PENDING = "('received', 'answered', 'sending')";

/** mysql://user:pass@host:port/db → a description without the password, for logs and errors. */
export function describeMysqlUrl(url: string): string {
  const u = new URL(url);
  return `mysql://${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
}

/**
 * The shared store for several instances: MySQL or MariaDB. Every write that must be atomic
 * is one statement or one transaction; leases are conditional UPDATEs, so two instances racing
 * for a message cannot both win, and a dead instance's lease simply expires.
 */
export class MysqlStore implements Store {
  readonly kind = 'mysql';
  readonly pool: Pool;

  constructor(readonly url: string, opts: { connectionLimit?: number } = {}) {
    this.pool = mysql.createPool({
      uri: url,
      connectionLimit: opts.connectionLimit ?? 20,
      charset: 'utf8mb4_bin',
      supportBigNumbers: true,
      bigNumberStrings: false,
      timezone: 'Z',
      connectTimeout: 5000,
    });
  }

  /**
   * One statement on the pool. Goes through the driver's callback API: the promise wrapper
   * captures a stack trace per query, which showed up as ~4 % of the server's CPU under load.
   */
  private q<T = Row[]>(sql: string, params: unknown[] = []): Promise<T> {
    return new Promise((resolve, reject) => {
      this.pool.pool.query(sql, params, (err: Error | null, rows: unknown) => (err ? reject(err) : resolve(rows as T)));
    });
  }

  private async tx<T>(fn: (c: PoolConnection) => Promise<T>): Promise<T> {
    const c = await this.pool.getConnection();
    try {
      await c.beginTransaction();
      const v = await fn(c);
      await c.commit();
      return v;
    } catch (err) {
      await c.rollback().catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async migrate(): Promise<void> {
    await this.q('CREATE TABLE IF NOT EXISTS schema_migrations (version INT NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_at BIGINT NOT NULL) ENGINE=InnoDB');
    // One migrator at a time across instances starting together.
    const c = await this.pool.getConnection();
    try {
      const [[lock]] = await c.query<Row[]>("SELECT GET_LOCK('wxcoze_migrate', 30) AS ok");
      if (!lock || Number(lock.ok) !== 1) throw new Error('another wxcoze instance is migrating the database; try again in a minute');
      const [rows] = await c.query<Row[]>('SELECT version FROM schema_migrations');
      const done = new Set(rows.map((r) => Number(r.version)));
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        let ran = 0;
        try {
          for (const stmt of m.mysql) { await c.query(stmt); ran++; }
          await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
        } catch (err) {
          // MySQL commits DDL as it goes: undo what this step created so the data is as it was.
          for (const stmt of m.mysqlDown.slice(m.mysqlDown.length - ran)) await c.query(stmt).catch(() => {});
          throw new Error(`migration ${m.version} (${m.name}) failed and was rolled back: ${(err as Error).message}`);
        }
      }
    } finally {
      await c.query("SELECT RELEASE_LOCK('wxcoze_migrate')").catch(() => {});
      c.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async touchAccount(openKfId: string, now: number): Promise<Account> {
    await this.q('INSERT IGNORE INTO accounts (open_kfid, `cursor`, first_seen_at) VALUES (?, NULL, ?)', [openKfId, now]);
    return (await this.getAccount(openKfId))!;
  }

  async getAccount(openKfId: string): Promise<Account | undefined> {
    const rows = await this.q('SELECT * FROM accounts WHERE open_kfid = ?', [openKfId]);
    return rows[0] ? toAccount(rows[0]) : undefined;
  }

  async listAccounts(): Promise<Account[]> {
    return (await this.q('SELECT * FROM accounts ORDER BY open_kfid')).map(toAccount);
  }

  async forgetAccount(openKfId: string): Promise<boolean> {
    const res = await this.q<ResultSetHeader>('DELETE FROM accounts WHERE open_kfid = ? AND NOT EXISTS (SELECT 1 FROM inbox WHERE open_kfid = ?)', [openKfId, openKfId]);
    return res.affectedRows === 1;
  }

  async commitPage(openKfId: string, nextCursor: string, messages: NewInboxMessage[], now: number) {
    return this.tx(async (c) => {
      let inserted = 0;
      if (messages.length) {
        const values = messages.map((m) => [m.msgid, m.openKfId, m.externalUserId, m.origin, m.msgtype, m.sendTime, JSON.stringify(m.payload), m.state, m.note ?? null, now, now]);
        const [res] = await c.query<ResultSetHeader>(
          'INSERT IGNORE INTO inbox (msgid, open_kfid, external_userid, origin, msgtype, send_time, payload, state, note, created_at, updated_at) VALUES ?',
          [values],
        );
        inserted = res.affectedRows;
      }
      await c.query('UPDATE accounts SET `cursor` = ? WHERE open_kfid = ?', [nextCursor, openKfId]);
      return { inserted, duplicates: messages.length - inserted };
    });
  }

  async recordPull(openKfId: string, error: string | null, now: number): Promise<void> {
    await this.q('UPDATE accounts SET last_pull_at = ?, last_error = ? WHERE open_kfid = ?', [now, error, openKfId]);
  }

  async claim(opts: ClaimOptions): Promise<InboxItem[]> {
    const candidates = await this.q(
      `SELECT i.msgid FROM inbox i
        WHERE i.state IN ${PENDING} AND i.next_attempt_at <= ? AND i.lease_until <= ?
          AND NOT EXISTS (SELECT 1 FROM inbox j WHERE j.open_kfid = i.open_kfid AND j.external_userid = i.external_userid
                          AND j.seq < i.seq AND j.state IN ${PENDING})
        ORDER BY i.seq LIMIT ?`,
      [opts.now, opts.now, opts.limit],
    );
    if (!candidates.length) return [];
    const ids = candidates.map((r) => r.msgid as string);
    const until = opts.now + opts.leaseMs;
    // One conditional UPDATE for the batch: of two instances racing for a row, one wins it; the
    // rows this call won are the ones now carrying its (owner, until) lease.
    await this.q(
      `UPDATE inbox SET lease_owner = ?, lease_until = ?, attempts = attempts + (CASE WHEN state = 'received' THEN 1 ELSE 0 END), updated_at = ?
        WHERE msgid IN (?) AND lease_until <= ? AND state IN ${PENDING}`,
      [opts.owner, until, opts.now, ids, opts.now],
    );
    const won = await this.q('SELECT * FROM inbox WHERE msgid IN (?) AND lease_owner = ? AND lease_until = ? ORDER BY seq', [ids, opts.owner, until]);
    return won.map(toItem);
  }

  async get(msgid: string): Promise<InboxItem | undefined> {
    const rows = await this.q('SELECT * FROM inbox WHERE msgid = ?', [msgid]);
    return rows[0] ? toItem(rows[0]) : undefined;
  }

  async extendLease(msgid: string, owner: string, until: number): Promise<boolean> {
    const res = await this.q<ResultSetHeader>('UPDATE inbox SET lease_until = ? WHERE msgid = ? AND lease_owner = ? AND lease_until > ?', [until, msgid, owner, Date.now()]);
    return res.affectedRows === 1;
  }

  async saveAnswer(msgid: string, owner: string, parts: ReplyPart[], note: string | null, now: number): Promise<boolean> {
    const res = await this.q<ResultSetHeader>("UPDATE inbox SET state = 'answered', parts = ?, note = ?, updated_at = ? WHERE msgid = ? AND lease_owner = ? AND state = 'received'", [JSON.stringify(parts), note, now, msgid, owner]);
    return res.affectedRows === 1;
  }

  async markPartSent(msgid: string, owner: string, partNo: number, outMsgid: string | null, now: number): Promise<boolean> {
    // The send is logged first: a crash between the two statements leaves the part unmarked, so it
    // is re-sent with the same msgid, refused as a duplicate, and marked then (never counted twice:
    // out_msgid is the key). Two statements instead of a locking transaction: fewer round trips.
    if (outMsgid) {
      await this.q('INSERT IGNORE INTO sent_log (out_msgid, open_kfid, external_userid, sent_at, inbound_msgid) SELECT ?, open_kfid, external_userid, ?, msgid FROM inbox WHERE msgid = ? AND lease_owner = ?', [outMsgid, now, msgid, owner]);
    }
    const res = await this.q<ResultSetHeader>("UPDATE inbox SET state = 'sending', parts_sent = GREATEST(parts_sent, ?), updated_at = ? WHERE msgid = ? AND lease_owner = ?", [partNo + 1, now, msgid, owner]);
    return res.affectedRows === 1;
  }

  async finish(msgid: string, owner: string, state: 'done' | 'failed' | 'skipped', note: string | null, now: number): Promise<boolean> {
    const res = await this.q<ResultSetHeader>('UPDATE inbox SET state = ?, note = ?, lease_owner = NULL, lease_until = 0, updated_at = ? WHERE msgid = ? AND lease_owner = ?', [state, note, now, msgid, owner]);
    return res.affectedRows === 1;
  }

  async deferRetry(msgid: string, owner: string, nextAttemptAt: number, note: string, now: number): Promise<boolean> {
    const res = await this.q<ResultSetHeader>('UPDATE inbox SET attempts = attempts + 1, next_attempt_at = ?, note = ?, lease_owner = NULL, lease_until = 0, updated_at = ? WHERE msgid = ? AND lease_owner = ?', [nextAttemptAt, note, now, msgid, owner]);
    return res.affectedRows === 1;
  }

  async releaseLease(msgid: string, owner: string): Promise<void> {
    await this.q('UPDATE inbox SET lease_owner = NULL, lease_until = 0 WHERE msgid = ? AND lease_owner = ?', [msgid, owner]);
  }

  /** Other instances may be alive: their leases are left to expire. */
  async recoverLeasesAtStart(): Promise<number> {
    return 0;
  }

  async setChatRef(msgid: string, conversationId: string, chatId: string): Promise<void> {
    await this.q('UPDATE inbox SET coze_conversation_id = ?, coze_chat_id = ? WHERE msgid = ?', [conversationId, chatId, msgid]);
  }

  async sentSince(openKfId: string, externalUserId: string, sinceMs: number): Promise<number> {
    const rows = await this.q('SELECT COUNT(*) AS n FROM sent_log WHERE open_kfid = ? AND external_userid = ? AND sent_at >= ?', [openKfId, externalUserId, sinceMs]);
    return Number(rows[0]!.n);
  }

  async pendingAfter(openKfId: string, externalUserId: string, seq: number): Promise<number> {
    const rows = await this.q(`SELECT COUNT(*) AS n FROM inbox WHERE open_kfid = ? AND external_userid = ? AND seq > ? AND state IN ${PENDING}`, [openKfId, externalUserId, seq]);
    return Number(rows[0]!.n);
  }

  async budgetUsed(openKfId: string, externalUserId: string): Promise<number> {
    const rows = await this.q(`SELECT COUNT(*) AS n FROM sent_log WHERE open_kfid = ? AND external_userid = ?
      AND sent_at >= COALESCE((SELECT MAX(send_time) FROM inbox WHERE open_kfid = ? AND external_userid = ? AND origin = 3), 0) * 1000`,
      [openKfId, externalUserId, openKfId, externalUserId]);
    return Number(rows[0]!.n);
  }

  async nextWakeAt(now: number): Promise<number | null> {
    const rows = await this.q(
      `SELECT MIN(GREATEST(lease_until, next_attempt_at)) AS t FROM inbox WHERE state IN ${PENDING} AND (lease_until > ? OR next_attempt_at > ?)`,
      [now, now],
    );
    const t = rows[0]?.t;
    return t === null || t === undefined ? null : Number(t);
  }

  async countByState(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of await this.q('SELECT state, COUNT(*) AS n FROM inbox GROUP BY state')) out[r.state] = Number(r.n);
    return out;
  }

  async getCustomer(openKfId: string, externalUserId: string): Promise<CustomerState> {
    const rows = await this.q('SELECT * FROM customers WHERE open_kfid = ? AND external_userid = ?', [openKfId, externalUserId]);
    return toCustomer(rows[0]);
  }

  async setCustomerMode(openKfId: string, externalUserId: string, mode: 'ai' | 'human', since: number, now: number): Promise<void> {
    // IF() keeps a newer change: pages can be replayed, events arrive through several instances.
    await this.q(`INSERT INTO customers (open_kfid, external_userid, mode, mode_since, updated_at) VALUES (?, ?, ?, ?, ?)
      ON DUPLICATE KEY UPDATE mode = IF(VALUES(mode_since) >= mode_since, VALUES(mode), mode),
        updated_at = IF(VALUES(mode_since) >= mode_since, VALUES(updated_at), updated_at),
        mode_since = IF(VALUES(mode_since) >= mode_since, VALUES(mode_since), mode_since)`, [openKfId, externalUserId, mode, since, now]);
  }

  async markCustomerNotice(openKfId: string, externalUserId: string, kind: 'fallback' | 'quiet', at: number): Promise<void> {
    const col = kind === 'fallback' ? 'fallback_sent_at' : 'quiet_notice_at';
    await this.q(`INSERT INTO customers (open_kfid, external_userid, ${col}, updated_at) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE ${col} = VALUES(${col}), updated_at = VALUES(updated_at)`, [openKfId, externalUserId, at, at]);
  }

  async cancelMessage(msgid: string, note: string, now: number): Promise<boolean> {
    const res = await this.q<ResultSetHeader>(`UPDATE inbox SET state = 'cancelled', note = ?, lease_owner = NULL, lease_until = 0, updated_at = ?
      WHERE msgid = ? AND (state = 'received' OR (state IN ('answered', 'sending') AND parts_sent = 0))`, [note, now, msgid]);
    return res.affectedRows === 1;
  }

  async noteDeliveryFailure(outMsgid: string, note: string, now: number): Promise<string | undefined> {
    const rows = await this.q('SELECT inbound_msgid FROM sent_log WHERE out_msgid = ?', [outMsgid]);
    const inbound = rows[0]?.inbound_msgid as string | undefined;
    if (!inbound) return undefined;
    await this.q('UPDATE inbox SET note = ?, updated_at = ? WHERE msgid = ?', [note, now, inbound]);
    return inbound;
  }

  async resolveUser(channel: string, externalId: string, now: number, legacyId?: string): Promise<string> {
    const found = await this.q('SELECT user_id FROM identities WHERE channel = ? AND external_id = ?', [channel, externalId]);
    if (found[0]) return found[0].user_id;
    if (legacyId !== undefined) {
      // The row lock makes one of two racing requests the adopter; the other then finds the identity.
      const adopted = await this.tx(async (c) => {
        const [old] = await c.query<Row[]>('SELECT user_id, created_at FROM legacy_web_identities WHERE external_id = ? FOR UPDATE', [legacyId]);
        if (!old[0]) return undefined;
        await c.query('DELETE FROM legacy_web_identities WHERE external_id = ?', [legacyId]);
        await c.query('INSERT IGNORE INTO identities (channel, external_id, user_id, created_at) VALUES (?, ?, ?, ?)', [channel, externalId, old[0].user_id, old[0].created_at]);
        const [now] = await c.query<Row[]>('SELECT user_id FROM identities WHERE channel = ? AND external_id = ?', [channel, externalId]);
        return now[0]!.user_id as string;
      });
      if (adopted) return adopted;
    }
    // Two instances may meet the same new person at once: the identity's primary key picks one user.
    return this.tx(async (c) => {
      const id = newUserId();
      await c.query('INSERT INTO users (id, created_at) VALUES (?, ?)', [id, now]);
      const [res] = await c.query<ResultSetHeader>('INSERT IGNORE INTO identities (channel, external_id, user_id, created_at) VALUES (?, ?, ?, ?)', [channel, externalId, id, now]);
      if (res.affectedRows === 1) return id;
      await c.query('DELETE FROM users WHERE id = ?', [id]);
      const [rows] = await c.query<Row[]>('SELECT user_id FROM identities WHERE channel = ? AND external_id = ?', [channel, externalId]);
      return rows[0]!.user_id as string;
    });
  }

  async getConversation(userId: string, botKey: string): Promise<string | undefined> {
    const rows = await this.q('SELECT conversation_id FROM conversations WHERE user_id = ? AND bot_key = ?', [userId, botKey]);
    return rows[0]?.conversation_id;
  }

  async setConversation(userId: string, botKey: string, conversationId: string, now: number): Promise<void> {
    await this.q('INSERT INTO conversations (user_id, bot_key, conversation_id, updated_at) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE conversation_id = VALUES(conversation_id), updated_at = VALUES(updated_at)', [userId, botKey, conversationId, now]);
  }

  async clearConversation(userId: string, botKey: string): Promise<void> {
    await this.q('DELETE FROM conversations WHERE user_id = ? AND bot_key = ?', [userId, botKey]);
  }

  // ---- identity links (`wxcoze users link`) ------------------------------------------------

  async linkIdentities(keep: ChannelIdentity, other: ChannelIdentity, now: number): Promise<LinkResult> {
    return this.tx(async (c) => {
      const userOf = async (who: ChannelIdentity) => {
        const [rows] = await c.query<Row[]>('SELECT user_id FROM identities WHERE channel = ? AND external_id = ? FOR UPDATE', [who.channel, who.externalId]);
        return rows[0]?.user_id as string | undefined;
      };
      const addIdentity = (who: ChannelIdentity, userId: string) =>
        c.query('INSERT INTO identities (channel, external_id, user_id, created_at) VALUES (?, ?, ?, ?)', [who.channel, who.externalId, userId, now]);
      let keepUser = await userOf(keep);
      const otherUser = await userOf(other);
      const none = { movedConversations: 0, droppedConversations: 0 };
      if (keepUser && keepUser === otherUser) return { userId: keepUser, alreadyLinked: true, ...none };
      if (!keepUser) {
        keepUser = otherUser ?? newUserId();
        if (!otherUser) await c.query('INSERT INTO users (id, created_at) VALUES (?, ?)', [keepUser, now]);
        await addIdentity(keep, keepUser);
        if (!otherUser) await addIdentity(other, keepUser);
        return { userId: keepUser, alreadyLinked: false, ...none };
      }
      if (!otherUser) {
        await addIdentity(other, keepUser);
        return { userId: keepUser, alreadyLinked: false, ...none };
      }
      // Both known: `other`'s identities move over; its conversations move where `keep` has none
      // with that bot and are dropped where it has one (one memory per bot).
      const [dropped] = await c.query<ResultSetHeader>(
        'DELETE o FROM conversations o JOIN conversations k ON k.bot_key = o.bot_key AND k.user_id = ? WHERE o.user_id = ?', [keepUser, otherUser]);
      const [moved] = await c.query<ResultSetHeader>('UPDATE conversations SET user_id = ? WHERE user_id = ?', [keepUser, otherUser]);
      await c.query('UPDATE identities SET user_id = ? WHERE user_id = ?', [keepUser, otherUser]);
      await c.query('DELETE FROM users WHERE id = ?', [otherUser]);
      return { userId: keepUser, alreadyLinked: false, mergedUserId: otherUser, movedConversations: moved.affectedRows, droppedConversations: dropped.affectedRows };
    });
  }

  async findIdentities(who: ChannelIdentity): Promise<{ userId: string; identities: ChannelIdentity[] } | undefined> {
    const found = await this.q('SELECT user_id FROM identities WHERE channel = ? AND external_id = ?', [who.channel, who.externalId]);
    if (!found[0]) return undefined;
    const rows = await this.q('SELECT channel, external_id FROM identities WHERE user_id = ? ORDER BY created_at, channel', [found[0].user_id]);
    return { userId: found[0].user_id as string, identities: rows.map((x) => ({ channel: x.channel as string, externalId: x.external_id as string })) };
  }

  async listUsers(page: { limit: number; offset: number }): Promise<{ total: number; users: UserSummary[] }> {
    const [count] = await this.q('SELECT COUNT(*) AS n FROM users');
    const rows = await this.q('SELECT id, created_at FROM users ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?', [page.limit, page.offset]);
    const ids = rows.length
      ? await this.q(`SELECT user_id, channel, external_id FROM identities WHERE user_id IN (${rows.map(() => '?').join(', ')}) ORDER BY created_at, channel`, rows.map((r) => r.id))
      : [];
    return {
      total: Number(count!.n),
      users: rows.map((r) => ({
        userId: r.id as string,
        createdAt: Number(r.created_at),
        identities: ids.filter((x) => x.user_id === r.id).map((x) => ({ channel: x.channel as string, externalId: x.external_id as string })),
      })),
    };
  }

}
