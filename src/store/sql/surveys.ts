import { sql } from 'kysely';
import type { ClaimedSurvey, QuietConversation, RatingCount, SurveysStore } from '../survey-types.js';
import { PENDING, type SqlDb } from './db.js';

/** A customer's own message (the console's operators are 0, events 4, WeCom's servicers 5). */
const CUSTOMER_ORIGIN = 3;

/**
 * The satisfaction surveys (migration 14). Deciding who sends a survey is one write: the claim is
 * an INSERT keyed by (account, customer, the conversation's newest row), so of two instances that
 * found the same quiet conversation one inserts and sends; a survey whose sender vanished is taken
 * over by a conditional UPDATE on its expired claim (and re-sent under the same msgid, so WeCom
 * refuses a second copy).
 */
export class Surveys implements SurveysStore {
  constructor(private readonly db: SqlDb) {}

  async quietConversations(q: {
    openKfIds: string[];
    since: number;
    quietBefore: number;
    limit: number;
  }): Promise<QuietConversation[]> {
    if (q.openKfIds.length === 0) return [];
    const rows = await this.db.rows(
      this.db.qb
        .selectFrom('inbox as i')
        .select(['i.open_kfid', 'i.external_userid', 'i.seq', 'i.msgid', 'i.send_time'])
        // created_at first: the (created_at, origin, state, …) index bounds the scan to 48 hours.
        .where('i.created_at', '>=', q.since)
        .where('i.origin', '=', CUSTOMER_ORIGIN)
        .where('i.state', '=', 'done')
        .where('i.send_time', '<=', Math.floor(q.quietBefore / 1000))
        .where('i.open_kfid', 'in', q.openKfIds)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('inbox as j')
                .select(sql`1`.as('x'))
                .whereRef('j.open_kfid', '=', 'i.open_kfid')
                .whereRef('j.external_userid', '=', 'i.external_userid')
                .whereRef('j.seq', '>', 'i.seq')
                .where((eb) => eb.or([eb('j.origin', '=', CUSTOMER_ORIGIN), eb('j.state', 'in', PENDING)])),
            ),
          ),
        )
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('surveys as s')
                .select(sql`1`.as('x'))
                .whereRef('s.open_kfid', '=', 'i.open_kfid')
                .whereRef('s.external_userid', '=', 'i.external_userid')
                .whereRef('s.last_seq', '>=', 'i.seq'),
            ),
          ),
        )
        .orderBy('i.seq')
        .limit(q.limit),
    );
    return rows.map((r) => ({
      openKfId: r.open_kfid,
      externalUserId: r.external_userid,
      lastSeq: Number(r.seq),
      lastMsgid: r.msgid,
      lastAt: Number(r.send_time) * 1000,
    }));
  }

  async claim(
    c: { openKfId: string; externalUserId: string; lastSeq: number; via: 'quiet' | 'session_end' },
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<number | undefined> {
    const inserted = await this.db.run(
      this.db.qb
        .insertInto('surveys')
        .orIgnore()
        .values({
          open_kfid: c.openKfId,
          external_userid: c.externalUserId,
          last_seq: c.lastSeq,
          via: c.via,
          state: 'claimed',
          owner,
          claim_until: now + leaseMs,
          created_at: now,
          updated_at: now,
        }),
    );
    if (inserted !== 1) return undefined;
    const r = await this.db.first(
      this.db.qb
        .selectFrom('surveys')
        .select('id')
        .where('open_kfid', '=', c.openKfId)
        .where('external_userid', '=', c.externalUserId)
        .where('last_seq', '=', c.lastSeq),
    );
    return r ? Number(r.id) : undefined;
  }

  async reclaimStale(
    owner: string,
    now: number,
    leaseMs: number,
    createdSince: number,
  ): Promise<ClaimedSurvey[]> {
    const stale = await this.db.rows(
      this.db.qb
        .selectFrom('surveys')
        .select(['id', 'open_kfid', 'external_userid', 'last_seq', 'created_at'])
        .where('state', '=', 'claimed')
        .where('claim_until', '<=', now)
        .where('created_at', '>=', createdSince)
        // A session end's survey is the inbox row's to send (on its 20-second code), never the sweeper's.
        .where('via', '=', 'quiet')
        .limit(50),
    );
    const out: ClaimedSurvey[] = [];
    for (const r of stale) {
      const n = await this.db.run(
        this.db.qb
          .updateTable('surveys')
          .set({ owner, claim_until: now + leaseMs, updated_at: now })
          .where('id', '=', r.id)
          .where('state', '=', 'claimed')
          .where('claim_until', '<=', now),
      );
      if (n === 1)
        out.push({
          id: Number(r.id),
          openKfId: r.open_kfid,
          externalUserId: r.external_userid,
          lastSeq: Number(r.last_seq),
          createdAt: Number(r.created_at),
        });
    }
    return out;
  }

  async markSent(id: number, owner: string, outMsgid: string | null, now: number): Promise<void> {
    const r = await this.db.first(
      this.db.qb.selectFrom('surveys').select(['open_kfid', 'external_userid']).where('id', '=', id),
    );
    // Counted against the customer's budget like every send_msg (keyed by its msgid: once).
    if (r && outMsgid)
      await this.db.run(
        this.db.qb.insertInto('sent_log').orIgnore().values({
          out_msgid: outMsgid,
          open_kfid: r.open_kfid,
          external_userid: r.external_userid,
          sent_at: now,
          inbound_msgid: null,
        }),
      );
    await this.db.run(
      this.db.qb
        .updateTable('surveys')
        .set({ state: 'sent', out_msgid: outMsgid, claim_until: 0, updated_at: now })
        .where('id', '=', id)
        .where('owner', '=', owner),
    );
  }

  async markFailed(id: number, owner: string, note: string, now: number): Promise<void> {
    await this.db.run(
      this.db.qb
        .updateTable('surveys')
        .set({ state: 'failed', note: note.slice(0, 255), claim_until: 0, updated_at: now })
        .where('id', '=', id)
        .where('owner', '=', owner),
    );
  }

  async rate(
    id: number,
    openKfId: string,
    externalUserId: string,
    rating: number,
    label: string,
    at: number,
  ): Promise<boolean> {
    // The customer's latest click counts (a slip of the finger can be corrected); only on a survey
    // sent to this very customer, so a forged menu id cannot rate someone else's.
    const n = await this.db.run(
      this.db.qb
        .updateTable('surveys')
        .set({ rating, rating_label: label.slice(0, 255), rated_at: at, updated_at: at })
        .where('id', '=', id)
        .where('open_kfid', '=', openKfId)
        .where('external_userid', '=', externalUserId)
        .where('state', 'in', ['sent', 'claimed']),
    );
    return n === 1;
  }

  async ratingCounts(q: { from: number; to: number; openKfId?: string }): Promise<RatingCount[]> {
    const rows = await this.db.rows(
      this.db.qb
        .selectFrom('surveys')
        .select([
          'rating',
          (eb) => eb.fn.max('rating_label').as('label'),
          (eb) => eb.fn.countAll<number>().as('n'),
        ])
        .where('rated_at', '>=', q.from)
        .where('rated_at', '<', q.to)
        .where('rating', 'is not', null)
        .$if(q.openKfId !== undefined, (w) => w.where('open_kfid', '=', q.openKfId!))
        .groupBy('rating')
        .orderBy('rating'),
    );
    return rows.map((r) => ({ rating: Number(r.rating), label: String(r.label ?? ''), n: Number(r.n) }));
  }
}
