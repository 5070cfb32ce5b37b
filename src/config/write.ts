/**
 * Writing `<data dir>/config.json`, the file `wxcoze init` produces and `loadConfig` reads (the
 * lowest layer, under .env and the environment). Keys are the canonical variable names.
 * The file holds secrets: it is written atomically with mode 0600 in a 0700 directory.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE_NAME } from './load.js';

/** Keys whose values are secrets: never printed in full, never logged. */
export const SECRET_KEYS = new Set([
  'WECOM_SECRET',
  'WECOM_TOKEN',
  'WECOM_ENCODING_AES_KEY',
  'COZE_API_TOKEN',
  'WXCOZE_API_KEYS',
  'WXCOZE_DATABASE_URL',
  'WXCOZE_REDIS_URL',
  'WXCOZE_WECOM_PROXY',
]);

/** The order keys are written in (others follow, sorted). */
const KEY_ORDER = [
  'WECOM_CORP_ID',
  'WECOM_SECRET',
  'WECOM_OPEN_KFID',
  'WECOM_TOKEN',
  'WECOM_ENCODING_AES_KEY',
  'WECOM_API_BASE',
  'WXCOZE_WECOM_PROXY',
  'COZE_API_BASE',
  'COZE_API_TOKEN',
  'WXCOZE_COZE_TOKEN_EXPIRES_AT',
  'COZE_JWT_OAUTH_CLIENT_ID',
  'COZE_JWT_OAUTH_PUBLIC_KEY_ID',
  'COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH',
  'COZE_BOT_ID',
  'COZE_WORKFLOW_ID',
  'COZE_APP_ID',
  'WXCOZE_DOMAIN',
  'PORT',
  'WXCOZE_HOST',
];

/**
 * `pat_…x9Z`: enough to recognise which secret it is, never enough to use it.
 * Short values show only their last two characters.
 */
export function maskSecret(value: string | undefined): string {
  if (!value) return '(not set)';
  if (value.length <= 8) return `…${value.slice(-2)}`;
  const underscore = value.indexOf('_');
  const head = underscore > 0 && underscore <= 4 ? value.slice(0, underscore + 1) : value.slice(0, 3);
  return `${head}…${value.slice(-3)}`;
}

/** A value as it may be shown: masked when its key is a secret. */
export function showValue(key: string, value: string | undefined): string {
  if (value === undefined || value === '') return '(not set)';
  return SECRET_KEYS.has(key) ? maskSecret(value) : value;
}

export function configFilePath(dataDir: string): string {
  return join(dataDir, CONFIG_FILE_NAME);
}

/** The raw key/value pairs of an existing config file; {} when there is none. Throws on malformed JSON. */
export function readConfigValues(dataDir: string): Record<string, string> {
  const file = configFilePath(dataDir);
  if (!existsSync(file)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(
      `${file} is not valid JSON (${(err as Error).message}). Fix it by hand, or move it away and run \`wxcoze init\` again.`,
    );
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new Error(`${file} must hold a JSON object of NAME: value pairs.`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== null && v !== undefined && v !== '') out[k] = String(v);
  return out;
}

/** Creates the data directory (0700) if needed and tightens it if it exists. */
export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
}

/**
 * Writes the config file: values with `undefined` are removed, everything else replaces what was
 * there. Atomic (temp file + rename), so a crash never leaves half a file; mode 0600.
 */
export function writeConfigValues(dataDir: string, values: Record<string, string | undefined>): string {
  ensureDataDir(dataDir);
  const file = configFilePath(dataDir);
  const keys = Object.keys(values).filter((k) => values[k] !== undefined && values[k] !== '');
  keys.sort((a, b) => {
    const ia = KEY_ORDER.indexOf(a);
    const ib = KEY_ORDER.indexOf(b);
    if (ia >= 0 && ib >= 0) return ia - ib;
    if (ia >= 0) return -1;
    if (ib >= 0) return 1;
    return a.localeCompare(b);
  });
  const ordered: Record<string, string> = {};
  for (const k of keys) ordered[k] = values[k]!;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(ordered, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}
