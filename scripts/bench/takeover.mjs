/**
 * 8. Takeover (issue 12), with default settings (WXCOZE_LEASE_MS 3 min, WXCOZE_TAKEOVER_MS 10 s):
 *   a. two instances on MariaDB + Redis; the one holding `customers` messages mid-Coze is
 *      SIGKILLed: time from the kill until every held message is answered (target ≤ 30 s);
 *   b. one instance on MySQL alone, SIGKILLed mid-Coze and restarted on the same port (so the same
 *      default instance id): time from "listening" until every message is answered (target ≤ 10 s).
 * Coze answers the re-asked messages after `cozeDelayMs` (included in the times); before the kill it
 * is slow enough (30 s) that every message is still mid-Coze when the holder dies.
 */
import { createServer } from 'node:net';
import { freshDatabase } from './phases-extra.mjs';
import { serverEnv } from './phases.mjs';
import { sleep, startFakesProcess, startWxcoze, stopChild } from './lib.mjs';

const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
const REDIS = process.env.WXCOZE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
const TEXT = '好的，已为您记录。';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function until(what, check, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`takeover bench: timed out waiting for ${what}`);
    await sleep(20);
  }
}

const killed = (child) =>
  new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });

/** Sends the burst, waits until every message is mid-Coze on `holder`'s side. */
async function holdMidCoze(fakes, prefix, customers) {
  await fakes.rpc('resetCounters');
  await fakes.rpc('setCoze', { text: TEXT, delayMs: 30_000 });
  await fakes.rpc('burst', { prefix, count: customers, concurrency: customers });
  await until('every message to reach Coze', async () => (await fakes.rpc('chatCount')) >= customers, 60_000);
}

/** Waits for every customer's answer; returns when (Date.now()) and, after a settle, the once/twice counts. */
async function answered(fakes, prefix, customers, timeoutMs) {
  const first = await fakes.rpc('waitAnswered', { prefix, count: customers, timeoutMs, settleMs: 0 });
  const at = Date.now();
  await sleep(1500);
  const after = await fakes.rpc('waitAnswered', { prefix, count: customers, timeoutMs: 0, settleMs: 0 });
  return { at, answered: first.answered, once: after.once, more: after.more, none: after.none };
}

export async function benchTakeover(cfg, round) {
  const out = { round, customers: cfg.customers, cozeDelayMs: cfg.cozeDelayMs };
  let db;
  try {
    db = await freshDatabase();
  } catch (err) {
    log(`takeover: skipped, MariaDB not reachable (${err.message})`);
    return { skipped: String(err.message) };
  }
  // a. two instances, MariaDB + Redis
  const fakes = await startFakesProcess();
  const servers = [];
  try {
    const env = {
      WXCOZE_DATABASE_URL: db.url,
      WXCOZE_REDIS_URL: REDIS,
      WXCOZE_REDIS_PREFIX: `wxcoze-bench-takeover:${round}:`,
    };
    const a = await startWxcoze(serverEnv(fakes, env));
    servers.push(a);
    await fakes.rpc('setCallbackUrl', { url: `${a.url}/wechat/hook` });
    await holdMidCoze(fakes, `k${round}`, cfg.customers);
    const b = await startWxcoze(serverEnv(fakes, env));
    servers.push(b);
    await fakes.rpc('setCallbackUrl', { url: `${b.url}/wechat/hook` });
    await fakes.rpc('setCoze', { text: TEXT, delayMs: cfg.cozeDelayMs });
    const t0 = Date.now();
    await killed(a.child);
    const r = await answered(fakes, `k${round}`, cfg.customers, cfg.timeoutMs);
    out.twoInstances = { ...r, killToAllAnsweredMs: r.at - t0 };
    delete out.twoInstances.at;
    log(
      `takeover a (round ${round}): ${r.answered}/${cfg.customers} answered ${out.twoInstances.killToAllAnsweredMs} ms after the SIGKILL; once ${r.once}, twice ${r.more}`,
    );
  } finally {
    for (const s of servers.splice(0)) await stopChild(s.child);
    await fakes.stop();
    await db.drop().catch(() => {});
  }

  // b. one instance, MySQL alone, restarted on the same port
  const db2 = await freshDatabase();
  const fakes2 = await startFakesProcess();
  try {
    const env = serverEnv(fakes2, { WXCOZE_DATABASE_URL: db2.url, PORT: String(await freePort()) });
    const first = await startWxcoze(env);
    servers.push(first);
    await fakes2.rpc('setCallbackUrl', { url: `${first.url}/wechat/hook` });
    await holdMidCoze(fakes2, `r${round}`, cfg.customers);
    const tKill = Date.now();
    await killed(first.child);
    await fakes2.rpc('setCoze', { text: TEXT, delayMs: cfg.cozeDelayMs });
    const second = await startWxcoze(env);
    servers.push(second);
    const tUp = Date.now();
    const r = await answered(fakes2, `r${round}`, cfg.customers, cfg.timeoutMs);
    out.restart = { ...r, upToAllAnsweredMs: r.at - tUp, killToAllAnsweredMs: r.at - tKill };
    delete out.restart.at;
    log(
      `takeover b (round ${round}): ${r.answered}/${cfg.customers} answered ${out.restart.upToAllAnsweredMs} ms after the restart was listening (${out.restart.killToAllAnsweredMs} ms after the kill); once ${r.once}, twice ${r.more}`,
    );
  } finally {
    for (const s of servers.splice(0)) await stopChild(s.child);
    await fakes2.stop();
    await db2.drop().catch(() => {});
  }
  return out;
}
