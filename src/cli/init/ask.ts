/**
 * The one way init gets an answer: the current value (flag > secret file > environment > .env >
 * existing config, see sources.ts), checked by the question's validator. Interactive, the value is
 * the prompt's default and a refused answer is asked again with the validator's message; with
 * `--yes` nothing is asked, so a missing or refused value stops init with what to pass instead.
 * One validator serves both modes, so a value `--yes` accepts is one the prompt accepts too.
 */
import { input, password } from '@inquirer/prompts';
import { maskSecret } from '../../config/write.js';
import { FAIL } from '../lib/ui.js';
import { InitAbort } from './context.js';
import type { ValueOf } from './sources.js';

export type Verdict = true | string;
export type Validator = (value: string) => Verdict | Promise<Verdict>;

/** The two prompt kinds the helper uses, with inquirer's signatures (tests pass scripted ones). */
export interface Prompts {
  input(q: {
    message: string;
    default?: string;
    validate: (v: string) => Verdict | Promise<Verdict>;
  }): Promise<string>;
  password(q: {
    message: string;
    mask: string;
    validate: (v: string) => Verdict | Promise<Verdict>;
  }): Promise<string>;
}

export const terminalPrompts: Prompts = { input, password };

export interface Question {
  /** The config key (COZE_BOT_ID): where the current value is looked up, and named when it is missing. */
  key: string;
  /** The flag `--yes` asks for when the value is missing (e.g. --bot-id, --coze-token-file). */
  flag: string;
  /** The prompt. */
  message: string;
  validate: Validator;
  /** Typed hidden; the prompt shows the current value masked and Enter keeps it. */
  secret?: boolean;
  /** Secret prompt with nothing typed and nothing to keep: where to get the value. */
  emptyHint?: string;
  /** `--yes` only: a missing value is no error, the answer is undefined (the stage decides what then). */
  optional?: boolean;
  /** Used when no source has a value (e.g. PORT 8000). */
  fallback?: string;
  /** Applied to the found value and the typed one before validation (e.g. a domain lowercased). */
  normalise?: (value: string) => string;
  /** Interactive, false: the prompt starts empty (the user just declined the current value). */
  offerCurrent?: boolean;
  /** `--yes` message for a refused value; default "✗ KEY "value": <validator's message>". */
  refuse?: (value: string, problem: string) => string;
}

export interface Asker {
  interactive: boolean;
  current: ValueOf;
  prompts?: Prompts;
}

export async function ask(a: Asker, q: Question & { optional: true }): Promise<string | undefined>;
export async function ask(a: Asker, q: Question): Promise<string>;
export async function ask(a: Asker, q: Question): Promise<string | undefined> {
  const norm = q.normalise ?? ((v: string) => v);
  const raw = a.current(q.key) ?? q.fallback;
  const found = raw === undefined ? undefined : norm(raw);
  if (!a.interactive) {
    if (found === undefined) {
      if (q.optional) return undefined;
      throw new InitAbort(`${q.key} is missing: pass ${q.flag} or set ${q.key} (init --yes asks nothing).`);
    }
    const verdict = await q.validate(found);
    if (verdict !== true)
      throw new InitAbort(q.refuse ? q.refuse(found, verdict) : `${FAIL()} ${q.key} "${found}": ${verdict}`);
    return found;
  }
  const prompts = a.prompts ?? terminalPrompts;
  if (q.secret) {
    const keep = found;
    const typed = await prompts.password({
      message: `${q.message}${keep ? ` (Enter keeps ${maskSecret(keep)})` : ''}`,
      mask: '*',
      validate: (v) => {
        const value = norm(v.trim()) || keep;
        if (!value) return q.emptyHint ?? `Type the ${q.key}.`;
        return q.validate(value);
      },
    });
    return norm(typed.trim()) || keep;
  }
  const typed = await prompts.input({
    message: q.message,
    default: q.offerCurrent === false ? undefined : found,
    validate: (v) => q.validate(norm(v.trim())),
  });
  return norm(typed.trim());
}
