/**
 * How the server of this data directory runs, and how to stop and start it the same way:
 * - under systemd: the unit `wxcoze`'s main pid is the server's pid → `systemctl stop|start wxcoze`;
 * - as a daemon (`wxcoze start --daemon`, its run file says so) → `wxcoze stop`, then
 *   `wxcoze start --daemon` with the environment, working folder and `--drain-ms` the daemon had
 *   (read from /proc), so a server started as `PORT=9000 wxcoze start --daemon` comes back on 9000;
 * - in the foreground of a terminal: update refuses (it cannot start it again there);
 * - not running: update installs and migrates, and leaves starting it to the user.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runningServer } from '../lib/runstate.js';
import { StageError, tail, type Run } from './types.js';

export const UNIT = 'wxcoze';

export type RunMode =
  | { kind: 'systemd'; pid: number }
  | { kind: 'daemon'; pid: number; env: NodeJS.ProcessEnv; cwd: string; drainMs?: string }
  | { kind: 'foreground'; pid: number }
  | { kind: 'stopped' };

export interface ServiceProbe {
  /** The live server of the data directory (pid file), and whether its run file says daemon. */
  running(): { pid: number; daemon?: boolean } | undefined;
  /** MainPID of the systemd unit `wxcoze`, or undefined (no systemd, no such unit, not running). */
  systemdMainPid(): Promise<number | undefined>;
  /** A process's environment, working folder and arguments (undefined where /proc cannot tell). */
  processEnv(pid: number): NodeJS.ProcessEnv | undefined;
  processCwd(pid: number): string | undefined;
  processArgs(pid: number): string[] | undefined;
}

export function realServiceProbe(dataDir: string, run: Run): ServiceProbe {
  const proc = <T>(pid: number, read: (dir: string) => T): T | undefined => {
    try {
      return read(`/proc/${pid}`);
    } catch {
      return undefined;
    }
  };
  return {
    running: () => {
      const r = runningServer(dataDir);
      return r && { pid: r.pid, daemon: r.info?.daemon };
    },
    async systemdMainPid() {
      const r = await run('systemctl', ['show', '--property', 'MainPID', '--value', UNIT], {
        timeoutMs: 10_000,
      });
      const pid = Number(r.stdout.trim());
      return r.exitCode === 0 && Number.isInteger(pid) && pid > 0 ? pid : undefined;
    },
    processEnv: (pid) =>
      proc(pid, (d) =>
        Object.fromEntries(
          readFileSync(join(d, 'environ'), 'utf8')
            .split('\0')
            .filter((kv) => kv.includes('='))
            .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
        ),
      ),
    processCwd: (pid) => proc(pid, (d) => readlinkSync(join(d, 'cwd'))),
    processArgs: (pid) =>
      proc(pid, (d) => readFileSync(join(d, 'cmdline'), 'utf8').split('\0').filter(Boolean)),
  };
}

export async function detectRunMode(probe: ServiceProbe): Promise<RunMode> {
  const running = probe.running();
  if (!running) return { kind: 'stopped' };
  if ((await probe.systemdMainPid()) === running.pid) return { kind: 'systemd', pid: running.pid };
  if (!running.daemon) return { kind: 'foreground', pid: running.pid };
  const env = { ...(probe.processEnv(running.pid) ?? process.env) };
  // `start` sets WXCOZE_DAEMON for its detached child itself (passed on, the new start would not
  // detach), and node sets NODE_CHANNEL_* for the child's IPC channel (passed on, a process without
  // that channel aborts at exit).
  for (const name of [
    'WXCOZE_DAEMON',
    'NODE_CHANNEL_FD',
    'NODE_CHANNEL_SERIALIZATION_MODE',
    'NODE_UNIQUE_ID',
  ])
    delete env[name];
  const args = probe.processArgs(running.pid) ?? [];
  const drain = args.indexOf('--drain-ms');
  return {
    kind: 'daemon',
    pid: running.pid,
    env,
    cwd: probe.processCwd(running.pid) ?? process.cwd(),
    ...(drain >= 0 && args[drain + 1] ? { drainMs: args[drain + 1] } : {}),
  };
}

export function describeMode(mode: RunMode): string {
  switch (mode.kind) {
    case 'systemd':
      return `runs under systemd (unit ${UNIT}, pid ${mode.pid})`;
    case 'daemon':
      return `runs as a daemon (pid ${mode.pid}, started in ${mode.cwd})`;
    case 'foreground':
      return `runs in the foreground (pid ${mode.pid})`;
    case 'stopped':
      return 'is not running';
  }
}

/** Stops and starts the server the way it runs; `launcher` is bin/wxcoze.js of the install. */
export interface ServiceControl {
  stop(): Promise<void>;
  start(): Promise<void>;
}

export function serviceControl(
  mode: RunMode,
  launcher: string,
  run: Run,
  node = process.execPath,
): ServiceControl {
  const must = async (what: string, cmd: string, args: string[], opts: Parameters<Run>[2] = {}) => {
    const r = await run(cmd, args, { timeoutMs: 120_000, ...opts });
    if (r.exitCode !== 0)
      throw new StageError(
        `\`${[cmd === node ? 'node' : cmd, ...args].join(' ')}\` failed (${what})`,
        tail(r),
      );
  };
  if (mode.kind === 'systemd')
    return {
      stop: () => must('stopping the service', 'systemctl', ['stop', UNIT]),
      start: () => must('starting the service', 'systemctl', ['start', UNIT]),
    };
  if (mode.kind === 'daemon') {
    const opts = { env: mode.env, cwd: mode.cwd };
    return {
      stop: () => must('stopping the daemon', node, [launcher, 'stop', '--timeout', '60'], opts),
      start: () =>
        must(
          'starting the daemon',
          node,
          [launcher, 'start', '--daemon', ...(mode.drainMs ? ['--drain-ms', mode.drainMs] : [])],
          opts,
        ),
    };
  }
  // Not running (or in a terminal, which check refuses): nothing to stop, nothing to start.
  return { stop: async () => {}, start: async () => {} };
}
