#!/usr/bin/env node
/**
 * The console's speed (issue #13), not a timed test: with 100,000 messages from 10,000 customers
 * in the store (scripts/bench/console-seed.mjs, through the store's own commitPage), on SQLite and
 * on MariaDB, the p50/p95 of the console's JSON answers over HTTP with a logged-in session:
 * the charts (24 h, 7 d, 30 d), the conversation list and a thread (when their routes exist:
 * the conversations part of the console), and the time for a new customer message to show in
 * an open console (its event stream). Runs the built dist/ in this process with the fakes.
 *
 *   npm run build && node scripts/bench/console.mjs
 *   BENCH_CONSOLE_MESSAGES=10000 BENCH_CONSOLE_ENGINES=sqlite node scripts/bench/console.mjs   (smoke)
 *
 * MariaDB: BENCH_MYSQL_URL (default WXCOZE_TEST_MYSQL_URL, else mysql://root@127.0.0.1:3306/wxcoze_test);
 * a database of its own is created and dropped. Results: bench/console-results.json and the
 * "Console" section of bench/RESULTS.md (replaced in place; `npm run bench` rewrites that file, so
 * run this after it).
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { seedConsole } from './console-seed.mjs';
import { consoleLogin as login } from './console-session.mjs';
import { freshDatabase } from './phases-extra.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
const dist = (p) => import(join(ROOT, 'dist', p));
if (!existsSync(join(ROOT, 'dist/server/start-server.js'))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(1);
}
const { SqlStore } = await dist('store/sql/sql-store.js');
const { startServer } = await dist('server/start-server.js');
const { loadConfig } = await dist('config/load.js');
const { createLogger } = await dist('log/logger.js');
const { startFakeWecom } = await dist('fakes/wecom/index.js');
const { startFakeCoze } = await dist('fakes/coze/index.js');
const { hashPassword } = await dist('console/auth/password.js');

const MESSAGES = Number(process.env.BENCH_CONSOLE_MESSAGES ?? 100_000);
const CUSTOMERS = Number(process.env.BENCH_CONSOLE_CUSTOMERS ?? Math.max(1, Math.round(MESSAGES / 10)));
const ENGINES = (process.env.BENCH_CONSOLE_ENGINES ?? 'sqlite,mysql').split(',');
const RUNS = Number(process.env.BENCH_CONSOLE_RUNS ?? 40);
const MYSQL_URL =
  process.env.BENCH_MYSQL_URL ??
  process.env.WXCOZE_TEST_MYSQL_URL ??
  'mysql://root@127.0.0.1:3306/wxcoze_test';

const CORP = 'ww1436e0e65a779aee';
const SECRET = 'bench-kf-secret-0123456789';
const TOKEN = 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo';
const AES = '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt';
const KFS = ['wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q', 'wkAJ2GCAAASSm4_SecondAccount00000'];

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function timeGets(url, cookie, path) {
  const first = await fetch(url + path, { headers: { cookie, accept: 'application/json' } });
  if (first.status === 404) return { path, available: false };
  if (!first.ok) throw new Error(`${path}: HTTP ${first.status}`);
  const body = await first.json();
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await fetch(url + path, { headers: { cookie, accept: 'application/json' } });
    await r.arrayBuffer();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { path, available: true, p50: pct(times, 50), p95: pct(times, 95), max: times.at(-1), body };
}

/** A new customer message until the open console's event stream announces it (ms), or null without one. */
async function liveDelay(url, base, cookie, wecom) {
  const ac = new AbortController();
  const res = await fetch(`${url}${base}/api/events`, {
    headers: { cookie, accept: 'text/event-stream' },
    signal: ac.signal,
  }).catch(() => null);
  if (!res || !res.ok || !String(res.headers.get('content-type')).includes('event-stream')) {
    ac.abort();
    return null;
  }
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  const delays = [];
  // A message never shown fails the figure after LIVE_LIMIT_MS instead of hanging the bench.
  const LIVE_LIMIT_MS = 30_000;
  let missed;
  for (let i = 0; i < 10 && !missed; i++) {
    const user = `wmLive${i}`;
    const t0 = performance.now();
    await wecom.customerSends(KFS[0], user, { text: '在吗' });
    let buf = '';
    const deadline = setTimeout(() => ac.abort(), LIVE_LIMIT_MS);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        if (buf.includes(user)) break;
      }
    } catch {
      // aborted at the deadline
    } finally {
      clearTimeout(deadline);
    }
    if (!buf.includes(user)) missed = `${user}'s message was not shown within ${LIVE_LIMIT_MS / 1000} s`;
    else delays.push(performance.now() - t0);
  }
  ac.abort();
  if (missed) return { missed };
  delays.sort((a, b) => a - b);
  return { p50: pct(delays, 50), max: delays.at(-1), n: delays.length };
}

async function runEngine(engine) {
  const dataDir = mkdtempSync(join(tmpdir(), 'wxcoze-bench-console-'));
  const db = engine === 'mysql' ? await freshDatabase(MYSQL_URL) : null;
  try {
    const store = db ? await SqlStore.mysql(db.url) : SqlStore.sqlite(join(dataDir, 'wxcoze.db'));
    await store.migrate();
    const t0 = performance.now();
    await seedConsole(store, { messages: MESSAGES, customers: CUSTOMERS, accounts: KFS });
    const seedS = (performance.now() - t0) / 1000;
    await store.consoleAccess.setOperator('bench', await hashPassword('bench-password-1'), Date.now());
    await store.close();

    const wecom = await startFakeWecom({
      corpId: CORP,
      secret: SECRET,
      callbackToken: TOKEN,
      encodingAesKey: AES,
      allowSyncWithoutToken: true,
    });
    const coze = await startFakeCoze({ token: 'pat_bench', botIds: ['7379462189365198898'] });
    for (const kf of KFS) wecom.addAccount(kf, 'bench');
    const { config, problems } = loadConfig({
      env: {
        WECOM_CORP_ID: CORP,
        WECOM_SECRET: SECRET,
        WECOM_TOKEN: TOKEN,
        WECOM_ENCODING_AES_KEY: AES,
        WECOM_API_BASE: wecom.url,
        COZE_API_TOKEN: 'pat_bench',
        COZE_BOT_ID: '7379462189365198898',
        COZE_API_BASE: coze.url,
        WXCOZE_DATA_DIR: dataDir,
        WXCOZE_HOST: '127.0.0.1',
        PORT: '0',
        WXCOZE_LOG_LEVEL: 'warn',
        ...(db ? { WXCOZE_DATABASE_URL: db.url } : {}),
      },
      cwd: dataDir,
    });
    if (problems.length) throw new Error(JSON.stringify(problems));
    const server = await startServer(config, createLogger({ level: 'warn' }));
    wecom.setCallbackUrl(`${server.url}/wechat/hook`);
    try {
      const base = config.console.path;
      const cookie = await login(server.url, base, 'bench', 'bench-password-1');
      const out = { engine, messages: MESSAGES, customers: CUSTOMERS, seedS, results: [] };
      for (const range of ['24h', '7d', '30d']) {
        // The first answer after a start reads the whole range; later ones only the unsettled buckets.
        const cold = await timeGets(
          server.url,
          cookie,
          `${base}/api/charts?range=${range}&openKfId=${KFS[1]}`,
        );
        const r = await timeGets(server.url, cookie, `${base}/api/charts?range=${range}`);
        out.results.push({ what: `charts ${range}`, p50: r.p50, p95: r.p95, max: r.max, coldMs: cold.p50 });
      }
      const list = await timeGets(server.url, cookie, `${base}/api/conversations`);
      out.results.push(
        list.available
          ? { what: 'conversation list', p50: list.p50, p95: list.p95, max: list.max }
          : { what: 'conversation list', na: 'no /api/conversations route in this build' },
      );
      const first = list.available ? (list.body?.conversations ?? list.body?.items ?? [])[0] : undefined;
      if (first) {
        const th = await timeGets(
          server.url,
          cookie,
          `${base}/api/thread?kf=${encodeURIComponent(first.openKfId)}&user=${encodeURIComponent(first.externalUserId)}`,
        );
        out.results.push(
          th.available
            ? { what: 'thread', p50: th.p50, p95: th.p95, max: th.max }
            : { what: 'thread', na: 'no /api/thread route in this build' },
        );
      } else out.results.push({ what: 'thread', na: 'no conversation list to pick a thread from' });
      const live = await liveDelay(server.url, base, cookie, wecom);
      out.results.push(
        !live
          ? { what: 'new message shown (event stream)', na: 'no /api/events stream in this build' }
          : live.missed
            ? { what: 'new message shown (event stream)', p50: null, max: null, failed: live.missed }
            : { what: 'new message shown (event stream)', p50: live.p50, max: live.max },
      );
      return out;
    } finally {
      await server.stop(2000);
      await wecom.close();
      await coze.close();
    }
  } finally {
    await db?.drop();
  }
}

const all = [];
const load = loadavg()
  .map((x) => x.toFixed(2))
  .join(' / ');
for (const e of ENGINES) {
  console.error(`console bench: ${e}, ${MESSAGES} messages from ${CUSTOMERS} customers…`);
  all.push(await runEngine(e));
}
const fmt = (ms) => (ms === undefined ? '—' : `${ms.toFixed(1)} ms`);
const target = (what) => (what.startsWith('new message') ? '< 2 s' : '< 200 ms p95');
const pass = (r) =>
  r.na
    ? 'n/a'
    : r.what.startsWith('new message')
      ? r.max < 2000
        ? 'pass'
        : '**FAIL**'
      : r.p95 < 200
        ? 'pass'
        : '**FAIL**';
const lines = [
  '<!-- console:begin -->',
  '## Console (issue #13)',
  '',
  `Produced by \`node scripts/bench/console.mjs\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; load average ${load} at start.`,
  `${MESSAGES} messages from ${CUSTOMERS} customers over 30 days in the store (scripts/bench/console-seed.mjs); ${RUNS} requests per figure over HTTP with a logged-in session, one at a time.`,
  'Charts: "cold" is the first answer after a start (it reads the whole range; later answers read only the buckets that ended less than an hour ago, the older ones are kept 10 minutes).',
  '',
  '| engine | what | target | p50 | p95 | max | cold | pass/fail |',
  '|---|---|---|---|---|---|---|---|',
  ...all.flatMap((o) =>
    o.results.map((r) =>
      r.na
        ? `| ${o.engine} | ${r.what} | ${target(r.what)} | — | — | — | — | n/a: ${r.na} |`
        : r.failed
          ? `| ${o.engine} | ${r.what} | ${target(r.what)} | — | — | — | — | **FAIL**: ${r.failed} |`
          : `| ${o.engine} | ${r.what} | ${target(r.what)} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.max)} | ${fmt(r.coldMs)} | ${pass(r)} |`,
    ),
  ),
  '',
  ...all.map((o) => `Seeding ${o.engine}: ${o.seedS.toFixed(1)} s.`),
  '<!-- console:end -->',
];
writeFileSync(join(ROOT, 'bench/console-results.json'), `${JSON.stringify(all, null, 2)}\n`);
const resultsFile = join(ROOT, 'bench/RESULTS.md');
const old = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '';
const section = lines.join('\n');
const next = /<!-- console:begin -->[\s\S]*<!-- console:end -->/.test(old)
  ? old.replace(/<!-- console:begin -->[\s\S]*<!-- console:end -->/, section)
  : `${old.trimEnd()}\n\n${section}\n`;
writeFileSync(resultsFile, next);
console.log(section);
process.exit(0);
