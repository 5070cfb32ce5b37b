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

/** The last lines of a program's output, for a message that says what it said. */
export function tail(r: RunResult, lines = 12): string {
  const text = `${r.stderr}\n${r.stdout}`.trim();
  return text.split('\n').slice(-lines).join('\n');
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
