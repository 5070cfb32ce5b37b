/**
 * What the stages of `wxcoze update` share. Every outside effect (npm, systemctl, the wxcoze CLI of
 * the install, HTTP) goes through a `Run` or a port passed in, so the stages and the rollback are
 * unit-tested with recorded, scripted runners (test/unit/update-*.test.ts).
 */

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a program to its end; never throws on a non-zero exit (a program that cannot start is exit 127). */
export type Run = (cmd: string, args: string[], opts?: RunOptions) => Promise<RunResult>;

/**
 * A program's output for a message: all of it when short, else its first lines (where `start` says
 * what failed) and its last (where a stack trace ends).
 */
export function tail(r: RunResult, head = 8, last = 10): string {
  const lines = `${r.stderr}\n${r.stdout}`.trim().split('\n');
  if (lines.length <= head + last + 1) return lines.join('\n');
  return [...lines.slice(0, head), '…', ...lines.slice(-last)].join('\n');
}

/** A step that failed, with what the user should read or do. */
export class StageError extends Error {
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}
