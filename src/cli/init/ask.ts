/**
 * The one way init gets an answer: the current value (flag > secret file > environment > .env >
 * existing config, see sources.ts), checked by the question's validator. Interactive, the value is
 * the prompt's default and a refused answer is asked again with the validator's message; with
 * `--yes` nothing is asked, so a missing or refused value stops init with what to pass instead.
 * One validator serves both modes, so a value `--yes` accepts is one the prompt accepts too.
 */
import { input, password } from '@inquirer/prompts';
import { settingProblem } from '../../config/load.js';
import { SETTINGS, type SettingName } from '../../config/schema.js';
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
  /**
   * `--yes` message for a refused value; default "✗ <validator's message>" when that names the key
   * (the schema's do), else "✗ KEY "value": <validator's message>".
   */
  refuse?: (value: string, problem: string) => string;
}

/**
 * The configuration schema's verdict on `value` for the setting `key`: the rule `loadConfig` applies,
 * so init accepts exactly what `wxcoze start` will. A refusal is the schema's words (they name the
 * setting, and never quote a secret), then what to do: `fix`, or the setting's own.
 */
export function schemaVerdict(key: SettingName, value: string, fix: string = SETTINGS[key].fix): Verdict {
  const problem = settingProblem(key, value);
  return problem === undefined ? true : `${problem}. ${fix}`;
}

/** `schemaVerdict` as a question's validator. */
export const bySchema =
  (key: SettingName, fix?: string): Validator =>
  (value) =>
    schemaVerdict(key, value, fix);

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
  const found = raw === undefined ? undefined : norm(raw.trim()); // loadConfig trims every value too
  if (!a.interactive) {
    if (found === undefined) {
      if (q.optional) return undefined;
      throw new InitAbort(`${q.key} is missing: pass ${q.flag} or set ${q.key} (init --yes asks nothing).`);
    }
    const verdict = await q.validate(found);
    if (verdict !== true)
      throw new InitAbort(
        q.refuse
          ? q.refuse(found, verdict)
          : `${FAIL()} ${verdict.startsWith(q.key) ? verdict : `${q.key} "${found}": ${verdict}`}`,
      );
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
