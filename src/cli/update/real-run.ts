/** The real `Run`: execa, output captured, never throwing on an exit code (a missing program is 127). */
import { execa } from 'execa';
import type { Run } from './types.js';

export const realRun: Run = async (cmd, args, opts = {}) => {
  const r = await execa(cmd, args, {
    reject: false,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    // A given environment is the whole environment (the daemon's own, read from /proc).
    ...(opts.env ? { env: opts.env, extendEnv: false } : {}),
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
    stdin: 'ignore',
  });
  const failedToStart = r.exitCode === undefined && !r.timedOut && !r.isTerminated;
  return {
    exitCode: r.exitCode ?? (failedToStart ? 127 : 1),
    stdout: String(r.stdout ?? ''),
    stderr: `${String(r.stderr ?? '')}${r.timedOut ? `\n(timed out after ${Math.round((opts.timeoutMs ?? 0) / 1000)} s)` : ''}${failedToStart || r.signal ? `\n${r.shortMessage}` : ''}`,
  };
};
