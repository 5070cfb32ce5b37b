#!/usr/bin/env node
/**
 * The console's conversation queries at size: seeds a store through its own methods (pages
 * committed, some messages answered, sent and finished, some failed), then times the list, its
 * filters and search, a thread, and the live poller's "changed since" read. Prints p50/p95 per query.
 *
 *   npm run build && node scripts/bench/console-queries.mjs [--messages 100000] [--customers 10000] [--answered 10000] [--runs 60]
 *
 * SQLite by default (a temporary file); with WXCOZE_BENCH_MYSQL_URL (mysql://root@127.0.0.1:3306/some_db)
 * MySQL/MariaDB instead (every table of that database is dropped first). Goal: each < 200 ms p95.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : Number(args[i + 1]);
};
const MESSAGES = opt('--messages', 100_000);
const CUSTOMERS = opt('--customers', 10_000);
const ANSWERED = opt('--answered', 10_000);
const RUNS = opt('--runs', 60);
const mysqlUrl = process.env.WXCOZE_BENCH_MYSQL_URL;

const { openStore } = await import(pathToFileURL(join(ROOT, 'dist/store/index.js')).href);
const dataDir = mkdtempSync(join(tmpdir(), 'wxcoze-console-bench-'));
if (mysqlUrl) await emptyMysql(mysqlUrl);
const store = await openStore({ dataDir, databaseUrl: mysqlUrl });

const PHRASES = [
  '你好，请问这款还有货吗？',
  '什么时候发货',
  '我想退货，尺码不合适',
  '可以开发票吗',
  '包邮吗？',
  '订单号 {n} 查一下物流',
  '谢谢',
  'Do you ship to Hong Kong?',
  '颜色和图片不一样',
  '优惠券怎么用',
];
const now = Date.now();
const DAY = 86_400_000;
const kfs = ['wkBenchShop', 'wkBenchStore'];

// --- seed: pages of 1,000 like sync_msg, send times spread over 30 days, oldest first.
let t0 = performance.now();
for (let start = 0; start < MESSAGES; start += 1000) {
  const byKf = new Map(kfs.map((k) => [k, []]));
  for (let k = start; k < Math.min(start + 1000, MESSAGES); k++) {
    const c = (k * 7919) % CUSTOMERS;
    const kf = kfs[c % kfs.length];
    const user = `wmBench${String(c).padStart(6, '0')}`;
    const sendTime = Math.floor((now - 30 * DAY + (k / MESSAGES) * 30 * DAY) / 1000);
    const content = PHRASES[k % PHRASES.length].replace('{n}', String(100000 + k));
    byKf.get(kf).push({
      msgid: `bench-${k}`,
      openKfId: kf,
      externalUserId: user,
      origin: 3,
      msgtype: 'text',
      sendTime,
      payload: {
        msgid: `bench-${k}`,
        open_kfid: kf,
        external_userid: user,
        send_time: sendTime,
        origin: 3,
        msgtype: 'text',
        text: { content },
      },
      state: k < MESSAGES - ANSWERED ? 'skipped' : 'received',
    });
  }
  // Committed when sent (updated_at is the commit time): what changed in the last 48 h stays a part.
  const at = now - 30 * DAY + (start / MESSAGES) * 30 * DAY;
  for (const [kf, batch] of byKf) if (batch.length) await store.commitPage(kf, `c-${start}`, batch, at);
}
const seeded = performance.now() - t0;
// --- the newest ANSWERED messages answered and sent (sent_log grows), one in 20 failed.
t0 = performance.now();
let answered = 0;
for (;;) {
  const items = await store.claim({ owner: 'bench', leaseMs: 600_000, limit: 500, now });
  if (!items.length) break;
  await Promise.all(
    items.map(async (item) => {
      if (item.seq % 20 === 0) return store.finish(item.msgid, 'bench', 'failed', 'Coze error 4000', now);
      await store.saveAnswer(
        item.msgid,
        'bench',
        [{ kind: 'text', content: '亲，有货的，今天下单明天发货' }],
        null,
        now,
      );
      await store.markPartSent(item.msgid, 'bench', 0, `out-${item.msgid}`, now);
      await store.finish(item.msgid, 'bench', 'done', null, now);
    }),
  );
  answered += items.length;
}
console.log(
  `${mysqlUrl ? 'MySQL/MariaDB' : 'SQLite'}: ${MESSAGES} messages from ${CUSTOMERS} customers seeded in ${(seeded / 1000).toFixed(1)} s, ` +
    `${answered} answered or failed in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

const conv = store.conversations;
const firstPage = await conv.list({ now, limit: 50 });
const userOf = (i) => `wmBench${String((i * 104729) % CUSTOMERS).padStart(6, '0')}`;
const QUERIES = {
  'list, first page (50)': () => conv.list({ now, limit: 50 }),
  'list, next page': () => conv.list({ now, limit: 50, before: firstPage.items.at(-1).lastSeq }),
  'list, one account': () => conv.list({ now, limit: 50, openKfId: kfs[1] }),
  'list, flag failed': () => conv.list({ now, limit: 50, flag: 'failed' }),
  'list, flag budget': () => conv.list({ now, limit: 50, flag: 'budget' }),
  'list, mode human': () => conv.list({ now, limit: 50, mode: 'human' }),
  'search, text': (i) => conv.list({ now, limit: 50, q: i % 2 ? '退货' : '订单号 1999' }),
  'search, customer id': (i) => conv.list({ now, limit: 50, q: userOf(i) }),
  'search, no match': () => conv.list({ now, limit: 50, q: '没有这句话' }),
  'thread (100 newest)': (i) => conv.thread(kfs[((i * 104729) % CUSTOMERS) % 2], userOf(i), { limit: 100 }),
  'summary (thread header)': (i) => conv.summary(kfs[((i * 104729) % CUSTOMERS) % 2], userOf(i), now),
  'changes since 2 s ago': () => conv.changesSince(now - 2000, 500),
};
const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
console.log(`\n${'query'.padEnd(28)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)}  rows`);
let worst = 0;
for (const [name, run] of Object.entries(QUERIES)) {
  await run(0); // warm the statement cache
  const times = [];
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = await run(i + 1);
    times.push(performance.now() - t);
    rows = Array.isArray(r) ? r.length : (r?.items?.length ?? (r ? 1 : 0));
  }
  worst = Math.max(worst, pct(times, 95));
  console.log(
    `${name.padEnd(28)} ${pct(times, 50).toFixed(1).padStart(8)} ${pct(times, 95).toFixed(1).padStart(8)}  ${rows}`,
  );
}
console.log(`\nworst p95: ${worst.toFixed(1)} ms (goal < 200 ms)`);
await store.close();
if (process.env.WXCOZE_BENCH_KEEP) console.log(`kept ${dataDir}`);
else rmSync(dataDir, { recursive: true, force: true });

/** Drops every table of the bench database, so each run starts from an empty schema. */
async function emptyMysql(url) {
  const { createRequire } = await import('node:module');
  const mysql = createRequire(join(ROOT, 'package.json'))('mysql2/promise');
  const conn = await mysql.createConnection(url);
  const [rows] = await conn.query('SHOW TABLES');
  await conn.query('SET FOREIGN_KEY_CHECKS = 0');
  for (const row of rows) await conn.query(`DROP TABLE \`${Object.values(row)[0]}\``);
  await conn.query('SET FOREIGN_KEY_CHECKS = 1');
  await conn.end();
}
