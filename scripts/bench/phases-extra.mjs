/**
 * Two more measurements beside the embedded ones:
 *   5. the same callback path and end-to-end throughput on MariaDB + Redis (issue: at least half
 *      the embedded throughput);
 *   6. the OpenAI-compatible API's streaming overhead: time to first chunk through wxcoze minus
 *      straight from the (fake) Coze server.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { BENCH } from './constants.mjs';
import { buildCallbacks, closedLoop, probe } from './load.mjs';
import { measureOpenAiTtfb } from './openai-ttfb.mjs';
import { benchThroughput, withSystem } from './phases.mjs';

const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
const MYSQL = process.env.WXCOZE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/wxcoze_test';
const REDIS = process.env.WXCOZE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';

/** A new, empty database on the MariaDB at `base` (its URL with the new name) and how to drop it. */
/** A connection to the MariaDB at `base`, no database chosen (to create, drop, read status). */
function adminConnection(base = MYSQL) {
  const u = new URL(base);
  return mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  });
}

/** The server's store settings for a database at `url` and the bench's Redis (a prefix of its own). */
function storeEnv(url) {
  return {
    WXCOZE_DATABASE_URL: url,
    WXCOZE_REDIS_URL: REDIS,
    WXCOZE_REDIS_PREFIX: `wxcoze-bench:${randomBytes(3).toString('hex')}:`,
  };
}

export async function freshDatabase(base = MYSQL) {
  const u = new URL(base);
  const name = `wxcoze_bench_${randomBytes(4).toString('hex')}`;
  const conn = () => adminConnection(base);
  const admin = await conn();
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = await conn();
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/** MariaDB's own counters (global): what the server under test asked of the database. */
const STATUS = [
  'Com_select',
  'Com_insert',
  'Com_insert_select',
  'Com_update',
  'Com_delete',
  'Com_begin',
  'Com_commit',
  'Questions',
  'Innodb_os_log_fsyncs',
];
async function mysqlStatus(base = MYSQL) {
  const c = await adminConnection(base);
  try {
    const [rows] = await c.query('SHOW GLOBAL STATUS');
    const all = Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
    return Object.fromEntries(STATUS.map((k) => [k, all[k] ?? 0]));
  } finally {
    await c.end();
  }
}

/** Statements (and log flushes) per message answered, from MariaDB's counters around a run. */
function perMessage(before, after, messages) {
  return Object.fromEntries(STATUS.map((k) => [k, +((after[k] - before[k]) / messages).toFixed(2)]));
}

/**
 * One MariaDB + Redis throughput round, on a fresh database (each run has its own fake WeCom, whose
 * cursors the last one's data would not know). bench.mjs runs it right after each embedded
 * throughput round, so the ratio compares two runs that met the same load on the box.
 */
export async function benchMysqlThroughput(cfg, round) {
  let tdb;
  try {
    tdb = await freshDatabase();
  } catch (err) {
    log(`mysql+redis throughput: skipped, MariaDB not reachable at ${MYSQL} (${err.message})`);
    return { skipped: String(err.message) };
  }
  const env = storeEnv(tdb.url);
  try {
    const before = await mysqlStatus();
    const res = await benchThroughput({ ...cfg.throughput, extraEnv: env }, `m${round}`);
    res.perMessage = perMessage(before, await mysqlStatus(), cfg.throughput.messages);
    log(`mysql+redis throughput m${round}: per message ${JSON.stringify(res.perMessage)}`);
    return res;
  } finally {
    await tdb.drop().catch(() => {});
  }
}

export async function benchMysqlRedis(cfg) {
  let db;
  try {
    db = await freshDatabase();
  } catch (err) {
    log(`mysql+redis: skipped, MariaDB not reachable at ${MYSQL} (${err.message})`);
    return { skipped: String(err.message) };
  }
  const env = storeEnv(db.url);
  try {
    const { WecomCrypto } = await import('../../dist/wecom/crypto.js');
    const { buildSignedCallback, kfEventXml } = await import('../../dist/fakes/wecom/index.js');
    const callbacks = await withSystem(env, async ({ fakes, server }) => {
      const tokens = await fakes.rpc('issueTokens', { n: cfg.callbacks.callbacks });
      const crypto = new WecomCrypto(BENCH.token, BENCH.aesKey, BENCH.corpId);
      const reqs = buildCallbacks({
        n: cfg.callbacks.callbacks,
        tokens,
        crypto,
        corpId: BENCH.corpId,
        kf: BENCH.kf,
        buildSignedCallback,
        kfEventXml,
      });
      await probe(server.url, reqs[0]);
      const runs = [];
      let cursor = 1;
      for (let r = 0; r < cfg.callbacks.runs; r++) {
        const res = await closedLoop({
          origin: server.url,
          reqs,
          start: cursor,
          connections: cfg.callbacks.connections,
          warmMs: cfg.callbacks.warmMs,
          durMs: cfg.callbacks.durMs,
        });
        cursor = res.next;
        runs.push({ rps: res.rps, errors: res.errors, latP50Ms: res.latP50Ms });
        log(`mysql+redis callbacks run ${r + 1}: ${res.rps.toFixed(0)} rps, errors ${res.errors}`);
      }
      return { runs };
    });
    return { callbacks };
  } finally {
    await db.drop().catch(() => {});
  }
}

export async function benchOpenAi(cfg) {
  const apiKey = 'sk-bench-openai-key-0123456789';
  return withSystem({ WXCOZE_API_KEYS: apiKey }, async ({ fakes, server }) => {
    await fakes.rpc('setCoze', { text: '您好，这是流式回答的第一段，然后还有更多的内容。', delayMs: 0 });
    const res = await measureOpenAiTtfb({
      wxcozeUrl: server.url,
      apiKey,
      cozeUrl: fakes.coze,
      cozeToken: BENCH.cozeToken,
      botId: BENCH.botId,
      model: `coze-bot-${BENCH.botId}`,
      runs: cfg.runs,
    });
    log(
      `openai: time to first chunk p50 direct ${res.directMs.p50} ms, via wxcoze ${res.viaWxcozeMs.p50} ms → overhead ${res.overheadMs} ms`,
    );
    return res;
  });
}
