/**
 * The four measurements. Each phase starts its own fakes process and its own wxcoze server
 * (fresh data dir), and stops both in `finally`.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { BENCH } from './constants.mjs';
import { consoleLogin, openConsolePage } from './console-session.mjs';
import { buildCallbacks, closedLoop, openLoop, probe } from './load.mjs';
import {
  ackHistogram,
  ackP99FromHistograms,
  fakesCpuMs,
  listenOverflows,
  logProblems,
  percentile,
  procCpuMs,
  ROOT,
  rssSampler,
  startBareServer,
  startFakesProcess,
  startWxcoze,
  tempDir,
  sleep,
} from './lib.mjs';

const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

export function serverEnv(fakes, extra = {}) {
  return {
    WECOM_CORP_ID: BENCH.corpId,
    WECOM_SECRET: BENCH.secret,
    WECOM_TOKEN: BENCH.token,
    WECOM_ENCODING_AES_KEY: BENCH.aesKey,
    WECOM_API_BASE: fakes.wecom,
    COZE_API_TOKEN: BENCH.cozeToken,
    COZE_BOT_ID: BENCH.botId,
    COZE_API_BASE: fakes.coze,
    WXCOZE_DATA_DIR: tempDir('wxcoze-bench-'),
    WXCOZE_HOST: '127.0.0.1',
    PORT: '0',
    ...extra,
  };
}

/**
 * Fakes + server for one phase; `fn` gets both; both are stopped afterwards whatever happens.
 * `splitFakes`: fake WeCom and fake Coze in processes of their own (the burst phases: see lib.mjs).
 */
export async function withSystem(extraEnv, fn, { splitFakes = false } = {}) {
  const fakes = await startFakesProcess({ split: splitFakes });
  let server;
  // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it stops (open in Chrome DevTools).
  const nodeArgs = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF]
    : [];
  // `node bin/wxcoze.js start` as a user types it: foreground start applies its heap flags itself
  // (a launcher process plus the server; memory figures sum both). BENCH_NODE_ARGS gives node flags
  // of its own (e.g. the deployed heap flags, as the systemd unit passes them: one process).
  nodeArgs.push(...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean));
  try {
    const env = serverEnv(fakes, extraEnv);
    server = await startWxcoze(env, { nodeArgs });
    await fakes.rpc('setCallbackUrl', { url: `${server.url}/wechat/hook` });
    const load = loadavg()[0];
    const res = await fn({ fakes, server, env });
    // The 1-minute load average before and after: other work on the box shows up here.
    return { ...res, loadavg1: { before: +load.toFixed(2), after: +loadavg()[0].toFixed(2) } };
  } finally {
    if (server) await server.stop();
    await fakes.stop();
  }
}

// ───────────────────────────── 1. callback path ─────────────────────────────

export async function benchCallbacks(cfg) {
  const { WecomCrypto } = await import('../../dist/wecom/crypto.js');
  const { buildSignedCallback, kfEventXml } = await import('../../dist/fakes/wecom/index.js');
  const bare = await startBareServer();
  try {
    return await withSystem(cfg.extraEnv ?? {}, async ({ fakes, server, env }) => {
      const tokens = await fakes.rpc('issueTokens', { n: cfg.callbacks });
      const t = Date.now();
      const crypto = new WecomCrypto(BENCH.token, BENCH.aesKey, BENCH.corpId);
      const reqs = buildCallbacks({
        n: cfg.callbacks,
        tokens,
        crypto,
        corpId: BENCH.corpId,
        kf: BENCH.kf,
        buildSignedCallback,
        kfEventXml,
      });
      log(
        `callbacks: ${reqs.length} distinct signed callbacks built in ${Date.now() - t} ms; wxcoze ${server.url} (pid ${server.pid}), bare ${bare.url}`,
      );
      await probe(server.url, reqs[0]);
      await probe(bare.url, reqs[1]);
      let cursor = 2;
      const runs = [];
      for (let r = 0; r < cfg.closedRuns; r++) {
        for (const [name, origin, pid] of [
          ['bare', bare.url, bare.pid],
          ['wxcoze', server.url, server.pid],
        ]) {
          // CPU each process used during the run (warm-up included), to tell "slow" from "starved" on a shared box.
          const before = {
            server: procCpuMs(pid),
            fakes: fakesCpuMs(fakes),
            driver: process.cpuUsage(),
            calls: await fakes.rpc('requestCounts'),
          };
          const res = await closedLoop({
            origin,
            reqs,
            start: cursor,
            connections: cfg.connections,
            warmMs: cfg.warmMs,
            durMs: cfg.durMs,
          });
          const calls = await fakes.rpc('requestCounts');
          const drv = process.cpuUsage(before.driver);
          const cpu = {
            serverMs: procCpuMs(pid) - before.server,
            fakesMs: fakesCpuMs(fakes) - before.fakes,
            driverMs: (drv.user + drv.system) / 1000,
            wallMs: cfg.warmMs + cfg.durMs,
          };
          cpu.serverUsPerRequest = (cpu.serverMs * 1000) / res.okAll;
          const syncCalls =
            (calls['wecom:/cgi-bin/kf/sync_msg'] ?? 0) - (before.calls['wecom:/cgi-bin/kf/sync_msg'] ?? 0);
          cursor = res.next;
          runs.push({ target: name, run: r + 1, ...res, next: undefined, cpu, syncMsgCalls: syncCalls });
          log(
            `callbacks: ${name} run ${r + 1}: ${res.rps.toFixed(0)} rps, errors ${res.errors}, p50 ${res.latP50Ms.toFixed(2)} ms; CPU s server ${(cpu.serverMs / 1000).toFixed(1)} (${cpu.serverUsPerRequest.toFixed(0)} µs/req), fakes ${(cpu.fakesMs / 1000).toFixed(1)}, driver ${(cpu.driverMs / 1000).toFixed(1)} of ${(cpu.wallMs / 1000).toFixed(0)} s wall; sync_msg calls ${syncCalls}`,
          );
        }
      }
      const floor = await measureFloor(reqs);
      log(
        `callbacks: parse + crypto floor in this process: ${floor.usPerCallback.toFixed(1)} µs per callback (runs ${floor.runs.map((x) => x.toFixed(1)).join(', ')})`,
      );
      // Open loop, alternating without and with an operator console open (issue #13: the ack p99
      // stays within noise of the figure without one): its event stream and the list every 2 s.
      const cookie = await consoleSession(server.url, env);
      const open = [];
      const openWithConsole = [];
      for (let r = 0; r < cfg.openRuns * 2; r++) {
        const withConsole = r % 2 === 1;
        const page = withConsole ? await openConsolePage(server.url, CONSOLE_BASE, cookie) : null;
        const res = await openLoop({
          origin: server.url,
          reqs,
          start: cursor,
          rate: cfg.openRate,
          durMs: cfg.durMs,
          warmMs: 1000,
          connections: cfg.connections,
        });
        const consoleStats = page?.stats();
        await page?.close();
        cursor = res.next;
        (withConsole ? openWithConsole : open).push({
          run: Math.floor(r / 2) + 1,
          ...res,
          next: undefined,
          consoleStats,
        });
        log(
          `callbacks: open loop ${cfg.openRate}/s${withConsole ? ` with the console open (${consoleStats.listsRead} list reads, ${consoleStats.eventBytes} event bytes)` : ''} run ${Math.floor(r / 2) + 1}: p50 ${res.p50Ms.toFixed(2)} ms, p99 ${res.p99Ms.toFixed(2)} ms, max ${res.maxMs.toFixed(1)} ms, errors ${res.errors}, achieved ${res.achievedRps.toFixed(0)}/s`,
        );
      }
      await sleep(300);
      const problems = logProblems(server.outFile);
      return {
        runs,
        open,
        openWithConsole,
        floor,
        callbacksBuilt: reqs.length,
        requestsSent: cursor,
        distinctPerRun: reqs.length,
        serverLogProblems: problems,
      };
    });
  } finally {
    await bare.stop();
  }
}

/**
 * What the route cannot avoid for one callback, timed in this process on the same pre-built callbacks:
 * parseEnvelope + WecomCrypto.open (signature, AES) + parseEvent from dist/. 5 runs of 5,000 after a
 * warm-up, in CPU time of this process; the median counts. The server's CPU per callback minus this is HTTP, fastify and the rest.
 */
async function measureFloor(reqs) {
  const { WecomCrypto } = await import('../../dist/wecom/crypto.js');
  const { parseEnvelope, parseEvent } = await import('../../dist/wecom/callback.js');
  const crypto = new WecomCrypto(BENCH.token, BENCH.aesKey, BENCH.corpId);
  const items = reqs
    .slice(0, 2000)
    .map((r) => ({ q: new URLSearchParams(r.path.split('?')[1]), body: r.body }));
  const one = ({ q, body }) =>
    parseEvent(
      crypto.open(q.get('msg_signature'), q.get('timestamp'), q.get('nonce'), parseEnvelope(body).encrypt),
    );
  if (one(items[0]).kind !== 'kf_msg_or_event')
    throw new Error('floor: the pre-built callback does not parse');
  for (let i = 0; i < 5000; i++) one(items[i % items.length]);
  const runs = [];
  for (let r = 0; r < 5; r++) {
    // CPU time, not wall time: on a shared box the wall clock also counts the time others held the core.
    const t = process.cpuUsage();
    for (let i = 0; i < 5000; i++) one(items[i % items.length]);
    const used = process.cpuUsage(t);
    runs.push((used.user + used.system) / 5000);
  }
  return { usPerCallback: [...runs].sort((a, b) => a - b)[2], runs };
}

const CONSOLE_BASE = '/admin';

/** An operator for the server under test (`wxcoze admin password`, as an owner sets one), logged in. */
async function consoleSession(url, env) {
  const password = 'bench-console-password-1';
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'bin/wxcoze.js'), 'admin', 'password', '--password-stdin'],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      cwd: env.WXCOZE_DATA_DIR,
      input: `${password}\n`,
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`wxcoze admin password failed: ${r.stdout}${r.stderr}`);
  return consoleLogin(url, CONSOLE_BASE, 'admin', password);
}

// ───────────────────────────── 2. 1,000 customers, Coze 5 s ─────────────────────────────

/**
 * A burst of `count` customers' callbacks (at most `concurrency` in flight) and the wait until each
 * is answered: the fakes' burst result and answer counts, the CPU both sides used, and the acks
 * as the sender timed them, beside what the server itself saw, how late the sender's own event loop
 * ran, and the connections the kernel dropped for a full accept queue (any listener on the box).
 */
async function burstUntilAnswered(fakes, server, { prefix, count, concurrency, timeoutMs, settleMs }) {
  const cpu0 = { server: procCpuMs(server.pid), fakes: fakesCpuMs(fakes) };
  const overflows0 = listenOverflows();
  const serverAck0 = await ackHistogram(server.url);
  const burst = await fakes.rpc('burst', { prefix, count, concurrency });
  const done = await fakes.rpc('waitAnswered', { prefix, count, timeoutMs, settleMs });
  const cpu = {
    serverS: (procCpuMs(server.pid) - cpu0.server) / 1000,
    fakesS: (fakesCpuMs(fakes) - cpu0.fakes) / 1000,
  };
  const callbackAck = {
    p50Ms: burst.ackP50Ms,
    p99Ms: burst.ackP99Ms,
    maxMs: burst.ackMaxMs,
    retriedByWecom: burst.retried,
    failed: burst.failed,
    serverP99Ms: ackP99FromHistograms(serverAck0, await ackHistogram(server.url)),
    senderLagP99Ms: burst.senderLagP99Ms,
    senderLagMaxMs: burst.senderLagMaxMs,
    listenOverflows: overflows0 === null ? null : listenOverflows() - overflows0,
  };
  return { burst, done, cpu, callbackAck };
}

export async function benchSlowCoze(cfg, round) {
  // Default settings: no WXCOZE_CONCURRENCY, no node flags (issue 12).
  return withSystem(
    { ...(cfg.extraEnv ?? {}) },
    async ({ fakes, server }) => {
      await fakes.rpc('setCoze', {
        text: '您好！我们每天 9:00–21:00 营业，节假日照常。',
        delayMs: cfg.cozeDelayMs,
      });
      await sleep(300);
      const baseMB = rssSampler(server.pids).stop().lastMB;
      const sampler = rssSampler(server.pids, 100);
      const prefix = `s${round}`;
      const { burst, done, cpu, callbackAck } = await burstUntilAnswered(fakes, server, {
        prefix,
        count: cfg.customers,
        concurrency: cfg.customers,
        timeoutMs: cfg.timeoutMs,
        settleMs: 1500,
      });
      const rss = sampler.stop();
      const times = done.firstReplyTimes;
      const res = {
        round,
        customers: cfg.customers,
        cozeDelayMs: cfg.cozeDelayMs,
        callbacksAckedMs: burst.t1 - burst.t0,
        callbackAck,
        answered: done.answered,
        exactlyOnce: done.once,
        duplicated: done.more,
        unanswered: done.none,
        timeToAllAnsweredMs: times.length ? times.at(-1) - burst.t0 : null,
        firstAnswerMs: times.length ? times[0] - burst.t0 : null,
        maxConcurrentCozeChats: done.maxConcurrentChats,
        cozeChatsStartedMs: { first: done.firstChatMs, median: done.medianChatMs, last: done.lastChatMs },
        cpuSeconds: cpu,
        rssBaselineMB: baseMB,
        ...rss,
        serverLogProblems: logProblems(server.outFile),
      };
      log(
        `slow coze r${round}: ${res.exactlyOnce}/${cfg.customers} answered once (dup ${res.duplicated}, none ${res.unanswered}), all in ${(res.timeToAllAnsweredMs / 1000).toFixed(2)} s (callbacks acked in ${(res.callbacksAckedMs / 1000).toFixed(2)} s, ack p99 ${burst.ackP99Ms.toFixed(0)} ms, ${burst.retried} retried, Coze chats started ${(done.firstChatMs / 1000).toFixed(2)}–${(done.lastChatMs / 1000).toFixed(2)} s; CPU s server ${cpu.serverS.toFixed(1)}, fakes ${cpu.fakesS.toFixed(1)}), max concurrent chats ${res.maxConcurrentCozeChats}, VmHWM ${rss.vmHwmMB?.toFixed(1)} MB (sampled peak ${rss.peakSampledMB.toFixed(1)} MB, idle ${baseMB.toFixed(1)} MB)`,
      );
      return res;
    },
    { splitFakes: true },
  );
}

// ───────────────────── 2b. 1,000 customers, Coze allowing only 50 chats at once ─────────────────────

/** One sample per metric name (and label set) from the server's /metrics. */
async function metrics(url) {
  const out = {};
  // A starved server may not answer in time: the figures are then missing, not the phase.
  const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(20_000) })
    .then((r) => r.text())
    .catch(() => '');
  for (const line of text.split('\n')) {
    if (!line.startsWith('wxcoze_coze_')) continue;
    const [k, v] = line.split(' ');
    out[k] = Number(v);
  }
  return out;
}

export async function benchThrottled(cfg) {
  return withSystem(
    {},
    async ({ fakes, server }) => {
      await fakes.rpc('setCoze', { text: '您好！我们每天 9:00–21:00 营业。', delayMs: cfg.cozeDelayMs });
      await fakes.rpc('setThrottle', { rule: { as: cfg.as, aboveConcurrent: cfg.cozeAllows } });
      await sleep(300);
      const sampler = rssSampler(server.pids, 100);
      const burst = await fakes.rpc('burst', {
        prefix: 'q',
        count: cfg.customers,
        concurrency: cfg.customers,
      });
      // Sampled while the burst is worked: the limit the server settled on under the cap.
      const during = await metrics(server.url);
      const done = await fakes.rpc('waitAnswered', {
        prefix: 'q',
        count: cfg.customers,
        timeoutMs: cfg.timeoutMs,
        settleMs: 1500,
      });
      const rss = sampler.stop();
      const after = await metrics(server.url);
      const times = done.firstReplyTimes;
      const res = {
        customers: cfg.customers,
        cozeDelayMs: cfg.cozeDelayMs,
        cozeAllows: cfg.cozeAllows,
        throttledAs: cfg.as,
        answered: done.answered,
        exactlyOnce: done.once,
        duplicated: done.more,
        unanswered: done.none,
        timeToAllAnsweredMs: times.length ? times.at(-1) - burst.t0 : null,
        // The best any client could do: customers / allowed × Coze's time.
        idealMs: Math.ceil(cfg.customers / cfg.cozeAllows) * cfg.cozeDelayMs,
        maxConcurrentCozeChats: done.maxConcurrentChats,
        throttledChats: done.throttledChats,
        limitDuringBurst: during['wxcoze_coze_concurrency_limit'],
        limitAfter: after['wxcoze_coze_concurrency_limit'],
        limitLowered: after['wxcoze_coze_limit_changes_total{direction="lowered"}'] ?? 0,
        ...rss,
        serverLogProblems: logProblems(server.outFile),
      };
      log(
        `throttled coze (${cfg.cozeAllows} chats at once, ${cfg.as} above): ${res.exactlyOnce}/${cfg.customers} answered once (dup ${res.duplicated}, none ${res.unanswered}) in ${(res.timeToAllAnsweredMs / 1000).toFixed(1)} s (ideal ${(res.idealMs / 1000).toFixed(0)} s); ${res.throttledChats} chats refused, limit lowered ${res.limitLowered}×, limit during ${res.limitDuringBurst}, after ${res.limitAfter}; max concurrent chats ${res.maxConcurrentCozeChats}; VmHWM ${rss.vmHwmMB?.toFixed(1)} MB`,
      );
      return res;
    },
    { splitFakes: true },
  );
}

// ───────────────────────────── 3. throughput, Coze 1 s ─────────────────────────────

/**
 * The floor of the burst's ack figure on this box: the same sender (fake WeCom's process, the same
 * number of callbacks, as many in flight) against a bare fastify route that only answers `success`.
 * Whatever this shows is the sender's and the kernel's share of the ack, not wxcoze's.
 */
export async function benchAckFloor(cfg, round) {
  const fakes = await startFakesProcess({ split: true });
  const bare = await startBareServer();
  try {
    await fakes.rpc('setCallbackUrl', { url: `${bare.url}/wechat/hook` });
    const b = await fakes.rpc('burst', {
      prefix: `f${round}`,
      count: cfg.messages,
      concurrency: cfg.sendConcurrency,
    });
    const res = {
      round,
      callbacks: cfg.messages,
      p50Ms: b.ackP50Ms,
      p99Ms: b.ackP99Ms,
      maxMs: b.ackMaxMs,
      senderLagP99Ms: b.senderLagP99Ms,
    };
    log(
      `ack floor r${round}: ${cfg.messages} callbacks to a bare route: ack p50 ${b.ackP50Ms.toFixed(0)} ms, p99 ${b.ackP99Ms.toFixed(0)} ms, max ${b.ackMaxMs.toFixed(0)} ms`,
    );
    return res;
  } finally {
    await bare.stop();
    await fakes.stop();
  }
}

export async function benchThroughput(cfg, round) {
  // Default settings: the MySQL phase adds only its database and Redis URLs.
  return withSystem(
    { ...(cfg.extraEnv ?? {}) },
    async ({ fakes, server }) => {
      await fakes.rpc('setCoze', { text: '好的，已为您记录。', delayMs: cfg.cozeDelayMs });
      await sleep(300);
      const sampler = rssSampler(server.pids, 100);
      const prefix = `t${round}`;
      const { burst, done, cpu, callbackAck } = await burstUntilAnswered(fakes, server, {
        prefix,
        count: cfg.messages,
        concurrency: cfg.sendConcurrency,
        timeoutMs: cfg.timeoutMs,
        settleMs: 1000,
      });
      const rss = sampler.stop();
      const times = done.firstReplyTimes;
      const n = times.length;
      // Steady part: between the 10th and the 90th percentile answer (skips the ramp-up and the tail).
      const lo = Math.floor(n * 0.1),
        hi = Math.ceil(n * 0.9) - 1;
      const steady = n > 10 ? (hi - lo) / ((times[hi] - times[lo]) / 1000) : NaN;
      const res = {
        round,
        messages: cfg.messages,
        cozeDelayMs: cfg.cozeDelayMs,
        callbacksAckedMs: burst.t1 - burst.t0,
        callbackAck,
        answered: done.answered,
        exactlyOnce: done.once,
        duplicated: done.more,
        unanswered: done.none,
        steadyAnsweredPerSec: steady,
        overallAnsweredPerSec: n ? n / ((times.at(-1) - burst.t0) / 1000) : NaN,
        firstAnswerMs: n ? times[0] - burst.t0 : null,
        lastAnswerMs: n ? times.at(-1) - burst.t0 : null,
        maxConcurrentCozeChats: done.maxConcurrentChats,
        cozeChatsStartedMs: { first: done.firstChatMs, median: done.medianChatMs, last: done.lastChatMs },
        cpuSeconds: cpu,
        ...rss,
        serverLogProblems: logProblems(server.outFile),
      };
      log(
        `throughput r${round}: ${res.exactlyOnce}/${cfg.messages} answered once; steady ${steady.toFixed(0)}/s, overall ${res.overallAnsweredPerSec.toFixed(0)}/s, last answer at ${(res.lastAnswerMs / 1000).toFixed(2)} s, callbacks acked in ${(res.callbacksAckedMs / 1000).toFixed(2)} s (ack p99 ${burst.ackP99Ms.toFixed(0)} ms, max ${burst.ackMaxMs.toFixed(0)} ms, ${burst.retried} retried by WeCom), Coze chats started ${(done.firstChatMs / 1000).toFixed(2)}–${(done.lastChatMs / 1000).toFixed(2)} s, CPU s server ${cpu.serverS.toFixed(1)} / fakes ${cpu.fakesS.toFixed(1)}, max concurrent chats ${res.maxConcurrentCozeChats}, VmHWM ${rss.vmHwmMB?.toFixed(1)} MB`,
      );
      return res;
    },
    { splitFakes: true },
  );
}

// ───────────────────────────── 4. per-message overhead at low load ─────────────────────────────

export async function benchOverhead(cfg, round) {
  return withSystem({}, async ({ fakes, server }) => {
    await fakes.rpc('setCoze', { text: '您好！有什么可以帮您？', delayMs: 0 });
    await sleep(300);
    const rows = await fakes.rpc('sequential', {
      prefix: `o${round}`,
      count: cfg.messages,
      customers: cfg.customers,
      gapMs: cfg.gapMs,
    });
    const pick = (sel, f) =>
      rows
        .filter(sel)
        .map(f)
        .sort((a, b) => a - b);
    const stats = (arr) => ({
      p50: percentile(arr, 50),
      p90: percentile(arr, 90),
      p99: percentile(arr, 99),
      max: arr.at(-1),
    });
    const all = () => true;
    const returning = (r) => !r.firstOfCustomer;
    const res = {
      round,
      messages: rows.length,
      customers: cfg.customers,
      overheadMs: stats(pick(all, (r) => r.e2eMs - r.cozeMs)),
      overheadReturningMs: stats(pick(returning, (r) => r.e2eMs - r.cozeMs)),
      overheadFirstMs: stats(
        pick(
          (r) => r.firstOfCustomer,
          (r) => r.e2eMs - r.cozeMs,
        ),
      ),
      overheadExclWecomApiMs: stats(pick(all, (r) => r.e2eMs - r.cozeMs - r.wecomApiMs)),
      e2eMs: stats(pick(all, (r) => r.e2eMs)),
      fromCallbackMs: stats(pick(all, (r) => r.fromCallbackMs)),
      cozeMs: stats(pick(all, (r) => r.cozeMs)),
      wecomApiMs: stats(pick(all, (r) => r.wecomApiMs)),
      ackMs: stats(pick(all, (r) => r.ackMs)),
      callsPerMessage: rows.slice(-5).map((r) => r.paths.join(' ')),
      serverLogProblems: logProblems(server.outFile),
    };
    log(
      `overhead r${round}: bridge p50 ${res.overheadMs.p50.toFixed(2)} ms (p90 ${res.overheadMs.p90.toFixed(2)}, p99 ${res.overheadMs.p99.toFixed(2)}); e2e p50 ${res.e2eMs.p50.toFixed(2)} ms, coze p50 ${res.cozeMs.p50.toFixed(2)} ms, wecom api p50 ${res.wecomApiMs.p50.toFixed(2)} ms`,
    );
    return res;
  });
}

export function machine() {
  return { nproc: availableParallelism() };
}
