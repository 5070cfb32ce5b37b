#!/usr/bin/env node
/**
 * The store alone, no HTTP: the calls the pipeline makes for each customer message (a page committed,
 * claimed, customer/budget/identity looked up, answer saved, part sent, finished), through `openStore`
 * of a built tree's dist/. Compares trees, e.g. this checkout against an older commit in another
 * worktree, alternating them in fresh processes so a busy machine hurts both alike:
 *
 *   node scripts/bench/store-ops.mjs [--messages 3000] [--rounds 3] [tree …]
 *   node scripts/bench/store-ops.mjs --instructions [--messages 3000] [tree …]
 *
 * `--instructions` counts CPU instructions instead of time, under valgrind's callgrind: the same
 * count for the same code whatever else the machine is doing (time on a shared 2-core machine is
 * not). Each tree runs twice, with 300 and with `--messages` messages; the difference over the
 * extra messages is the store's instructions per message, start-up and migrations cancelled out.
 *
 * Each tree defaults to this checkout; each must have been built (`npm run build`). With
 * WXCOZE_BENCH_MYSQL_URL (mysql://root@127.0.0.1:3306/some_db) it measures MySQL instead of SQLite
 * (the database is emptied first). Prints CPU and wall time per message; nothing is written.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const [, v] = args.splice(i, 2);
  return Number(v);
};
const flag = (name) => {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
};
const instructions = flag('--instructions');
const messages = opt('--messages', 3000);
const rounds = opt('--rounds', 3);
const mysqlUrl = process.env.WXCOZE_BENCH_MYSQL_URL;

if (process.env.STORE_OPS_CHILD) {
  console.log(JSON.stringify(await measure(process.env.STORE_OPS_CHILD, messages)));
  process.exit(0);
}

const trees = (args.length ? args : [ROOT]).map((t) => resolve(t));
if (instructions) {
  const BASE = 300;
  const count = (tree, n) => {
    const child = spawnSync(
      'valgrind',
      [
        '--tool=callgrind',
        '--callgrind-out-file=/dev/null',
        process.execPath,
        import.meta.filename,
        '--messages',
        String(n),
      ],
      { env: { ...process.env, STORE_OPS_CHILD: tree }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    const m = /Collected : (\d+)/.exec(child.stderr ?? '');
    if (child.status !== 0 || !m)
      throw new Error(`${tree}: valgrind failed (is it installed?): ${child.stderr}`);
    return Number(m[1]);
  };
  console.log(
    `${mysqlUrl ? 'MySQL' : 'SQLite'}: instructions per message (callgrind, ${BASE} vs ${messages} messages)`,
  );
  for (const tree of trees) {
    const perMsg = (count(tree, messages) - count(tree, BASE)) / (messages - BASE);
    console.log(`${tree}: ${Math.round(perMsg / 1000)}k instructions/message`);
  }
  process.exit(0);
}
const runs = new Map(trees.map((t) => [t, []]));
for (let r = 1; r <= rounds; r++)
  for (const tree of trees) {
    const child = spawnSync(process.execPath, [import.meta.filename, '--messages', String(messages)], {
      env: { ...process.env, STORE_OPS_CHILD: tree },
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`${tree}: ${child.stderr}`);
    const m = JSON.parse(child.stdout.trim().split('\n').at(-1));
    runs.get(tree).push(m);
    console.log(
      `round ${r} ${tree}: ${m.cpuMsPerMsg.toFixed(3)} ms CPU, ${m.wallMsPerMsg.toFixed(3)} ms wall per message`,
    );
  }
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\n${mysqlUrl ? 'MySQL' : 'SQLite'}, ${messages} messages, ${rounds} rounds (median, min–max):`);
for (const [tree, ms] of runs) {
  const cpu = ms.map((m) => m.cpuMsPerMsg);
  const wall = ms.map((m) => m.wallMsPerMsg);
  console.log(
    `${tree}: CPU ${median(cpu).toFixed(3)} (${Math.min(...cpu).toFixed(3)}–${Math.max(...cpu).toFixed(3)}) ms/msg, ` +
      `wall ${median(wall).toFixed(3)} (${Math.min(...wall).toFixed(3)}–${Math.max(...wall).toFixed(3)}) ms/msg`,
  );
}

/** One run in this process: opens the tree's store, runs `n` messages through it, closes it. */
async function measure(tree, n) {
  const { openStore } = await import(pathToFileURL(join(tree, 'dist/store/index.js')).href);
  const dataDir = mkdtempSync(join(tmpdir(), 'wxcoze-store-ops-'));
  if (mysqlUrl) await emptyMysql(tree, mysqlUrl);
  const store = await openStore({ dataDir, databaseUrl: mysqlUrl });
  const kf = 'wkBENCH';
  const owner = 'bench';
  const customers = 200;
  let now = Date.now();
  await store.touchAccount(kf, now);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let page = 0; page * 100 < n; page++) {
    const batch = Array.from({ length: Math.min(100, n - page * 100) }, (_, i) => {
      const k = page * 100 + i;
      const user = `wmCustomer${k % customers}`;
      return {
        msgid: `msg-${k}`,
        openKfId: kf,
        externalUserId: user,
        origin: 3,
        msgtype: 'text',
        sendTime: Math.floor(now / 1000),
        payload: { msgid: `msg-${k}`, msgtype: 'text', text: { content: `hello ${k}` } },
        state: 'received',
      };
    });
    await store.commitPage(kf, `cursor-${page}`, batch, now);
    for (;;) {
      const items = await store.claim({ owner, leaseMs: 60_000, limit: 50, now });
      if (!items.length) break;
      await Promise.all(
        items.map(async (item) => {
          now++;
          await store.getCustomer(kf, item.externalUserId);
          // planReply's budget look-up: one query since budgetAndWaiting, two in older trees.
          if (store.budgetAndWaiting) await store.budgetAndWaiting(kf, item.externalUserId, item.seq);
          else {
            await store.budgetUsed(kf, item.externalUserId);
            await store.pendingAfter(kf, item.externalUserId, item.seq);
          }
          const userId = await store.resolveUser('wecom', item.externalUserId, now);
          if (!(await store.getConversation(userId, 'bot')))
            await store.setConversation(userId, 'bot', `conv-${userId}`, now);
          await store.setChatRef(item.msgid, `conv-${userId}`, `chat-${item.msgid}`);
          await store.saveAnswer(item.msgid, owner, [{ kind: 'text', content: 'hi' }], null, now);
          // The last part's mark also finishes the message where the tree can (markPartSent's 6th
          // parameter, `last`); older trees finish it in a write of its own, as their pipeline did.
          if (store.markPartSent.length >= 6)
            await store.markPartSent(item.msgid, owner, 0, `out-${item.msgid}`, now, {
              state: 'done',
              note: null,
            });
          else {
            await store.markPartSent(item.msgid, owner, 0, `out-${item.msgid}`, now);
            await store.finish(item.msgid, owner, 'done', null, now);
          }
        }),
      );
    }
  }
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(cpu0);
  // countSince(0) counts every message by state; trees before it had countByState.
  const counts = await (store.countSince ? store.countSince(0) : store.countByState());
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (counts.done !== n) throw new Error(`expected ${n} done, got ${JSON.stringify(counts)}`);
  return { messages: n, cpuMsPerMsg: (c.user + c.system) / 1000 / n, wallMsPerMsg: wallMs / n };
}

/** Drops every table of the bench database, so each run starts from an empty schema. */
async function emptyMysql(tree, url) {
  const { createRequire } = await import('node:module');
  const mysql = createRequire(join(tree, 'package.json'))('mysql2/promise');
  const conn = await mysql.createConnection(url);
  const [rows] = await conn.query('SHOW TABLES');
  await conn.query('SET FOREIGN_KEY_CHECKS = 0');
  for (const row of rows) await conn.query(`DROP TABLE \`${Object.values(row)[0]}\``);
  await conn.query('SET FOREIGN_KEY_CHECKS = 1');
  await conn.end();
}
