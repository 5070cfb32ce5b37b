#!/usr/bin/env node
/**
 * `npm run bench`: builds dist/, then measures wxcoze against its own fakes on loopback and writes
 * bench/RESULTS.md and bench/results.json. Phases (each on a fresh server and fakes process):
 *   1. callback path: closed-loop rps of POST /wechat/hook vs a bare fastify route (alternating
 *      runs), then open-loop ack latency at a fixed rate;
 *   2. 1,000 customers at once with Coze answering after 5 s, default settings: exactly-once, time,
 *      peak RSS summed over wxcoze's processes; 2b. the same with a Coze that allows 50 chats at once;
 *   3. throughput with Coze answering after 1 s;
 *   4. bridge overhead per message at low load (end-to-end minus the time spent inside Coze);
 *   7. the worst event-loop stall inside the server under the issue-10 attack and fuzz cases;
 *   8. takeover (BENCH_ONLY=takeover): a SIGKILLed instance's messages answered by another, and a
 *      restarted single MySQL instance answering its own (scripts/bench/takeover.mjs).
 * Phases 2–4 are repeated in alternation (BENCH_ROUNDS, default 2). BENCH_QUICK=1 shrinks everything
 * for a smoke run. Every child process is killed when the bench ends, however it ends.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT, killAllChildren, removeTempDirs } from './bench/lib.mjs';
import { writeReport } from './bench/report.mjs';

const quick = process.env.BENCH_QUICK === '1';
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const want = (p) => !only || only.has(p);
const rounds = Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 2));

const CFG = {
  callbacks: {
    callbacks: quick ? 5000 : 40_000,
    connections: 64,
    warmMs: quick ? 500 : 2000,
    durMs: quick ? 2000 : 10_000,
    closedRuns: quick ? 1 : 3,
    openRuns: quick ? 1 : 2,
    openRate: 500,
  },
  // Default settings (no WXCOZE_CONCURRENCY, no node flags): issue 12.
  slow: { customers: 1000, cozeDelayMs: 5000, timeoutMs: 90_000 },
  // Coze allowing 50 chats at once, refusing more with HTTP 429: the adaptive limit's case.
  throttled: { customers: 1000, cozeDelayMs: 2000, cozeAllows: 50, as: 'http429', timeoutMs: 240_000 },
  throughput: {
    messages: quick ? 1000 : 3000,
    cozeDelayMs: 1000,
    sendConcurrency: 1000,
    timeoutMs: 120_000,
  },
  overhead: { messages: quick ? 50 : 200, customers: 20, gapMs: 30 },
  mysql: {
    callbacks: {
      callbacks: quick ? 5000 : 20_000,
      connections: 64,
      warmMs: quick ? 500 : 2000,
      durMs: quick ? 2000 : 10_000,
      runs: quick ? 1 : 2,
    },
    throughput: {
      messages: quick ? 1000 : 3000,
      cozeDelayMs: 1000,
      sendConcurrency: 1000,
      timeoutMs: 120_000,
    },
  },
  openai: { runs: quick ? 50 : 200 },
  takeover: { customers: quick ? 10 : 20, cozeDelayMs: 1000, timeoutMs: 120_000 },
  stall: { repeats: quick ? 1 : 5, fuzz: quick ? 100 : 400 },
};

const started = Date.now();
const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
// A hard stop, so a hung phase cannot keep servers running forever.
const watchdog = setTimeout(() => {
  console.error('bench: took longer than 20 minutes; giving up');
  killAllChildren();
  process.exit(1);
}, 20 * 60_000);
watchdog.unref();

// BENCH_SKIP_BUILD=1 measures dist/ as it is (e.g. while src/ is mid-edit and does not compile).
const skipBuild = process.env.BENCH_SKIP_BUILD === '1';
if (skipBuild) {
  log('BENCH_SKIP_BUILD=1: measuring dist/ as it is, not rebuilt');
} else {
  log('building dist/ (tsc -p tsconfig.json)');
  const build = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (build.status !== 0) {
    console.error(
      'bench: the build failed, nothing measured (BENCH_SKIP_BUILD=1 measures the existing dist/ instead)',
    );
    process.exit(1);
  }
}
const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';

const { benchAckFloor, benchCallbacks, benchSlowCoze, benchThrottled, benchThroughput, benchOverhead } =
  await import('./bench/phases.mjs');

const info = {
  date: new Date().toISOString(),
  nproc: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  memGB: +(totalmem() / 2 ** 30).toFixed(1),
  node: process.version,
  loadavgAtStart: loadavg().map((x) => +x.toFixed(2)),
  quick,
  rounds,
  config: CFG,
  commit: git('rev-parse', '--short', 'HEAD'),
  uncommittedFiles: git('status', '--porcelain').split('\n').filter(Boolean).length,
  built: !skipBuild,
};
log(`machine: ${info.nproc} cpus (${info.cpu}), node ${info.node}, load ${info.loadavgAtStart.join(' ')}`);

const { benchMysqlRedis, benchMysqlThroughput, benchOpenAi } = await import('./bench/phases-extra.mjs');
/** MariaDB + Redis throughput rounds, each run right after the embedded one (see the loop below). */
const mysqlThroughput = [];
const { benchStall } = await import('./bench/stall.mjs');
const { benchTakeover } = await import('./bench/takeover.mjs');
const results = {
  info,
  callbacks: null,
  slow: [],
  throttled: null,
  throughput: [],
  ackFloor: [],
  overhead: [],
  mysql: null,
  openai: null,
  stall: null,
  takeover: [],
  errors: [],
};
let failed = false;
/*
 * BENCH_VARIANTS='name:ENV=v,ENV=v;name2:ENV=v' compares server settings within one run: each round
 * runs every chosen phase once per variant, alternating (the box is shared, so A and B must meet the
 * same load). Results go to bench/variants-<date>.json and the log; RESULTS.md is not touched.
 */
const variants = (process.env.BENCH_VARIANTS ?? '')
  .split(';')
  .filter(Boolean)
  .map((v) => {
    // Split at the first ':' only: values such as a database URL contain colons.
    const name = v.includes(':') ? v.slice(0, v.indexOf(':')) : v;
    const envText = v.includes(':') ? v.slice(v.indexOf(':') + 1) : '';
    const extraEnv = Object.fromEntries(
      envText
        .split(',')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    return { name, extraEnv };
  });
if (variants.length) {
  const out = { info, variants, runs: [] };
  try {
    for (let r = 1; r <= rounds; r++)
      for (const v of variants) {
        const tag = (res) => out.runs.push({ variant: v.name, round: r, ...res });
        log(`variant ${v.name} (${JSON.stringify(v.extraEnv)}), round ${r}`);
        if (want('callbacks'))
          tag({ phase: 'callbacks', ...(await benchCallbacks({ ...CFG.callbacks, extraEnv: v.extraEnv })) });
        if (want('slow'))
          tag({ phase: 'slow', ...(await benchSlowCoze({ ...CFG.slow, extraEnv: v.extraEnv }, r)) });
        if (want('throughput'))
          tag({
            phase: 'throughput',
            ...(await benchThroughput({ ...CFG.throughput, extraEnv: v.extraEnv }, r)),
          });
      }
  } finally {
    killAllChildren();
  }
  mkdirSync(join(ROOT, 'bench'), { recursive: true });
  const file = join(ROOT, 'bench', `variants-${info.date.slice(0, 16).replace(/[:T]/g, '')}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  log(`wrote ${file}`);
  if (process.env.BENCH_KEEP !== '1') removeTempDirs();
  process.exit(0);
}
try {
  if (want('callbacks')) results.callbacks = await benchCallbacks(CFG.callbacks);
  for (let r = 1; r <= rounds; r++) {
    if (want('slow')) results.slow.push(await benchSlowCoze(CFG.slow, r));
    if (want('throughput')) {
      results.ackFloor.push(await benchAckFloor(CFG.throughput, r));
      results.throughput.push(await benchThroughput(CFG.throughput, r));
    }
    // Right after the embedded run, so the MySQL / embedded ratio compares runs under the same load.
    if (want('mysql')) {
      const m = await benchMysqlThroughput(CFG.mysql, r);
      if (!m.skipped) mysqlThroughput.push(m);
    }
    if (want('overhead')) results.overhead.push(await benchOverhead(CFG.overhead, r));
  }
  if (want('throttled')) results.throttled = await benchThrottled(CFG.throttled);
  if (want('openai')) results.openai = await benchOpenAi(CFG.openai);
  if (want('stall')) results.stall = await benchStall(CFG.stall);
  if (want('mysql')) {
    const m = await benchMysqlRedis(CFG.mysql);
    results.mysql = m.skipped ? m : { ...m, throughput: mysqlThroughput };
  }
  if (want('takeover'))
    for (let r = 1; r <= rounds; r++) results.takeover.push(await benchTakeover(CFG.takeover, r));
} catch (err) {
  failed = true;
  results.errors.push(String(err?.stack ?? err));
  console.error('bench: a phase failed:', err);
} finally {
  killAllChildren();
}
info.durationS = Math.round((Date.now() - started) / 1000);
info.loadavgAtEnd = loadavg().map((x) => +x.toFixed(2));

const outDir = join(ROOT, 'bench');
mkdirSync(outDir, { recursive: true });
// BENCH_ONLY re-measures some phases: the others keep their figures from the last results.json,
// and the report says which figures are from when.
if (only && existsSync(join(outDir, 'results.json'))) {
  const prev = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8'));
  const phaseKeys = {
    callbacks: ['callbacks'],
    slow: ['slow'],
    throttled: ['throttled'],
    throughput: ['throughput', 'ackFloor'],
    overhead: ['overhead'],
    openai: ['openai'],
    mysql: ['mysql'],
    stall: ['stall'],
    takeover: ['takeover'],
  };
  for (const [phase, keys] of Object.entries(phaseKeys)) {
    if (only.has(phase)) continue;
    for (const k of keys) if (prev[k] !== undefined) results[k] = prev[k];
  }
  info.partial = {
    phases: [...only],
    previousDate: prev.info?.partial?.previousDate ?? prev.info?.date,
    previousCommit: prev.info?.partial?.previousCommit ?? prev.info?.commit,
  };
}
writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
const md = writeReport(results);
// The console's figures come from scripts/bench/console.mjs, run on its own: kept as they were.
const resultsFile = join(outDir, 'RESULTS.md');
const consoleSection = existsSync(resultsFile)
  ? (readFileSync(resultsFile, 'utf8').match(/<!-- console:begin -->[\s\S]*<!-- console:end -->/)?.[0] ?? '')
  : '';
writeFileSync(resultsFile, consoleSection ? `${md.trimEnd()}\n\n${consoleSection}\n` : md);
console.log('\n' + md);
log(`wrote bench/RESULTS.md and bench/results.json in ${info.durationS} s`);
if (!failed && process.env.BENCH_KEEP !== '1') removeTempDirs();
process.exit(failed ? 1 : 0);
