/**
 * Realistic console data: `messages` customer messages from `customers` customers over the last
 * `days` days (busier in the business's daytime), committed through the store's own commitPage in
 * pages like the puller's, then ended the way a month of service ends them: most answered within
 * seconds, some skipped, a few failed, some handed to a human. Used by the console benchmark
 * (scripts/bench/console.mjs) and the console's screenshots. Takes a SqlStore (src/ or dist/).
 */
import { sql } from 'kysely';

/** Deterministic pseudo-random numbers (mulberry32): the same data on every run. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Relative traffic per local hour (UTC+8): quiet at night, peaks late morning and evening. */
const HOURLY = [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 4, 6, 7, 7, 6, 6, 7, 7, 6, 5, 6, 7, 8, 7, 5, 2];
const HOURLY_SUM = HOURLY.reduce((a, b) => a + b, 0);

/**
 * @param {import('../../src/store/sql/sql-store.js').SqlStore} store
 * @param {{ messages?: number, customers?: number, days?: number, accounts?: string[], now?: number, pageSize?: number, seed?: number }} o
 */
export async function seedConsole(store, o = {}) {
  const messages = o.messages ?? 100_000;
  const customers = o.customers ?? 10_000;
  const days = o.days ?? 30;
  const accounts = o.accounts ?? ['wkSeedAccount0000000000000000001'];
  const now = o.now ?? Date.now();
  const pageSize = o.pageSize ?? 50;
  const rand = rng(o.seed ?? 13);
  const start = now - days * 86_400_000;
  const ats = [];
  for (let i = 0; i < messages; i++) {
    // A weighted local hour, a random minute, on a random day; the newest day only up to now.
    let r = rand() * HOURLY_SUM;
    let h = 0;
    while (r > HOURLY[h]) r -= HOURLY[h++];
    const day = Math.floor(rand() * days);
    const localMidnight = Math.floor((start + 8 * 3600_000) / 86_400_000) * 86_400_000 - 8 * 3600_000;
    const at = localMidnight + (day + 1) * 86_400_000 + h * 3600_000 + Math.floor(rand() * 3600_000);
    ats.push(Math.min(now - 1000, Math.max(start, at)));
  }
  ats.sort((a, b) => a - b);
  let seq = 0;
  for (let p = 0; p < ats.length; p += pageSize) {
    const page = ats.slice(p, p + pageSize);
    const at = page[page.length - 1];
    const kf = accounts[Math.floor(p / pageSize) % accounts.length];
    const rows = page.map((sent) => {
      const n = seq++;
      const user = `wmSeed${String(Math.floor(rand() * customers)).padStart(8, '0')}`;
      const msgid = `seed_${n}`;
      return {
        msgid,
        openKfId: kf,
        externalUserId: user,
        origin: 3,
        msgtype: 'text',
        sendTime: Math.floor(sent / 1000),
        payload: { msgid, msgtype: 'text', text: { content: `第 ${n} 个问题：请问营业时间？` } },
        // Recorded only: a running pipeline never picks these up; their end is written below.
        state: 'skipped',
        note: 'seed',
      };
    });
    await store.commitPage(kf, `seed-cursor-${p}`, rows, at);
  }
  // How each message ended, from a hash of its seq: ~86 % answered (4 % of all by a handoff),
  // 6 % skipped, 3 % failed, the rest recalled by the customer. The answer took 1.5–9 s, a slow tail up to 60 s.
  const h = sql`((seq * 2654435761) % 1000)`;
  const latency = sql`(1500 + ((seq * 40503) % 7500) + CASE WHEN (seq % 50) = 0 THEN 30000 ELSE 0 END)`;
  await store.db.run(
    store.db.qb
      .updateTable('inbox')
      .set({
        state: sql`CASE WHEN ${h} < 860 THEN 'done' WHEN ${h} < 920 THEN 'skipped' WHEN ${h} < 950 THEN 'failed' ELSE 'cancelled' END`,
        note: sql`CASE WHEN ${h} < 40 THEN 'handoff: asked by the customer' WHEN ${h} >= 920 AND ${h} < 950 THEN 'failed: Coze unreachable' ELSE NULL END`,
        // Never after now: a message clamped to now - 1 s above would otherwise be answered in the
        // future, and an open console's event stream (ordered by updated_at) would skip past real
        // changes until the clock caught up (the console bench waited forever for one).
        updated_at:
          store.db.dialect === 'mysql'
            ? sql`LEAST(send_time * 1000 + ${latency}, ${now})`
            : sql`MIN(send_time * 1000 + ${latency}, ${now})`,
      })
      .where('note', '=', 'seed'),
  );
  return { messages, customers, accounts, from: start, to: now };
}
