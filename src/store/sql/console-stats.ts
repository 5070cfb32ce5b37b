import { sql, type RawBuilder } from 'kysely';
import type { ConsoleStatsStore, StatsBucket, StatsSeries } from '../console-types.js';
import type { SqlDb } from './db.js';

/** A customer's own message (not an event, not a servicer's or an operator's): what "messages in" counts. */
const CUSTOMER_ORIGIN = 3;

/**
 * The charts' figures, computed in the database so 100,000 messages never cross the wire:
 *  - counts per bucket: one GROUP BY over the (created_at, origin, state) index range;
 *  - latency p50/p95 per bucket: window functions (ROW_NUMBER / COUNT OVER the bucket, SQLite
 *    ≥ 3.25 and MariaDB ≥ 10.2 both have them) keep only the two rows at the percentiles' ranks.
 *
 * Latency is what the customer felt: from their message's send_time (WeCom's clock, seconds) to
 * the moment the answer's last part went out (`updated_at` of the `done` row, ms). It includes
 * the callback, the pull and the queue, not only Coze; `created_at → updated_at` would hide a
 * slow pull. Answers finished within the same second may show as 0 to 999 ms early: send_time
 * has whole seconds.
 */
export class ConsoleStats implements ConsoleStatsStore {
  constructor(private readonly db: SqlDb) {}

  async series(q: { from: number; to: number; bucketMs: number; openKfId?: string }): Promise<StatsSeries> {
    const { from, to, bucketMs } = q;
    const n = Math.max(1, Math.ceil((to - from) / bucketMs));
    const buckets: StatsBucket[] = Array.from({ length: n }, (_, i) => ({
      at: from + i * bucketMs,
      in: 0,
      answered: 0,
      skipped: 0,
      failed: 0,
      handoffs: 0,
      p50Ms: null,
      p95Ms: null,
    }));
    const [counts, pct, totalPct] = await Promise.all([
      this.counts(q),
      this.percentiles(q, true),
      this.percentiles(q, false),
    ]);
    const total: StatsSeries['total'] = {
      in: 0,
      answered: 0,
      skipped: 0,
      failed: 0,
      handoffs: 0,
      p50Ms: null,
      p95Ms: null,
    };
    for (const c of counts) {
      const b = buckets[c.b];
      if (!b) continue;
      b.in += c.in;
      b.answered += c.answered;
      b.skipped += c.skipped;
      b.failed += c.failed;
      b.handoffs += c.handoffs;
    }
    for (const b of buckets) {
      total.in += b.in;
      total.answered += b.answered;
      total.skipped += b.skipped;
      total.failed += b.failed;
      total.handoffs += b.handoffs;
    }
    for (const p of pct) {
      const b = buckets[p.b];
      if (b) b[p.which] = p.ms;
    }
    for (const p of totalPct) total[p.which] = p.ms;
    return { from, to, bucketMs, buckets, total };
  }

  /** `(created_at - from) / bucketMs` as a whole number, spelled per engine (MySQL's `/` is decimal). */
  private bucketOf(from: number, bucketMs: number): RawBuilder<number> {
    return this.db.dialect === 'mysql'
      ? sql<number>`(created_at - ${from}) DIV ${bucketMs}`
      : // better-sqlite3 binds every JS number as a REAL: cast back to a whole bucket number.
        sql<number>`CAST((created_at - ${from}) / ${bucketMs} AS INTEGER)`;
  }

  private async counts(q: {
    from: number;
    to: number;
    bucketMs: number;
    openKfId?: string;
  }): Promise<
    { b: number; in: number; answered: number; skipped: number; failed: number; handoffs: number }[]
  > {
    const rows = await this.db.rows(
      this.db.qb
        .selectFrom('inbox')
        .select([
          this.bucketOf(q.from, q.bucketMs).as('b'),
          sql<number>`COUNT(*)`.as('n_in'),
          sql<number>`SUM(CASE WHEN state = 'done' THEN 1 ELSE 0 END)`.as('n_done'),
          sql<number>`SUM(CASE WHEN state = 'skipped' THEN 1 ELSE 0 END)`.as('n_skipped'),
          sql<number>`SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END)`.as('n_failed'),
          sql<number>`SUM(CASE WHEN note LIKE 'handoff%' THEN 1 ELSE 0 END)`.as('n_handoff'),
        ])
        .where('created_at', '>=', q.from)
        .where('created_at', '<', q.to)
        .where('origin', '=', CUSTOMER_ORIGIN)
        .where('msgtype', '<>', 'event')
        .$if(q.openKfId !== undefined, (w) => w.where('open_kfid', '=', q.openKfId!))
        .groupBy('b'),
    );
    return rows.map((r) => ({
      b: Number(r.b),
      in: Number(r.n_in),
      answered: Number(r.n_done ?? 0),
      skipped: Number(r.n_skipped ?? 0),
      failed: Number(r.n_failed ?? 0),
      handoffs: Number(r.n_handoff ?? 0),
    }));
  }

  /**
   * The p50 and p95 answer latency per bucket (`perBucket`) or over the whole range: the rows at
   * rank ceil(n × p) of each bucket's latencies, found by the database; at most 2 rows per bucket return.
   */
  private async percentiles(
    q: { from: number; to: number; bucketMs: number; openKfId?: string },
    perBucket: boolean,
  ): Promise<{ b: number; which: 'p50Ms' | 'p95Ms'; ms: number }[]> {
    const mysql = this.db.dialect === 'mysql';
    const bucket = perBucket ? this.bucketOf(q.from, q.bucketMs) : sql<number>`0`;
    const rank = (pct: number) =>
      mysql
        ? sql<number>`(cnt * ${sql.lit(pct)} + 99) DIV 100`
        : sql<number>`(cnt * ${sql.lit(pct)} + 99) / 100`;
    const inner = this.db.qb
      .selectFrom('inbox')
      .select([
        bucket.as('b'),
        sql<number>`updated_at - send_time * 1000`.as('ms'),
        sql<number>`ROW_NUMBER() OVER (PARTITION BY ${bucket} ORDER BY updated_at - send_time * 1000)`.as(
          'rn',
        ),
        sql<number>`COUNT(*) OVER (PARTITION BY ${bucket})`.as('cnt'),
      ])
      .where('created_at', '>=', q.from)
      .where('created_at', '<', q.to)
      .where('origin', '=', CUSTOMER_ORIGIN)
      .where('state', '=', 'done')
      .where('msgtype', '<>', 'event')
      .$if(q.openKfId !== undefined, (w) => w.where('open_kfid', '=', q.openKfId!));
    const rows = await this.db.rows(
      this.db.qb
        .selectFrom(inner.as('t'))
        .select(['b', 'ms', 'rn', 'cnt'])
        .where((eb) => eb.or([eb('rn', '=', rank(50)), eb('rn', '=', rank(95))])),
    );
    const out: { b: number; which: 'p50Ms' | 'p95Ms'; ms: number }[] = [];
    for (const r of rows) {
      const cnt = Number(r.cnt);
      const rn = Number(r.rn);
      const ms = Math.max(0, Number(r.ms));
      if (rn === Math.ceil((cnt * 50) / 100)) out.push({ b: Number(r.b), which: 'p50Ms', ms });
      if (rn === Math.ceil((cnt * 95) / 100)) out.push({ b: Number(r.b), which: 'p95Ms', ms });
    }
    return out;
  }
}
