import { toAccount } from '../rows.js';
import type { Account, NewInboxMessage } from '../types.js';
import { noteActivity } from './console-conversations.js';
import { prepared, type SqlDb } from './db.js';

const getQuery = prepared((qb, openKfId: string) =>
  qb.selectFrom('accounts').selectAll().where('open_kfid', '=', openKfId),
);

/** Kf accounts and their sync_msg cursors. */
export class Accounts {
  constructor(private readonly db: SqlDb) {}

  /** The account, made on first sight. Read first: every pull touches it, and it is nearly always there. */
  async touch(openKfId: string, now: number): Promise<Account> {
    const known = await this.get(openKfId);
    if (known) return known;
    await this.db.run(
      this.db.qb
        .insertInto('accounts')
        .orIgnore()
        .values({ open_kfid: openKfId, cursor: null, first_seen_at: now }),
    );
    return (await this.get(openKfId))!;
  }

  async get(openKfId: string): Promise<Account | undefined> {
    const r = await this.db.first(getQuery(this.db.qb, openKfId));
    return r ? toAccount(r) : undefined;
  }

  async list(): Promise<Account[]> {
    return (await this.db.rows(this.db.qb.selectFrom('accounts').selectAll().orderBy('open_kfid'))).map(
      toAccount,
    );
  }

  /** Deletes an account row no inbox message refers to (a junk open_kfid); false when kept. */
  async forget(openKfId: string): Promise<boolean> {
    const { qb } = this.db;
    return (
      (await this.db.run(
        qb
          .deleteFrom('accounts')
          .where('open_kfid', '=', openKfId)
          .where(({ not, exists }) =>
            not(exists(qb.selectFrom('inbox').select('seq').where('open_kfid', '=', openKfId))),
          ),
      )) === 1
    );
  }

  /** One sync_msg page: its messages (duplicates by msgid ignored) and its next_cursor, in ONE transaction. */
  commitPage(
    openKfId: string,
    nextCursor: string,
    messages: NewInboxMessage[],
    now: number,
  ): Promise<{ inserted: number; duplicates: number }> {
    return this.db.tx(async (db) => {
      let inserted = 0;
      if (messages.length) {
        inserted = await db.run(
          db.qb
            .insertInto('inbox')
            .orIgnore()
            .values(
              messages.map((m) => ({
                msgid: m.msgid,
                open_kfid: m.openKfId,
                external_userid: m.externalUserId,
                origin: m.origin,
                msgtype: m.msgtype,
                send_time: m.sendTime,
                payload: JSON.stringify(m.payload),
                state: m.state,
                note: m.note ?? null,
                created_at: now,
                updated_at: now,
              })),
            ),
        );
        // The console lists customers by their newest row: one upsert for the page's customers.
        if (inserted > 0)
          await noteActivity(
            db,
            messages.map((m) => m.msgid),
            now,
          );
      }
      await db.run(
        db.qb.updateTable('accounts').set({ cursor: nextCursor }).where('open_kfid', '=', openKfId),
      );
      return { inserted, duplicates: messages.length - inserted };
    });
  }

  async recordPull(openKfId: string, error: string | null, now: number): Promise<void> {
    await this.db.run(
      this.db.qb
        .updateTable('accounts')
        .set({ last_pull_at: now, last_error: error })
        .where('open_kfid', '=', openKfId),
    );
  }
}
