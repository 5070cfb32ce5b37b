import { sql, type RawBuilder } from 'kysely';
import type { ConsoleStatsStore, SeenInstance, StatsBucket, StatsSeries } from '../console-types.js';
import { unindexed, type SqlDb } from './db.js';

/** A customer's own message (events are origin 4, servicers' 5, the console's operators 0): what "messages in" counts. */
const CUSTOMER_ORIGIN = 3;

/**
 * Latency histogram bins: 100 ms wide under 10 s, 1 s wide under 100 s, 1 min wide under 1 h,
 * then one bin. Percentiles are read from the bins (their midpoint): within 50 ms under 10 s.
 */
const BINS = [
  { below: 10_000, first: 0, from: 0, width: 100 },
  { below: 100_000, first: 100, from: 10_000, width: 1000 },
  { below: 3_600_000, first: 190, from: 100_000, width: 60_000 },
] as const;
const LAST_BIN = 249;

/** The midpoint (ms) of a latency bin. */
export function binMidMs(bin: number): number {
  for (let i = BINS.length - 1; i >= 0; i--) {
    const b = BINS[i]!;
    if (bin >= b.first) return Math.min(b.below, b.from + (bin - b.first) * b.width + b.width / 2);
  }
  return 0;
}

/**
 * The charts' figures, computed in the database in ONE pass over the (created_at, origin, state,
 * is_handoff, send_time, updated_at) index, so 100,000 messages never cross the wire: one GROUP BY
 * (bucket, state, handoff, latency bin) gives the counts and, for answered messages, a latency
 * histogram per bucket (≤ 250 bins); p50/p95 come from the histograms. A sort of every latency
 * (window functions) cost ~4× as much at 100k messages.
 *
 * Latency is what the customer felt: from their message's send_time (WeCom's clock, seconds) to
 * the moment the answer's last part went out (`updated_at` of the `done` row, ms). It includes
 * the callback, the pull and the queue, not only Coze; `created_at → updated_at` would hide a
 * slow pull. send_time has whole seconds, so a latency reads up to 1 s long.
 */
interface Counts {
  in: number;
  answered: number;
  skipped: number;
  failed: number;
  handoffs: number;
}
const blankCounts = (): Counts => ({ in: 0, answered: 0, skipped: 0, failed: 0, handoffs: 0 });
const SETTLE_MS = 3600_000;
const SETTLED_TTL_MS = 10 * 60_000;
const SLICE_MS = 24 * 3600_000;

export class ConsoleStats implements ConsoleStatsStore {
  constructor(private readonly db: SqlDb) {}

  /**
   * Buckets that ended over an hour ago hardly change (a late retry at most), so their counts and
   * histograms are kept for 10 minutes: a 30-day chart then reads only the current day from the
   * database. The first view after a start reads the whole range once.
   */
  private readonly settled = new Map<string, { at: number; counts: Counts; hist: Map<number, number> }>();

  async series(q: { from: number; to: number; bucketMs: number; openKfId?: string }): Promise<StatsSeries> {
    const { from, to, bucketMs } = q;
    const now = Date.now();
    const n = Math.max(1, Math.ceil((to - from) / bucketMs));
    const key = (i: number) => `${bucketMs}:${from + i * bucketMs}:${q.openKfId ?? ''}`;
    const counts: Counts[] = Array.from({ length: n }, () => blankCounts());
    const hist = counts.map(() => new Map<number, number>());
    // Buckets [0, live) are settled; the cached ones are taken, the rest read from the database.
    let live = 0;
    while (live < n && from + (live + 1) * bucketMs <= now - SETTLE_MS) live++;
    let firstMissing = -1;
    for (let i = 0; i < live; i++) {
      const c = this.settled.get(key(i));
      if (c && now - c.at < SETTLED_TTL_MS) {
        counts[i] = { ...c.counts };
        hist[i] = c.hist;
      } else if (firstMissing < 0) firstMissing = i;
    }
    const readFrom = firstMissing >= 0 ? firstMissing : live;
    // Everything from there is read again: a cached bucket after the first missing one starts
    // blank (adding to its cached counts doubled them, and changed the cached histogram in place).
    for (let i = readFrom; i < n; i++) {
      counts[i] = blankCounts();
      hist[i] = new Map();
    }
    // Read a day of buckets per statement, letting the event loop turn in between: a 30-day range
    // in one statement held SQLite's thread for 60 ms at 3,000 messages a day.
    const perSlice = Math.max(1, Math.floor(SLICE_MS / bucketMs));
    for (let s = readFrom; s < n; s += perSlice) {
      if (s > readFrom) await new Promise((r) => setImmediate(r));
      const sub = { ...q, from: from + s * bucketMs, to: Math.min(to, from + (s + perSlice) * bucketMs) };
      for (const r of await this.rows(sub)) {
        const i = s + r.b;
        const c = counts[i];
        if (!c) continue;
        c.in += r.n;
        if (r.state === 'done') c.answered += r.n;
        else if (r.state === 'skipped') c.skipped += r.n;
        else if (r.state === 'failed') c.failed += r.n;
        if (r.h) c.handoffs += r.n;
        if (r.state === 'done' && r.bin >= 0) hist[i]!.set(r.bin, (hist[i]!.get(r.bin) ?? 0) + r.n);
      }
    }
    if (readFrom < n) {
      for (let i = readFrom; i < live; i++)
        this.settled.set(key(i), { at: now, counts: { ...counts[i]! }, hist: hist[i]! });
      if (this.settled.size > 2000) this.settled.clear();
    }
    const total: StatsSeries['total'] = { ...blankCounts(), p50Ms: null, p95Ms: null };
    const allHist = new Map<number, number>();
    const buckets: StatsBucket[] = counts.map((c, i) => {
      for (const k of ['in', 'answered', 'skipped', 'failed', 'handoffs'] as const) total[k] += c[k];
      for (const [bin, v] of hist[i]!) allHist.set(bin, (allHist.get(bin) ?? 0) + v);
      return { at: from + i * bucketMs, ...c, ...percentiles(hist[i]!) };
    });
    Object.assign(total, percentiles(allHist));
    return { from, to, bucketMs, buckets, total };
  }

  private async rows(q: {
    from: number;
    to: number;
    bucketMs: number;
    openKfId?: string;
  }): Promise<{ b: number; state: string; h: number; bin: number; n: number }[]> {
    const mysql = this.db.dialect === 'mysql';
    const div = (a: RawBuilder<number>, by: number) =>
      mysql ? sql<number>`(${a}) DIV ${sql.lit(by)}` : sql<number>`(${a}) / ${sql.lit(by)}`;
    const ms = sql<number>`(updated_at - send_time * 1000)`;
    const [b0, b1, b2] = BINS;
    const bin = sql<number>`CASE WHEN state <> 'done' THEN -1
      WHEN ${ms} < ${sql.lit(b0.below)} THEN ${div(ms, b0.width)}
      WHEN ${ms} < ${sql.lit(b1.below)} THEN ${sql.lit(b1.first)} + ${div(sql<number>`${ms} - ${sql.lit(b1.from)}`, b1.width)}
      WHEN ${ms} < ${sql.lit(b2.below)} THEN ${sql.lit(b2.first)} + ${div(sql<number>`${ms} - ${sql.lit(b2.from)}`, b2.width)}
      ELSE ${sql.lit(LAST_BIN)} END`;
    const rows = await this.db.rows(
      this.db.qb
        .selectFrom('inbox')
        .select([
          this.bucketOf(q.from, q.bucketMs).as('b'),
          'state',
          'is_handoff as h',
          bin.as('bin'),
          sql<number>`COUNT(*)`.as('n'),
        ])
        .where('created_at', '>=', q.from)
        .where('created_at', '<', q.to)
        .where('origin', '=', CUSTOMER_ORIGIN)
        // The date range is the narrow part (inbox_created); each row's account is checked in the table.
        // Through inbox_customer, one account's chart read all of that account's rows: 4 s at 1M.
        .$if(q.openKfId !== undefined, (w) => w.where(unindexed('open_kfid'), '=', q.openKfId!))
        .groupBy(['b', 'state', 'h', 'bin']),
    );
    return rows.map((r) => ({
      b: Number(r.b),
      state: r.state,
      h: Number(r.h),
      bin: Number(r.bin),
      n: Number(r.n),
    }));
  }

  async instances(since: number): Promise<SeenInstance[]> {
    const rows = await this.db.rows(
      this.db.qb
        .selectFrom('heartbeats')
        .selectAll()
        .where('beat_at', '>=', since)
        .orderBy('beat_at', 'desc'),
    );
    return rows.map((r) => ({
      instanceId: r.instance_id,
      host: r.host,
      pid: Number(r.pid),
      startedAt: Number(r.started_at),
      beatAt: Number(r.beat_at),
      gone: Number(r.gone) === 1,
    }));
  }

  /**
   * One probe per account: its customers' newest row (customers.last_seq, which the puller keeps
   * with each page, through customers_kf_last), then that row. Reading the account's inbox rows
   * for the newest instead walked all of them (100 ms at a million rows for a one-account shop).
   */
  async lastMessageAt(openKfIds: string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const kf of openKfIds) {
      const r = await this.db.first(
        this.db.qb
          .selectFrom('inbox')
          .select('created_at')
          .where('seq', '=', (eb) =>
            eb
              .selectFrom('customers')
              .select((e) => e.fn.max('last_seq').as('last'))
              .where('open_kfid', '=', kf),
          ),
      );
      if (r) out[kf] = Number(r.created_at);
    }
    return out;
  }

  /** `(created_at - from) / bucketMs` as a whole number, spelled per engine (MySQL's `/` is decimal). */
  private bucketOf(from: number, bucketMs: number): RawBuilder<number> {
    return this.db.dialect === 'mysql'
      ? sql<number>`(created_at - ${from}) DIV ${bucketMs}`
      : // better-sqlite3 binds every JS number as a REAL: cast back to a whole bucket number.
        sql<number>`CAST((created_at - ${from}) / ${bucketMs} AS INTEGER)`;
  }
}

/** p50 and p95 (the bins at ranks ceil(n × 0.5) and ceil(n × 0.95)) of a latency histogram. */
function percentiles(hist: Map<number, number>): { p50Ms: number | null; p95Ms: number | null } {
  let count = 0;
  for (const c of hist.values()) count += c;
  if (count === 0) return { p50Ms: null, p95Ms: null };
  const ranks = [Math.ceil(count * 0.5), Math.ceil(count * 0.95)];
  const out: number[] = [];
  let seen = 0;
  for (const [bin, c] of [...hist].sort((a, b) => a[0] - b[0])) {
    seen += c;
    while (out.length < 2 && seen >= ranks[out.length]!) out.push(binMidMs(bin));
  }
  return { p50Ms: out[0] ?? null, p95Ms: out[1] ?? null };
}
