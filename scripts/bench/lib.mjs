/**
 * Bench plumbing: child processes (always killed at exit, even on failure), IPC calls to the
 * fakes process, RSS sampling from /proc, percentiles.
 */
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

const children = new Set();
const tempDirs = new Set();

/** Last resort: whatever happens to the bench, no server or fake outlives it. */
export function killAllChildren() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  children.clear();
}
process.on('exit', killAllChildren);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\nbench: ${sig}, stopping children`);
    killAllChildren();
    if (process.env.BENCH_KEEP !== '1') removeTempDirs();
    process.exit(130);
  });
}

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function tempDir(prefix) {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}
export function removeTempDirs() {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

/** Reads the first stdout line of a child as JSON. */
function firstJsonLine(child, what, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const t = setTimeout(() => reject(new Error(`${what} did not start in time:\n${err}`)), timeoutMs);
    child.stderr?.on('data', (d) => {
      err += d;
    });
    const onData = (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      child.stdout.off('data', onData);
      clearTimeout(t);
      try {
        resolve(JSON.parse(buf.slice(0, nl)));
      } catch (e) {
        reject(new Error(`${what}: bad first line ${buf.slice(0, nl)}`));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${what} exited (${code}) before it was ready:\n${err}`));
    });
  });
}

/** Starts scripts/bench/fakes-process.mjs [role]; returns its URLs, pid and an rpc(cmd, args) function. */
async function startFakesChild(role) {
  const child = track(
    fork(join(ROOT, 'scripts/bench/fakes-process.mjs'), role ? [role] : [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      cwd: ROOT,
    }),
  );
  const info = await firstJsonLine(child, 'fakes process');
  child.stdout.resume();
  let seq = 0;
  const pending = new Map();
  child.on('message', (m) => {
    const p = pending.get(m?.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(`fakes: ${m.error}`));
  });
  child.once('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`fakes process exited (${code})`));
    pending.clear();
  });
  const rpc = (cmd, args = {}) =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      pending.set(id, { resolve, reject });
      child.send({ id, cmd, args });
    });
  return { ...info, child, rpc, stop: () => stopChild(child) };
}

/** Commands only fake Coze answers (the rest go to fake WeCom's process). */
const COZE_COMMANDS = new Set(['setCoze', 'chatCount', 'setThrottle', 'chatStats']);

/**
 * The fakes: one process for both (default), or with `split` one for fake WeCom (which also sends
 * the callbacks and times their acks) and one for fake Coze, so an ack is never timed late because
 * the sender was busy streaming Coze's answers. Same interface either way; `pids` has both.
 */
export async function startFakesProcess({ split = false } = {}) {
  if (!split) {
    const both = await startFakesChild();
    return { ...both, pids: [both.pid] };
  }
  const [w, c] = await Promise.all([startFakesChild('wecom'), startFakesChild('coze')]);
  const rpc = async (cmd, args = {}) => {
    if (COZE_COMMANDS.has(cmd)) return c.rpc(cmd, args);
    if (cmd === 'resetCounters')
      return Promise.all([w.rpc(cmd, args), c.rpc(cmd, args)]).then(() => undefined);
    if (cmd === 'requestCounts') return { ...(await w.rpc(cmd, args)), ...(await c.rpc(cmd, args)) };
    if (cmd === 'waitAnswered') {
      const res = await w.rpc(cmd, args);
      return { ...res, ...(await c.rpc('chatStats', { since: res.burstStartedAt })) };
    }
    return w.rpc(cmd, args);
  };
  return {
    wecom: w.wecom,
    coze: c.coze,
    pid: w.pid,
    pids: [w.pid, c.pid],
    rpc,
    stop: () => Promise.all([w.stop(), c.stop()]),
  };
}

/** CPU time (ms) the fakes' processes have used so far. */
export function fakesCpuMs(fakes) {
  return fakes.pids.reduce((n, pid) => n + (procCpuMs(pid) ?? 0), 0);
}

export async function startBareServer() {
  const child = track(
    fork(join(ROOT, 'scripts/bench/bare-server.mjs'), [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      cwd: ROOT,
    }),
  );
  const info = await firstJsonLine(child, 'bare server');
  child.stdout.resume();
  return { ...info, child, stop: () => stopChild(child) };
}

/**
 * `wxcoze start` as a child process (see below for how), logging to <dataDir>/server.out; resolves
 * with its URL once it sends the 'ready' IPC message (start.ts does that when it has a parent).
 */
export async function startWxcoze(env, { nodeArgs = [], root = ROOT } = {}) {
  const dataDir = env.WXCOZE_DATA_DIR;
  const outFile = join(dataDir, 'server.out');
  const fd = openSync(outFile, 'a');
  const opts = {
    // The node running the bench first on PATH: bin/wxcoze.js run as a program finds node there.
    env: { PATH: `${dirname(process.execPath)}:${process.env.PATH}`, HOME: process.env.HOME, ...env },
    cwd: dataDir,
    stdio: ['ignore', fd, fd, 'ipc'],
  };
  const bin = join(root, 'bin/wxcoze.js');
  // As a user starts it: `wxcoze start` runs bin/wxcoze.js as a program (its sh line execs node with
  // the heap flags: one process). With node flags of its own, or BENCH_START=node, it is
  // `node [flags] bin/wxcoze.js start` (without the heap flags: a launcher plus the server).
  const viaNode = nodeArgs.length > 0 || process.env.BENCH_START === 'node';
  const args = [bin, 'start', '--drain-ms', '2000'];
  const child = track(
    viaNode ? spawn(process.execPath, [...nodeArgs, ...args], opts) : spawn(args[0], args.slice(1), opts),
  );
  closeSync(fd);
  let serverPid = child.pid;
  const url = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`wxcoze did not start in 60 s; see ${outFile}`)), 60_000);
    child.on('message', (m) => {
      if (m?.type === 'ready') {
        clearTimeout(t);
        resolve(m.url);
        serverPid = Number(m.pid) || child.pid;
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`wxcoze exited (${code}) before it was ready:\n${safeRead(outFile).slice(-3000)}`));
    });
  });
  // Started without the heap flags, `start` runs node again with them (src/cli/lib/heap-flags.ts):
  // `pid` is the process doing the work, `pids` every process wxcoze runs (memory is their sum).
  const pids = [...new Set([child.pid, serverPid])];
  return {
    url,
    pid: serverPid,
    pids,
    child,
    dataDir,
    outFile,
    stop: (graceMs) => stopChild(child, graceMs),
  };
}

function safeRead(f) {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export function stopChild(child, graceMs = 4000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const k = setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(k);
      resolve();
    });
    try {
      child.kill('SIGTERM');
    } catch {
      clearTimeout(k);
      resolve();
    }
  });
}

/** A field of /proc/<pid>/status in kB (VmRSS, VmHWM), or null when the process is gone. */
export function procStatusKb(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Pss of a process in kB (its share of pages shared with others, e.g. node's code), or null. */
function procPssKb(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Samples the VmRSS (and Pss) of one process or several every `everyMs`, summed over them; stop()
 * gives the peak of the sums, and the kernel's VmHWM per process and summed (an upper bound of the
 * summed peak: each process's own peak, whenever it was).
 */
export function rssSampler(pidOrPids, everyMs = 100) {
  const pids = [pidOrPids].flat();
  const samples = [];
  const pss = [];
  const sum = (read) => {
    let total = 0;
    let any = false;
    for (const p of pids) {
      const v = read(p);
      if (v !== null) {
        total += v;
        any = true;
      }
    }
    return any ? total : null;
  };
  const tick = () => {
    const kb = sum((p) => procStatusKb(p, 'VmRSS'));
    if (kb !== null) samples.push(kb);
    const pkb = sum(procPssKb);
    if (pkb !== null) pss.push(pkb);
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      const hwms = pids.map((p) => procStatusKb(p, 'VmHWM'));
      const hwm = hwms.every((h) => h === null) ? null : hwms.reduce((a, h) => a + (h ?? 0), 0);
      return {
        processes: pids.length,
        samples: samples.length,
        peakSampledMB: Math.max(...samples) / 1024,
        peakPssSampledMB: pss.length ? Math.max(...pss) / 1024 : null,
        lastMB: samples.at(-1) / 1024,
        vmHwmMB: hwm === null ? null : hwm / 1024,
        vmHwmPerProcessMB: hwms.map((h) => (h === null ? null : +(h / 1024).toFixed(1))),
      };
    },
  };
}

/** CPU time (user + system) a process has used so far, ms; null when it is gone. */
export function procCpuMs(pid, tid) {
  try {
    // With `tid`: that one thread (the main thread's tid is the pid), e.g. the HTTP thread alone.
    const stat = readFileSync(tid ? `/proc/${pid}/task/${tid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat reports utime/stime in these ticks

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Counts warn/error lines in a pino JSON log, with a few examples. */
export function logProblems(file) {
  const counts = {};
  const examples = [];
  for (const line of safeRead(file).split('\n')) {
    if (!line.startsWith('{')) continue;
    let o;
    try {
      o = JSON.parse(line);
    } catch {
      continue;
    }
    if (o.level >= 40) {
      counts[o.msg] = (counts[o.msg] ?? 0) + 1;
      if (examples.length < 3) examples.push(line.slice(0, 300));
    }
  }
  return { counts, examples };
}

/** The server's own callback-ack histogram (wxcoze_callback_ack_seconds): cumulative bucket counts by `le`. */
export async function ackHistogram(url) {
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  const buckets = new Map();
  for (const m of text.matchAll(/^wxcoze_callback_ack_seconds_bucket\{le="([^"]+)"\} (\d+)/gm))
    buckets.set(m[1], Number(m[2]));
  return buckets;
}

/**
 * The p99 of the acks between two histogram readings, as the upper bound of its bucket (seconds → ms):
 * what the server itself saw, from a request's arrival to its answer written.
 */
export function ackP99FromHistograms(before, after) {
  const les = [...after.keys()];
  const total = (after.get('+Inf') ?? 0) - (before.get('+Inf') ?? 0);
  if (!total) return null;
  for (const le of les) {
    const n = after.get(le) - (before.get(le) ?? 0);
    if (n >= total * 0.99) return le === '+Inf' ? Infinity : Number(le) * 1000;
  }
  return Infinity;
}

/** The kernel's count of connections dropped because a listener's accept queue was full (all sockets). */
export function listenOverflows() {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const names = lines[i].split(' ');
    const values = lines[i + 1].split(' ');
    return Number(values[names.indexOf('ListenOverflows')]);
  } catch {
    return null;
  }
}
