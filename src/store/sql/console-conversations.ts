import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
} from 'kysely';
import type {
  ConversationChange,
  ConversationFlag,
  ConversationListQuery,
  ConversationsStore,
  ConversationSummary,
  CustomerMode,
  CustomerProfile,
} from '../console-types.js';
import { toItem } from '../rows.js';
import type { InboxItem } from '../types.js';
import { unindexed, type Dialect, type SqlDb } from './db.js';
import type { DB } from './schema.js';

/** A kf session lasts at most 48 h: a mode, a failure or a spent budget older than that needs nobody. */
export const ATTENTION_MS = 48 * 3_600_000;
/** Text search reads only the newest this-many inbox rows (a primary-key range), whatever the store's size. */
export const TEXT_SEARCH_WINDOW = 20_000;
/** WeCom's replies per customer message (docs/protocol.md §send_msg). */
const BUDGET = 5;

/**
 * Upserts customers' `last_seq` (and `updated_at`, which the console's live poller watches) from the
 * inbox rows `from` selects: one statement, however many customers. Used by commitPage for the rows
 * it inserted, by whatever else inserts inbox rows (operator replies), and by migration 7's backfill.
 * `from` must carry a WHERE (SQLite reads `INSERT … SELECT … ON CONFLICT` right only then).
 */
export function activityUpsert(
  qb: Kysely<DB>,
  dialect: Dialect,
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- Kysely's type for "no column selected yet"
  from: SelectQueryBuilder<DB, 'inbox', {}>,
  now: number,
) {
  const insert = qb
    .insertInto('customers')
    .columns(['open_kfid', 'external_userid', 'last_seq', 'updated_at'])
    .expression(
      from
        .select((eb) => [
          'open_kfid',
          'external_userid',
          eb.fn.max('seq').as('last_seq'),
          sql<number>`${now}`.as('updated_at'),
        ])
        .groupBy(['open_kfid', 'external_userid']),
    );
  return dialect === 'sqlite'
    ? insert.onConflict((oc) =>
        oc
          .columns(['open_kfid', 'external_userid'])
          .doUpdateSet({
            last_seq: (eb) => eb.ref('excluded.last_seq'),
            updated_at: (eb) => eb.ref('excluded.updated_at'),
          })
          .where('excluded.last_seq', '>', (eb) => eb.ref('customers.last_seq')),
      )
    : // No WHERE on MySQL's upsert: updated_at moves only with last_seq (written first, while last_seq is old).
      insert.onDuplicateKeyUpdate({
        updated_at: sql`IF(VALUES(last_seq) > customers.last_seq, VALUES(updated_at), customers.updated_at)`,
        last_seq: sql`GREATEST(customers.last_seq, VALUES(last_seq))`,
      });
}

/** After inbox rows were inserted: their customers' latest activity moves to them. */
export async function noteActivity(db: SqlDb, msgids: string[], now: number): Promise<void> {
  if (!msgids.length) return;
  await db.run(
    activityUpsert(
      db.qb,
      db.dialect,
      db.qb.selectFrom('inbox').where('msgid', 'in', msgids).where('external_userid', '<>', ''),
      now,
    ),
  );
}

/** How many customers a narrowing filter (search, failed, budget) finds at most: the newest ones. */
const CANDIDATES = 200;

type Pair = [openKfId: string, externalUserId: string];
const pairKey = ([kf, user]: Pair) => `${kf}\u0000${user}`;

function distinctPairs(rows: { open_kfid: string; external_userid: string }[], max = CANDIDATES): Pair[] {
  const seen = new Set<string>();
  const out: Pair[] = [];
  for (const r of rows) {
    const p: Pair = [r.open_kfid, r.external_userid];
    if (seen.has(pairKey(p))) continue;
    seen.add(pairKey(p));
    out.push(p);
    if (out.length === max) break;
  }
  return out;
}

type C = ExpressionBuilder<DB & { c: DB['customers'] }, 'c'>;

/** `LIKE` with our own escape character (the same on both engines), case-insensitive for ASCII on both. */
function contains(col: Expression<unknown>, needle: string): Expression<SqlBool> {
  const pattern = `%${needle.toLowerCase().replace(/[!%_]/g, (ch) => `!${ch}`)}%`;
  return sql<SqlBool>`LOWER(${col}) LIKE ${pattern} ESCAPE '!'`;
}

/**
 * The console's read model of conversations: the list, one thread, what changed (for the live
 * updates), and the customers' WeChat profiles. Every query is written once for both engines.
 */
export class Conversations implements ConversationsStore {
  constructor(private readonly db: SqlDb) {}

  private summaries() {
    const { qb } = this.db;
    return qb
      .selectFrom('customers as c')
      .innerJoin('inbox as i', 'i.seq', 'c.last_seq')
      .selectAll('i')
      .select([
        'c.nickname',
        'c.avatar',
        'c.mode',
        'c.mode_since',
        'c.last_seq',
        (eb: C) => this.lastCustomerAt(eb).as('last_customer_at'),
        (eb: C) => this.budgetUsed(eb).as('budget_used'),
      ])
      .where('c.last_seq', '>', 0);
  }

  /**
   * One customer's flag "a message failed within 48 h" (summary). The list marks its rows from
   * failingPairs instead: this reads every row of the customer, fine for one, not for a page.
   */
  private hasFailed(eb: C, since: number) {
    return eb
      .exists(
        eb
          .selectFrom('inbox as f')
          .select('f.seq')
          .whereRef('f.open_kfid', '=', 'c.open_kfid')
          .whereRef('f.external_userid', '=', 'c.external_userid')
          .where('f.state', '=', 'failed')
          .where('f.dismissed_at', 'is', null)
          .where('f.updated_at', '>=', since),
      )
      .as('has_failed');
  }

  /** The customer's latest message's send_time: their newest row by seq, as Inbox's budget reads it. */
  private lastCustomerAt(eb: C) {
    return eb
      .selectFrom('inbox as m')
      .select('m.send_time')
      .whereRef('m.open_kfid', '=', 'c.open_kfid')
      .whereRef('m.external_userid', '=', 'c.external_userid')
      .where('m.origin', '=', 3)
      .orderBy('m.seq', 'desc')
      .limit(1);
  }

  /** Sends since the customer's latest message: the same count as Inbox.budgetUsed, per listed row. */
  private budgetUsed(eb: C) {
    return eb
      .selectFrom('sent_log as s')
      .select((e) => e.fn.countAll<number>().as('n'))
      .whereRef('s.open_kfid', '=', 'c.open_kfid')
      .whereRef('s.external_userid', '=', 'c.external_userid')
      .where('s.sent_at', '>=', sql<number>`COALESCE((${this.lastCustomerAt(eb)}), 0) * 1000`);
  }

  /**
   * Two steps. A filter that only a few customers pass (search, failed, budget) first finds those
   * customers with one bounded query of its own; the list then reads them through the primary key.
   * Checking such a filter customer by customer down the list would cost a correlated subquery
   * per customer (seconds on MariaDB at 10,000 customers). Other filters walk the list's index.
   */
  async list(query: ConversationListQuery): Promise<{ items: ConversationSummary[]; more: boolean }> {
    const { now } = query;
    const since = now - ATTENTION_MS;
    const limit = Math.max(1, Math.min(query.limit, 200));
    let only: Pair[] | undefined;
    const narrow = (found: Pair[]) => {
      const keep = new Set(found.map(pairKey));
      only = only ? only.filter((p) => keep.has(pairKey(p))) : found;
    };
    const needle = query.q?.trim();
    if (needle) narrow(await this.searchPairs(needle));
    // Customers with a failure within 48 h: the list's filter, and each listed row's flag.
    const failing = await this.failingPairs(since);
    const failingKeys = new Set(failing.map(pairKey));
    if (query.flag === 'failed') narrow(failing.slice(0, CANDIDATES));
    if (query.flag === 'budget') narrow(await this.busyPairs(since));
    if (only && !only.length) return { items: [], more: false };
    const summary = (r: Record<string, unknown>) =>
      toSummary(
        {
          ...r,
          has_failed: failingKeys.has(pairKey([String(r.open_kfid), String(r.external_userid)])) ? 1 : 0,
        },
        now,
      );

    let q = this.summaries();
    if (only) {
      const pairs = only;
      q = q.where((eb) =>
        eb(
          eb.refTuple('c.open_kfid', 'c.external_userid'),
          'in',
          pairs.map(([kf, user]) => eb.tuple(kf, user)),
        ),
      );
    }
    if (query.before !== undefined) q = q.where('c.last_seq', '<', query.before);
    if (query.openKfId) q = q.where('c.open_kfid', '=', query.openKfId);
    if (query.mode === 'ai')
      q = q.where((eb) => eb.or([eb('c.mode', '=', 'ai'), eb('c.mode_since', '<', since)]));
    else if (query.mode) q = q.where('c.mode', '=', query.mode).where('c.mode_since', '>=', since);
    if (query.flag === 'handoff') q = q.where('c.mode', '=', 'waiting').where('c.mode_since', '>=', since);
    q = q.orderBy('c.last_seq', 'desc');
    if (query.flag === 'budget') {
      // The candidates sent five in 48 h; the exact rule (five since the latest message) is the summary's.
      const all = (await this.db.rows(q)).map(summary).filter((c) => c.flags.includes('budget'));
      return { items: all.slice(0, limit), more: all.length > limit };
    }
    const rows = await this.db.rows(q.limit(limit + 1));
    return { items: rows.slice(0, limit).map(summary), more: rows.length > limit };
  }

  /** Customers matching a search, newest first: an id (exact), part of a nickname, or recent text. */
  private async searchPairs(needle: string): Promise<Pair[]> {
    const { qb } = this.db;
    const [byText, byCustomer] = await Promise.all([
      // Matching rows newest first, deduplicated here: a GROUP BY would let SQLite walk the whole
      // inbox_customer index instead of the primary-key range.
      this.db.rows(
        qb
          .selectFrom('inbox')
          .select(['open_kfid', 'external_userid'])
          .where('seq', '>', sql<number>`(SELECT COALESCE(MAX(seq), 0) FROM inbox) - ${TEXT_SEARCH_WINDOW}`)
          .where('external_userid', '<>', '')
          .where((e) =>
            e.or([
              contains(sql`json_extract(payload, '$.text.content')`, needle),
              contains(e.ref('parts'), needle),
            ]),
          )
          .orderBy('seq', 'desc')
          .limit(CANDIDATES * 4),
      ),
      this.db.rows(
        qb
          .selectFrom('customers')
          .select(['open_kfid', 'external_userid'])
          .where((e) => e.or([e('external_userid', '=', needle), contains(e.ref('nickname'), needle)]))
          .orderBy('last_seq', 'desc')
          .limit(CANDIDATES),
      ),
    ]);
    return distinctPairs([...byCustomer, ...byText]);
  }

  /**
   * Customers with an undismissed message that failed within 48 h, newest first: read by the
   * 48 hours' updates (inbox_updated), whatever failed before them and however long each
   * customer's history (a per-customer EXISTS read all of it, for every listed row).
   */
  private async failingPairs(since: number): Promise<Pair[]> {
    const rows = await this.db.rows(
      this.db.qb
        .selectFrom('inbox')
        .select(['open_kfid', 'external_userid'])
        // The 48 hours are the narrow part, not every undismissed failure ever (db.ts).
        .where(unindexed('state'), '=', 'failed')
        .where('dismissed_at', 'is', null)
        .where('updated_at', '>=', since)
        .orderBy('updated_at', 'desc'),
    );
    return distinctPairs(rows, Number.MAX_SAFE_INTEGER);
  }

  /**
   * Customers sent at least five messages within 48 h (those who may have spent the budget). Asked
   * of the customers who wrote within 96 h (customers_updated: a send needs the customer's message
   * in the 48 h before it), each counted through sent_log_customer. Grouping the 48 hours' sends
   * instead probed sent_log once for every customer ever (250 ms at 10,000 customers).
   */
  private async busyPairs(since: number): Promise<Pair[]> {
    const rows = await this.db.rows(
      this.db.qb
        .selectFrom('customers as c')
        .select(['c.open_kfid', 'c.external_userid'])
        .where('c.updated_at', '>=', since - ATTENTION_MS)
        .where(
          (eb) =>
            eb
              .selectFrom('sent_log as s')
              .select((e) => e.fn.countAll<number>().as('n'))
              .whereRef('s.open_kfid', '=', 'c.open_kfid')
              .whereRef('s.external_userid', '=', 'c.external_userid')
              .where('s.sent_at', '>=', since),
          '>=',
          BUDGET,
        )
        .limit(CANDIDATES),
    );
    return rows.map((r) => [r.open_kfid, r.external_userid]);
  }

  async summary(
    openKfId: string,
    externalUserId: string,
    now: number,
  ): Promise<ConversationSummary | undefined> {
    const r = await this.db.first(
      this.summaries()
        .select((eb: C) => this.hasFailed(eb, now - ATTENTION_MS))
        .where('c.open_kfid', '=', openKfId)
        .where('c.external_userid', '=', externalUserId),
    );
    return r ? toSummary(r, now) : undefined;
  }

  async thread(
    openKfId: string,
    externalUserId: string,
    page: { limit: number; before?: number },
  ): Promise<{ items: InboxItem[]; more: boolean }> {
    const limit = Math.max(1, Math.min(page.limit, 500));
    let q = this.db.qb
      .selectFrom('inbox')
      .selectAll()
      .where('open_kfid', '=', openKfId)
      .where('external_userid', '=', externalUserId);
    if (page.before !== undefined) q = q.where('seq', '<', page.before);
    const rows = await this.db.rows(q.orderBy('seq', 'desc').limit(limit + 1));
    return { items: rows.slice(0, limit).map(toItem).reverse(), more: rows.length > limit };
  }

  async message(openKfId: string, externalUserId: string, seq: number): Promise<InboxItem | undefined> {
    // By primary key; the customer's ids must match too, so a seq cannot reach another customer's row.
    const r = await this.db.first(
      this.db.qb
        .selectFrom('inbox')
        .selectAll()
        .where('seq', '=', seq)
        .where('open_kfid', '=', openKfId)
        .where('external_userid', '=', externalUserId),
    );
    return r ? toItem(r) : undefined;
  }

  async changesSince(since: number, limit: number): Promise<ConversationChange[]> {
    const { qb } = this.db;
    const [messages, customers] = await Promise.all([
      this.db.rows(
        qb
          .selectFrom('inbox')
          .select(['seq', 'open_kfid', 'external_userid', 'updated_at'])
          .where('updated_at', '>=', since)
          .orderBy('updated_at')
          .limit(limit),
      ),
      this.db.rows(
        qb
          .selectFrom('customers')
          .select(['last_seq', 'open_kfid', 'external_userid', 'updated_at'])
          .where('updated_at', '>=', since)
          .orderBy('updated_at')
          .limit(limit),
      ),
    ]);
    return [
      ...messages.map((r) => ({
        type: 'message' as const,
        openKfId: r.open_kfid,
        externalUserId: r.external_userid,
        seq: Number(r.seq),
        updatedAt: Number(r.updated_at),
      })),
      ...customers.map((r) => ({
        type: 'customer' as const,
        openKfId: r.open_kfid,
        externalUserId: r.external_userid,
        seq: Number(r.last_seq),
        updatedAt: Number(r.updated_at),
      })),
    ].sort((a, b) => a.updatedAt - b.updatedAt);
  }

  async missingProfiles(externalUserIds: string[], triedBefore: number): Promise<string[]> {
    if (!externalUserIds.length) return [];
    const rows = await this.db.rows(
      this.db.qb
        .selectFrom('customers')
        .select('external_userid')
        .distinct()
        .where('external_userid', 'in', externalUserIds)
        .where('nickname', 'is', null)
        .where('profile_at', '<', triedBefore),
    );
    return rows.map((r) => r.external_userid);
  }

  /**
   * One UPDATE for the whole batch (a batchget answers up to 100 customers): the customers found
   * get their nickname and avatar, every one asked gets `profile_at` (not asked again before the
   * retry time). A statement per customer cost most of a round trip and a commit per new
   * customer on MySQL.
   */
  async saveProfiles(found: CustomerProfile[], asked: string[], now: number): Promise<void> {
    const byId = new Map(found.map((p) => [p.externalUserId, p]));
    const ids = [...new Set([...asked, ...byId.keys()])];
    if (!ids.length) return;
    const id = sql.ref('external_userid');
    const pick = (col: 'nickname' | 'avatar', value: (p: CustomerProfile) => string | null) =>
      byId.size
        ? sql<string | null>`CASE ${id} ${sql.join(
            [...byId.values()].map((p) => sql`WHEN ${p.externalUserId} THEN ${value(p)}`),
            sql` `,
          )} ELSE ${sql.ref(col)} END`
        : sql<string | null>`${sql.ref(col)}`;
    await this.db.run(
      this.db.qb
        .updateTable('customers')
        .set({
          nickname: pick('nickname', (p) => p.nickname.slice(0, 255)),
          avatar: pick('avatar', (p) => safeAvatar(p.avatar)),
          profile_at: now,
          // Only a customer whose profile arrived changed for the console's live view.
          updated_at: byId.size
            ? sql<number>`CASE WHEN ${id} IN (${sql.join([...byId.keys()])}) THEN ${now} ELSE updated_at END`
            : sql<number>`updated_at`,
        })
        .where('external_userid', 'in', ids),
    );
  }
}

/** Only an https URL is kept: the console shows it as an <img src>, nothing else may get there. */
function safeAvatar(url: string): string | null {
  if (url.length > 1024) return null;
  try {
    return new URL(url).protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

const MODES: CustomerMode[] = ['ai', 'human', 'console', 'waiting'];

function toSummary(r: Record<string, unknown>, now: number): ConversationSummary {
  const modeSince = Number(r.mode_since);
  const stored = MODES.includes(r.mode as CustomerMode) ? (r.mode as CustomerMode) : 'ai';
  const mode = stored !== 'ai' && now - modeSince < ATTENTION_MS ? stored : 'ai';
  const lastCustomerAt = Number(r.last_customer_at ?? 0) * 1000;
  const budgetUsed = Number(r.budget_used ?? 0);
  const flags: ConversationFlag[] = [];
  if (mode === 'waiting') flags.push('handoff');
  if (Number(r.has_failed) === 1) flags.push('failed');
  if (budgetUsed >= BUDGET && now - lastCustomerAt < ATTENTION_MS) flags.push('budget');
  return {
    openKfId: r.open_kfid as string,
    externalUserId: r.external_userid as string,
    nickname: (r.nickname as string | null) ?? null,
    avatar: (r.avatar as string | null) ?? null,
    mode,
    modeSince,
    lastSeq: Number(r.last_seq),
    last: toItem(r),
    lastCustomerAt,
    budgetUsed,
    flags,
  };
}
