#!/usr/bin/env node
/**
 * Benchmark helper process: the project's fake WeCom and fake Coze (from dist/), started in a
 * process of their own so their CPU is not the benchmark driver's. Prints one JSON line with
 * their URLs on stdout, then answers commands over the IPC channel (started with fork()):
 *   { id, cmd, args } → { id, ok: true, result } | { id, ok: false, error }
 * Exits when the parent disconnects.
 *
 * `fakes-process.mjs wecom` or `… coze` runs one of the two (lib.mjs `startFakes({ split: true })`
 * starts both that way): the process that sends WeCom's callbacks and times their acks then never
 * waits for fake Coze's 1,000 streams, as real WeCom never waits for Coze.
 *
 * It also times every HTTP request the two fakes serve (request received → response finished),
 * so the bench can subtract "time spent inside Coze / WeCom" from end-to-end latencies.
 */
import http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate as setImmediateP } from 'node:timers/promises';
import { BENCH } from './constants.mjs';

const role = process.argv[2] ?? 'both';
const runs = (side) => role === 'both' || role === side;

// Capture the http.Server each fake creates (fastify calls http.createServer) to time requests.
const created = [];
const origCreateServer = http.createServer;
http.createServer = function patchedCreateServer(...args) {
  const s = origCreateServer.apply(this, args);
  created.push(s);
  return s;
};
const { startFakeWecom } = await import('../../dist/fakes/wecom/index.js');
const { startFakeCoze } = await import('../../dist/fakes/coze/index.js');

const wecom = runs('wecom')
  ? await startFakeWecom({
      corpId: BENCH.corpId,
      secret: BENCH.secret,
      callbackToken: BENCH.token,
      encodingAesKey: BENCH.aesKey,
      allowSyncWithoutToken: true,
    })
  : null;
const wecomServers = created.splice(0);
const coze = runs('coze') ? await startFakeCoze({ token: BENCH.cozeToken, botIds: [BENCH.botId] }) : null;
const cozeServers = created.splice(0);
http.createServer = origCreateServer;
wecom?.addAccount(BENCH.kf, 'bench');

/** Server-side timings: { side, path, start, end } in performance.now() ms. Only kept while `timing` is on. */
let timing = false;
const timings = [];
/** Requests served per `side:path`, always counted (cheap). */
const requestCounts = new Map();
function timeRequests(servers, side) {
  for (const s of servers) {
    s.prependListener('request', (req, res) => {
      const path = String(req.url).split('?')[0];
      const key = `${side}:${path}`;
      requestCounts.set(key, (requestCounts.get(key) ?? 0) + 1);
      if (!timing) return;
      const start = performance.now();
      res.once('close', () => timings.push({ side, path, start, end: performance.now() }));
    });
  }
}
timeRequests(wecomServers, 'wecom');
timeRequests(cozeServers, 'coze');

// Every reply the fake records, with a precise timestamp, and waiters for "customer X got a reply".
const replyWaiters = new Map(); // touser → resolve
const firstReplyAt = new Map(); // touser → performance.now() of the first reply
const replyCount = new Map(); // touser → number of send_msg records
const sentArr = wecom?.sent ?? [];
const origPush = sentArr.push;
sentArr.push = function pushAndNotify(...items) {
  const r = origPush.apply(this, items);
  const t = performance.now();
  for (const s of items) {
    replyCount.set(s.touser, (replyCount.get(s.touser) ?? 0) + 1);
    if (!firstReplyAt.has(s.touser)) firstReplyAt.set(s.touser, t);
    const w = replyWaiters.get(s.touser);
    if (w) {
      replyWaiters.delete(s.touser);
      w(t);
    }
  }
  return r;
};
// Nothing else needs the fake's own arrays; dropping old entries keeps this process small.
const trimFakeLogs = () => {
  if (wecom) wecom.calls.length = 0;
  if (coze) coze.chats.length = 0;
};

let burstStartedAt = 0;
const customerId = (prefix, i) => `wm${prefix}_${String(i).padStart(6, '0')}`.padEnd(32, 'x');

/** Runs `fn(i)` for i < n with at most `limit` in flight. */
async function pool(n, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

/** The chats fake Coze received since `since` (epoch ms), as ms after it, and its concurrency figures. */
function chatStats(since) {
  const chatAts = coze.chats
    .filter((c) => c.at >= since)
    .map((c) => c.at - since)
    .sort((a, b) => a - b);
  return {
    runningChats: coze.runningChats(),
    throttledChats: coze.throttledChats,
    maxConcurrentChats: coze.maxConcurrentSeen,
    chats: chatAts.length,
    firstChatMs: chatAts[0] ?? null,
    medianChatMs: chatAts[chatAts.length >> 1] ?? null,
    lastChatMs: chatAts.at(-1) ?? null,
  };
}

const commands = {
  urls: () => ({ wecom: wecom?.url, coze: coze?.url }),
  setCallbackUrl: ({ url }) => {
    wecom.setCallbackUrl(url);
  },
  /** Callback Tokens the fake will accept in sync_msg (the bench builds its own callbacks with them). */
  issueTokens: ({ n }) => Array.from({ length: n }, () => wecom.issueSyncToken(BENCH.kf)),
  setCoze: ({ text, delayMs }) => {
    coze.setResponder(() => ({ text, delayMs }));
  },
  /** Chats the fake Coze has received so far (since the last resetCounters). */
  chatCount: () => coze.chats.length,
  /** Coze refusing chats for load (src/fakes/coze ThrottleRule), or null to stop. */
  setThrottle: ({ rule }) => {
    coze.setThrottle(rule ?? null);
  },
  resetCounters: () => {
    replyCount.clear();
    firstReplyAt.clear();
    timings.length = 0;
    trimFakeLogs();
  },
  /**
   * `count` distinct customers each send one text message; each message's callback is POSTed
   * to the server (customerSends), at most `concurrency` callbacks in flight.
   */
  burst: async ({ prefix, count, concurrency = count, text = '你好，请问营业时间？' }) => {
    const t0 = performance.now();
    burstStartedAt = Date.now() - performance.now() + t0;
    // This process sends the callbacks and also serves fake Coze's streams and fake WeCom's API: an
    // ack measured here includes the time this event loop was busy before it read the answer.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    // customerSends(notify: false) + deliverCallback is exactly what customerSends does by itself,
    // but gives us each callback's attempts (WeCom retries after 5 s or a non-200) and its ack time.
    const acks = [];
    let retried = 0,
      failed = 0;
    await pool(count, concurrency, async (i) => {
      // One customer per macrotask: the 1,000 first callbacks then leave as each is made, not all
      // after 1,000 encryptions in one turn of this loop (which timed ~0.5 s of the sender's own
      // work into every ack of the first wave). They still all leave within the first second or two.
      await setImmediateP();
      await wecom.customerSends(
        BENCH.kf,
        customerId(prefix, i),
        { text: `${text} #${i}` },
        { notify: false },
      );
      // Signed and encrypted first; the ack is timed from the moment the request is sent.
      const callback = wecom.prepareCallback(BENCH.kf);
      const ta = performance.now();
      const statuses = await callback.send();
      acks.push(performance.now() - ta);
      if (statuses.length > 1) retried++;
      if (statuses.at(-1) !== 200) failed++;
    });
    const t1 = performance.now();
    lag.disable();
    acks.sort((a, b) => a - b);
    const pct = (p) => acks[Math.min(acks.length - 1, Math.ceil((p / 100) * acks.length) - 1)];
    return {
      t0,
      t1,
      retried,
      failed,
      ackP50Ms: pct(50),
      ackP99Ms: pct(99),
      ackMaxMs: acks.at(-1),
      senderLagP99Ms: lag.percentile(99) / 1e6,
      senderLagMaxMs: lag.max / 1e6,
    };
  },
  /** Waits until `count` customers of `prefix` have at least one reply; then `settleMs` more for late duplicates. */
  waitAnswered: async ({ prefix, count, timeoutMs, settleMs = 1000 }) => {
    const deadline = performance.now() + timeoutMs;
    const answered = () => {
      let n = 0;
      for (let i = 0; i < count; i++) if (replyCount.get(customerId(prefix, i))) n++;
      return n;
    };
    let n = answered();
    while (n < count && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      n = answered();
    }
    const allAt = performance.now();
    if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
    const times = [];
    let once = 0,
      more = 0,
      none = 0;
    for (let i = 0; i < count; i++) {
      const id = customerId(prefix, i);
      const c = replyCount.get(id) ?? 0;
      if (c === 0) none++;
      else if (c === 1) once++;
      else more++;
      if (firstReplyAt.has(id)) times.push(firstReplyAt.get(id));
    }
    times.sort((a, b) => a - b);
    return {
      answered: n,
      allAt,
      once,
      more,
      none,
      firstReplyTimes: times,
      burstStartedAt,
      ...(coze ? chatStats(burstStartedAt) : {}),
    };
  },
  /** What the fake Coze saw since `since` (epoch ms): the Coze side of waitAnswered. */
  chatStats: ({ since }) => chatStats(since),
  /**
   * Low-load latency: `count` messages one after another from `customers` customers (round robin).
   * For each: t0 = customerSends resolved (callback acknowledged), t1 = the reply recorded by the
   * fake; Coze time and WeCom-API time = the fakes' own request durations inside [t0, t1].
   */
  sequential: async ({ prefix, count, customers, gapMs = 30 }) => {
    const rows = [];
    for (let i = 0; i < count; i++) {
      const who = customerId(prefix, i % customers);
      const got = new Promise((resolve) => replyWaiters.set(who, resolve));
      timings.length = 0;
      timing = true;
      const tCall = performance.now();
      await wecom.customerSends(BENCH.kf, who, { text: `第 ${i} 个问题` });
      const t0 = performance.now();
      const timer = new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no reply to message ${i} within 10 s`)), 10_000).unref(),
      );
      const t1 = await Promise.race([got, timer]);
      // Let the server finish its bookkeeping (and the fake its response) before the next message.
      await new Promise((r) => setTimeout(r, gapMs));
      timing = false;
      // Time inside each fake, clipped to [t0, t1] (a pull may start before the ack reaches us).
      const mine = timings.filter((x) => x.start >= tCall && x.start <= t1);
      const inside = (side) =>
        mine
          .filter((x) => x.side === side)
          .reduce((n, x) => n + Math.max(0, Math.min(x.end, t1) - Math.max(x.start, t0)), 0);
      const paths = mine.map((x) => `${x.side}:${x.path}`);
      rows.push({
        i,
        firstOfCustomer: i < customers,
        ackMs: t0 - tCall,
        e2eMs: t1 - t0,
        fromCallbackMs: t1 - tCall,
        cozeMs: inside('coze'),
        wecomApiMs: inside('wecom'),
        paths,
      });
    }
    return rows;
  },
  memory: () => process.memoryUsage(),
  requestCounts: () => Object.fromEntries(requestCounts),
};

process.on('message', async (m) => {
  if (!m || typeof m !== 'object' || !m.cmd) return;
  try {
    const fn = commands[m.cmd];
    if (!fn) throw new Error(`unknown command ${m.cmd}`);
    const result = await fn(m.args ?? {});
    process.send({ id: m.id, ok: true, result });
  } catch (err) {
    process.send({ id: m.id, ok: false, error: String(err?.stack ?? err) });
  }
});
process.on('disconnect', () => process.exit(0));
process.stdout.write(JSON.stringify({ wecom: wecom?.url, coze: coze?.url, pid: process.pid }) + '\n');
