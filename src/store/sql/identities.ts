import { newUserId } from '../../identity/user-id.js';
import type { ChannelIdentity, LinkResult, StoredConversation, UserSummary } from '../types.js';
import { prepared, type SqlDb } from './db.js';

// Asked for every message (see `prepared`).
const userOfQuery = prepared((qb, channel: string, externalId: string) =>
  qb
    .selectFrom('identities')
    .select('user_id')
    .where('channel', '=', channel)
    .where('external_id', '=', externalId),
);
const getConversationQuery = prepared((qb, userId: string, botKey: string) =>
  qb
    .selectFrom('conversations')
    .select(['conversation_id', 'coze_auth'])
    .where('user_id', '=', userId)
    .where('bot_key', '=', botKey),
);

// The user and their conversation with one bot in one read (askCoze needs both, per message).
const userAndConversationQuery = prepared((qb, botKey: string, channel: string, externalId: string) =>
  qb
    .selectFrom('identities as i')
    .leftJoin('conversations as c', (j) =>
      j.onRef('c.user_id', '=', 'i.user_id').on('c.bot_key', '=', botKey),
    )
    .select(['i.user_id', 'c.conversation_id', 'c.coze_auth'])
    .where('i.channel', '=', channel)
    .where('i.external_id', '=', externalId),
);

/**
 * Internal users, the channel identities that map to them, and each user's Coze conversation
 * per bot. One person keeps one Coze memory across channels (`wxcoze users link`).
 */
export class Identities {
  constructor(private readonly db: SqlDb) {}

  private async userOf(db: SqlDb, who: ChannelIdentity, lock = false): Promise<string | undefined> {
    if (!lock) return (await db.first(userOfQuery(db.qb, who.channel, who.externalId)))?.user_id;
    const q = db.qb
      .selectFrom('identities')
      .select('user_id')
      .where('channel', '=', who.channel)
      .where('external_id', '=', who.externalId)
      // SQLite's transaction already holds the whole file (BEGIN IMMEDIATE); MySQL locks the row.
      .$if(db.dialect === 'mysql', (qb) => qb.forUpdate());
    return (await db.first(q))?.user_id;
  }

  private addIdentity(db: SqlDb, who: ChannelIdentity, userId: string, createdAt: number) {
    return db.qb
      .insertInto('identities')
      .values({ channel: who.channel, external_id: who.externalId, user_id: userId, created_at: createdAt });
  }

  /**
   * The internal user of a channel identity, created on first sight. `legacyId`: the identity's
   * unscoped spelling from before migration 3, adopted once with its user (the first caller wins).
   */
  async resolveUser(channel: string, externalId: string, now: number, legacyId?: string): Promise<string> {
    const who = { channel, externalId };
    const found = await this.userOf(this.db, who);
    if (found) return found;
    if (legacyId !== undefined) {
      // The row lock (or SQLite's write lock) makes one of two racing requests the adopter; the other then finds the identity.
      const adopted = await this.db.tx(async (db) => {
        const old = await db.first(
          db.qb
            .selectFrom('legacy_web_identities')
            .select(['user_id', 'created_at'])
            .where('external_id', '=', legacyId)
            .$if(db.dialect === 'mysql', (qb) => qb.forUpdate()),
        );
        if (!old) return undefined;
        await db.run(db.qb.deleteFrom('legacy_web_identities').where('external_id', '=', legacyId));
        await db.run(this.addIdentity(db, who, old.user_id, Number(old.created_at)).orIgnore());
        return this.userOf(db, who);
      });
      if (adopted) return adopted;
    }
    return (await this.createUser(who, now)).userId;
  }

  /** A new internal user for `who`; `created` false when another caller made one first (theirs is returned). */
  private createUser(who: ChannelIdentity, now: number): Promise<{ userId: string; created: boolean }> {
    // Two instances may meet the same new person at once: the identity's primary key picks one user,
    // and the loser takes its user row back. Neither write needs the other undone: on SQLite they
    // share one commit (a transaction is the cheaper way there); on MySQL they are two autocommit
    // statements, not four with BEGIN and COMMIT, once per new customer. A crash between them can
    // leave a user row with no identity, which nothing reads for a message.
    const make = async (db: SqlDb) => {
      const id = newUserId();
      await db.run(db.qb.insertInto('users').values({ id, created_at: now }));
      if ((await db.run(this.addIdentity(db, who, id, now).orIgnore())) === 1)
        return { userId: id, created: true };
      await db.run(db.qb.deleteFrom('users').where('id', '=', id));
      return { userId: (await this.userOf(db, who))!, created: false };
    };
    return this.db.dialect === 'sqlite' ? this.db.tx(make) : make(this.db);
  }

  /**
   * resolveUser (without a legacy id) and the user's conversation with `botKey`, in one read for
   * a known identity; a user made just now has no conversation, so none is read. `conversation`:
   * null when there is none, undefined when not read (another caller made the user first).
   * `unknown`: the caller just read that the identity has no user: it is made without reading again
   * (one racing caller still wins: the identity's key decides).
   */
  async userWithConversation(
    channel: string,
    externalId: string,
    botKey: string,
    now: number,
    unknown = false,
  ): Promise<{ userId: string; conversation?: StoredConversation | null }> {
    const row = unknown
      ? undefined
      : await this.db.first(userAndConversationQuery(this.db.qb, botKey, channel, externalId));
    if (row)
      return {
        userId: row.user_id,
        conversation:
          row.conversation_id === null
            ? null
            : { conversationId: row.conversation_id, cozeAuth: row.coze_auth ?? 'token' },
      };
    const made = await this.createUser({ channel, externalId }, now);
    return made.created ? { userId: made.userId, conversation: null } : { userId: made.userId };
  }

  async getConversation(userId: string, botKey: string): Promise<string | undefined> {
    return (await this.db.first(getConversationQuery(this.db.qb, userId, botKey)))?.conversation_id;
  }

  async conversationOf(userId: string, botKey: string): Promise<StoredConversation | undefined> {
    const row = await this.db.first(getConversationQuery(this.db.qb, userId, botKey));
    return row && { conversationId: row.conversation_id, cozeAuth: row.coze_auth ?? 'token' };
  }

  async setConversation(
    userId: string,
    botKey: string,
    conversationId: string,
    now: number,
    cozeAuth = 'token',
  ): Promise<void> {
    const insert = this.db.qb.insertInto('conversations').values({
      user_id: userId,
      bot_key: botKey,
      conversation_id: conversationId,
      updated_at: now,
      coze_auth: cozeAuth,
    });
    const set = { conversation_id: conversationId, updated_at: now, coze_auth: cozeAuth };
    await this.db.run(
      this.db.dialect === 'sqlite'
        ? insert.onConflict((oc) => oc.columns(['user_id', 'bot_key']).doUpdateSet(set))
        : insert.onDuplicateKeyUpdate(set),
    );
  }

  async clearConversation(userId: string, botKey: string): Promise<void> {
    await this.db.run(
      this.db.qb.deleteFrom('conversations').where('user_id', '=', userId).where('bot_key', '=', botKey),
    );
  }

  /** Joins `other` to `keep`'s internal user (merging users when both exist); `keep`'s Coze memory wins. */
  linkIdentities(keep: ChannelIdentity, other: ChannelIdentity, now: number): Promise<LinkResult> {
    return this.db.tx(async (db): Promise<LinkResult> => {
      let keepUser = await this.userOf(db, keep, true);
      const otherUser = await this.userOf(db, other, true);
      const none = { movedConversations: 0, droppedConversations: 0 };
      if (keepUser && keepUser === otherUser) return { userId: keepUser, alreadyLinked: true, ...none };
      if (!keepUser) {
        // `keep` is new: it joins `other`'s user (that memory is the only one there is), or a new one.
        keepUser = otherUser ?? newUserId();
        if (!otherUser) await db.run(db.qb.insertInto('users').values({ id: keepUser, created_at: now }));
        await db.run(this.addIdentity(db, keep, keepUser, now));
        if (!otherUser) await db.run(this.addIdentity(db, other, keepUser, now));
        return { userId: keepUser, alreadyLinked: false, ...none };
      }
      if (!otherUser) {
        await db.run(this.addIdentity(db, other, keepUser, now));
        return { userId: keepUser, alreadyLinked: false, ...none };
      }
      // Both known as different users: every identity of `other`'s user moves over; its conversations
      // move where `keep` has none with that bot, and are dropped where it has (one memory per bot).
      // The bots are read first: MySQL cannot delete from a table its own subquery reads.
      const keepBots = (
        await db.rows(db.qb.selectFrom('conversations').select('bot_key').where('user_id', '=', keepUser))
      ).map((r) => r.bot_key);
      const dropped = keepBots.length
        ? await db.run(
            db.qb
              .deleteFrom('conversations')
              .where('user_id', '=', otherUser)
              .where('bot_key', 'in', keepBots),
          )
        : 0;
      const moved = await db.run(
        db.qb.updateTable('conversations').set({ user_id: keepUser }).where('user_id', '=', otherUser),
      );
      await db.run(
        db.qb.updateTable('identities').set({ user_id: keepUser }).where('user_id', '=', otherUser),
      );
      await db.run(db.qb.deleteFrom('users').where('id', '=', otherUser));
      return {
        userId: keepUser,
        alreadyLinked: false,
        mergedUserId: otherUser,
        movedConversations: moved,
        droppedConversations: dropped,
      };
    });
  }

  /** The internal user of a channel identity and every identity joined to it, without creating anything. */
  async findIdentities(
    who: ChannelIdentity,
  ): Promise<{ userId: string; identities: ChannelIdentity[] } | undefined> {
    const userId = await this.userOf(this.db, who);
    if (!userId) return undefined;
    const rows = await this.db.rows(
      this.db.qb
        .selectFrom('identities')
        .select(['channel', 'external_id'])
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('channel'),
    );
    return { userId, identities: rows.map((x) => ({ channel: x.channel, externalId: x.external_id })) };
  }

  /** One page of internal users, newest first, each with its identities; `total` counts them all. */
  async listUsers(page: { limit: number; offset: number }): Promise<{ total: number; users: UserSummary[] }> {
    const { qb } = this.db;
    const count = await this.db.first(
      qb.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')),
    );
    const rows = await this.db.rows(
      qb
        .selectFrom('users')
        .select(['id', 'created_at'])
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(page.limit)
        .offset(page.offset),
    );
    const ids = rows.length
      ? await this.db.rows(
          qb
            .selectFrom('identities')
            .select(['user_id', 'channel', 'external_id'])
            .where(
              'user_id',
              'in',
              rows.map((r) => r.id),
            )
            .orderBy('created_at')
            .orderBy('channel'),
        )
      : [];
    return {
      total: Number(count!.n),
      users: rows.map((r) => ({
        userId: r.id,
        createdAt: Number(r.created_at),
        identities: ids
          .filter((x) => x.user_id === r.id)
          .map((x) => ({ channel: x.channel, externalId: x.external_id })),
      })),
    };
  }
}
