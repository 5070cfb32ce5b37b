import { sql } from 'kysely';
import { toCustomer } from '../rows.js';
import type { WaitingCustomer } from '../console-types.js';
import type { CustomerMode, CustomerState, CustomerWithUser } from '../types.js';
import { prepared, type SqlDb } from './db.js';

const getQuery = prepared((qb, kf: string, user: string) =>
  qb.selectFrom('customers').selectAll().where('open_kfid', '=', kf).where('external_userid', '=', user),
);

// The customer's state, their internal user and its conversation with one bot: what planReply
// reads first for every message, in one round trip.
const withUserQuery = prepared((qb, botKey: string, channel: string, kf: string, user: string) =>
  qb
    .selectFrom('customers as c')
    .leftJoin('identities as i', (j) =>
      j.on('i.channel', '=', channel).onRef('i.external_id', '=', 'c.external_userid'),
    )
    .leftJoin('conversations as v', (j) =>
      j.onRef('v.user_id', '=', 'i.user_id').on('v.bot_key', '=', botKey),
    )
    .selectAll('c')
    .select(['i.user_id', 'v.conversation_id', 'v.coze_auth'])
    .where('c.open_kfid', '=', kf)
    .where('c.external_userid', '=', user),
);

/** Per-customer state beyond the inbox: who serves the session, and notices already sent. */
export class Customers {
  constructor(private readonly db: SqlDb) {}

  async get(openKfId: string, externalUserId: string): Promise<CustomerState> {
    return toCustomer(await this.db.first(getQuery(this.db.qb, openKfId, externalUserId)));
  }

  /**
   * `get`, with the customer's internal user under `channel` and its conversation with `botKey`
   * (null: none) when the user exists; `user` null when it does not. A customer with no row yet
   * reads as `get` does, user not known (absent).
   */
  async withUser(
    openKfId: string,
    externalUserId: string,
    channel: string,
    botKey: string,
  ): Promise<CustomerWithUser> {
    const r = await this.db.first(withUserQuery(this.db.qb, botKey, channel, openKfId, externalUserId));
    const customer = toCustomer(r);
    if (!r) return { customer };
    if (r.user_id === null) return { customer, user: null };
    const conversation =
      r.conversation_id === null
        ? null
        : { conversationId: r.conversation_id, cozeAuth: r.coze_auth ?? 'token' };
    return { customer, user: { userId: r.user_id, conversation } };
  }

  /** Sets who serves the session, unless a later change is already recorded (pages replay; events arrive through several instances). */
  async setMode(
    openKfId: string,
    externalUserId: string,
    mode: CustomerMode,
    since: number,
    now: number,
  ): Promise<void> {
    const insert = this.db.qb.insertInto('customers').values({
      open_kfid: openKfId,
      external_userid: externalUserId,
      mode,
      mode_since: since,
      updated_at: now,
    });
    await this.db.run(
      this.db.dialect === 'sqlite'
        ? insert.onConflict((oc) =>
            oc
              .columns(['open_kfid', 'external_userid'])
              .doUpdateSet({
                mode: (eb) => eb.ref('excluded.mode'),
                mode_since: (eb) => eb.ref('excluded.mode_since'),
                updated_at: (eb) => eb.ref('excluded.updated_at'),
              })
              .where('excluded.mode_since', '>=', (eb) => eb.ref('customers.mode_since')),
          )
        : // MySQL has no WHERE on an upsert: each column keeps its value unless the change is newer (mode_since last).
          insert.onDuplicateKeyUpdate({
            mode: sql`IF(VALUES(mode_since) >= mode_since, VALUES(mode), mode)`,
            updated_at: sql`IF(VALUES(mode_since) >= mode_since, VALUES(updated_at), updated_at)`,
            mode_since: sql`IF(VALUES(mode_since) >= mode_since, VALUES(mode_since), mode_since)`,
          }),
    );
  }

  /** Customers waiting in the console's queue (mode `waiting`, handed over after `sinceAfter`), oldest first. */
  async waiting(opts: { limit: number; sinceAfter: number }): Promise<WaitingCustomer[]> {
    const rows = await this.db.rows(
      this.db.qb
        .selectFrom('customers')
        .select(['open_kfid', 'external_userid', 'mode_since'])
        .where('mode', '=', 'waiting')
        .where('mode_since', '>', opts.sinceAfter)
        .orderBy('mode_since')
        .limit(opts.limit),
    );
    return rows.map((r) => ({
      openKfId: r.open_kfid,
      externalUserId: r.external_userid,
      since: Number(r.mode_since),
    }));
  }

  async markNotice(
    openKfId: string,
    externalUserId: string,
    kind: 'fallback' | 'quiet',
    at: number,
  ): Promise<void> {
    const col = kind === 'fallback' ? 'fallback_sent_at' : 'quiet_notice_at';
    const insert = this.db.qb
      .insertInto('customers')
      .values({ open_kfid: openKfId, external_userid: externalUserId, [col]: at, updated_at: at });
    const set = { [col]: at, updated_at: at };
    await this.db.run(
      this.db.dialect === 'sqlite'
        ? insert.onConflict((oc) => oc.columns(['open_kfid', 'external_userid']).doUpdateSet(set))
        : insert.onDuplicateKeyUpdate(set),
    );
  }
}
