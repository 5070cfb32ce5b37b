/**
 * Console operators from the command line (`wxcoze admin …`, init's admin-password stage, doctor):
 * where a new password comes from, and the console's URL to print next to it.
 */
import { password as passwordPrompt } from '@inquirer/prompts';
import { userInfo } from 'node:os';
import { generatePassword, hashPassword, passwordProblem } from '../../console/auth/password.js';
import type { Store } from '../../store/types.js';

/** The environment variable scripts (and `init --yes`) can hand a password in. */
export const ADMIN_PASSWORD_ENV = 'WXCOZE_ADMIN_PASSWORD';

// The console's URL is the config's business (the alerts' texts name it too).
export { consoleUrl } from '../../config/console-url.js';

/** Who did it, for the audit log: `cli:<unix user>`. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

export interface PasswordSource {
  /** Make one up (printed once). */
  generate?: boolean;
  /** Read it from standard input (its first line), for scripts. */
  stdin?: boolean;
}

export class PasswordInputError extends Error {}

async function firstLineOfStdin(stdin: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<string> {
  if (stdin.isTTY)
    throw new PasswordInputError(
      '--password-stdin: standard input is a terminal, nothing was piped in. Pipe the password in (e.g. `printf %s "$PW" | wxcoze admin password --password-stdin`), or leave the flag out to be asked.',
    );
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0]!;
}

/**
 * A new password: generated, from standard input, from WXCOZE_ADMIN_PASSWORD, or typed twice
 * (hidden) on a terminal. Refuses one shorter than 8 characters, saying so.
 */
export async function readNewPassword(
  src: PasswordSource,
  io: { stdin?: NodeJS.ReadableStream & { isTTY?: boolean }; env?: NodeJS.ProcessEnv } = {},
): Promise<{ password: string; generated: boolean }> {
  const stdin = io.stdin ?? process.stdin;
  const env = io.env ?? process.env;
  if (src.generate) return { password: generatePassword(), generated: true };
  let password: string | undefined;
  if (src.stdin) password = await firstLineOfStdin(stdin);
  else if (env[ADMIN_PASSWORD_ENV]) password = env[ADMIN_PASSWORD_ENV];
  if (password !== undefined) {
    const problem = passwordProblem(password);
    if (problem)
      throw new PasswordInputError(
        `The password ${problem}: use at least 8 characters (a few words work well).`,
      );
    return { password, generated: false };
  }
  if (!stdin.isTTY)
    throw new PasswordInputError(
      `No terminal to ask the password on: pipe it in with --password-stdin, set ${ADMIN_PASSWORD_ENV}, or pass --generate to have one made and printed.`,
    );
  const first = await passwordPrompt({
    message: 'New password (at least 8 characters)',
    mask: '*',
    validate: (v) => {
      const p = passwordProblem(v);
      return p ? `The password ${p}.` : true;
    },
  });
  await passwordPrompt({
    message: 'The same password again',
    mask: '*',
    validate: (v) => (v === first ? true : 'The two passwords differ: type the first one again.'),
  });
  return { password: first, generated: false };
}

/**
 * Creates the operator or replaces its password; a replaced password ends the operator's sessions
 * (a leaked one stops working at once). Audited as `operator_added` / `password_set`.
 */
export async function setOperatorPassword(
  store: Store,
  name: string,
  password: string,
): Promise<{ created: boolean; endedSessions: number }> {
  const now = Date.now();
  const created = await store.consoleAccess.setOperator(name, await hashPassword(password), now);
  const endedSessions = created ? 0 : await store.consoleAccess.deleteSessionsOf(name);
  await store.consoleAccess.audit({
    at: now,
    operator: cliActor(),
    action: created ? 'operator_added' : 'password_set',
    detail: JSON.stringify({ name }),
  });
  return { created, endedSessions };
}
