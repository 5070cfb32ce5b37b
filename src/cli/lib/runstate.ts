/**
 * The pid file and the run file of a running server, shared by start, stop, status and doctor.
 * A pid file whose process is gone (kill -9, power loss) is stale and simply replaced.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dataPaths } from './paths.js';

export interface RunInfo {
  pid: number;
  startedAt: number;
  url: string;
  port: number;
  version: string;
  logFile: string;
  daemon: boolean;
}

/** True when `pid` is a live process (not a zombie). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // A killed child its parent has not reaped yet still answers kill(0): look at its state.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

/** The pid in the pid file, or undefined when there is none or it is unreadable. */
export function readPid(dataDir: string): number | undefined {
  const { pidFile } = dataPaths(dataDir);
  if (!existsSync(pidFile)) return undefined;
  const n = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function readRunInfo(dataDir: string): RunInfo | undefined {
  const { runFile } = dataPaths(dataDir);
  if (!existsSync(runFile)) return undefined;
  try {
    return JSON.parse(readFileSync(runFile, 'utf8')) as RunInfo;
  } catch {
    return undefined;
  }
}

/** The live server of this data directory, if any; stale files are removed. */
export function runningServer(dataDir: string): { pid: number; info?: RunInfo } | undefined {
  const pid = readPid(dataDir);
  if (pid === undefined) return undefined;
  if (!isAlive(pid)) {
    clearRunState(dataDir, pid);
    return undefined;
  }
  const info = readRunInfo(dataDir);
  return { pid, ...(info && info.pid === pid ? { info } : {}) };
}

export function writeRunState(dataDir: string, info: RunInfo): void {
  const { pidFile, runFile } = dataPaths(dataDir);
  writeFileSync(pidFile, `${info.pid}\n`, { mode: 0o600 });
  writeFileSync(runFile, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

/** Removes the pid and run files, but only when they still belong to `pid`. */
export function clearRunState(dataDir: string, pid: number): void {
  const { pidFile, runFile } = dataPaths(dataDir);
  if (readPid(dataDir) === pid) rmSync(pidFile, { force: true });
  const info = readRunInfo(dataDir);
  if (!info || info.pid === pid) rmSync(runFile, { force: true });
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
