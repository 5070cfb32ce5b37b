/**
 * Foreground `wxcoze start` applies the server's V8 heap flags and malloc arena cap
 * (src/server/v8-flags.ts) itself: V8 and glibc read them only when node starts, so a
 * `node bin/wxcoze.js start` without them runs node again with them and stays as a small launcher (about 40 MB RSS, most of it node's own code pages,
 * shared with the server) that behaves as the server would: same stdio (so the same terminal),
 * signals passed on, the server's exit code or signal as its own, the 'ready' message passed up
 * to a parent that listens (tests, the bench). The server ends itself when the launcher dies
 * (even by SIGKILL), so a supervisor that kills the launcher kills the server.
 *
 * Imports only node built-ins and the flag list: the launcher must not load the server.
 */
import { spawn } from 'node:child_process';
import { SERVER_V8_FLAGS, withServerEnv } from '../../server/v8-flags.js';

/** Set in the server a launcher started, so it watches its launcher. */
const RELAUNCHED_ENV = 'WXCOZE_RELAUNCHED';
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Whether this `start` runs without the heap flags and should run node again with them. An old
 * space size already chosen (on the command line, in NODE_OPTIONS, by the systemd unit, the
 * Dockerfile or `start --daemon`) is kept; WXCOZE_NO_RELAUNCH=1 keeps node's defaults.
 */
export function needsHeapFlags(
  execArgv: readonly string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env[RELAUNCHED_ENV] === '1' || env.WXCOZE_NO_RELAUNCH === '1') return false;
  const chosen = (a: string) => a.startsWith('--max-old-space-size');
  return !execArgv.some(chosen) && !(env.NODE_OPTIONS ?? '').split(/\s+/).some(chosen);
}

/** Runs this same command again under node with the heap flags; settles never (it exits). */
export function relaunchWithHeapFlags(): Promise<never> {
  const child = spawn(process.execPath, [...SERVER_V8_FLAGS, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...withServerEnv(process.env), [RELAUNCHED_ENV]: '1' },
  });
  // Ctrl-C reaches both processes (one process group); the server treats a repeat within a moment
  // as the same signal (start.ts), so forwarding it too does not turn one Ctrl-C into two.
  const forward = (sig: NodeJS.Signals) => () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  const handlers = FORWARDED.map((sig) => [sig, forward(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  child.on('message', (m) => process.send?.(m));
  return new Promise<never>(() => {
    child.on('error', (err) => {
      console.error(`wxcoze: could not start node again with its memory settings: ${err.message}`);
      process.exit(1);
    });
    child.on('exit', (code, signal) => {
      for (const [sig, h] of handlers) process.off(sig, h);
      if (signal) {
        // Die the way the server died, so a shell or supervisor sees the same thing.
        process.kill(process.pid, signal);
        return;
      }
      process.exit(code ?? 1);
    });
  });
}

/** In a server started by the launcher: end with the launcher (its IPC channel closes when it dies). */
export function followLauncher(): void {
  if (process.env[RELAUNCHED_ENV] !== '1' || !process.send) return;
  // The channel alone must not keep the server alive; it is only watched.
  process.channel?.unref();
  process.on('disconnect', () => {
    // The launcher is gone (killed, or its terminal closed): stop as abruptly as it did. Leases
    // held expire and the next start takes the messages up where they stopped.
    process.kill(process.pid, 'SIGKILL');
  });
}
