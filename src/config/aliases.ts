import { SETTINGS, type SettingName } from './schema.js';

/**
 * Canonical variable names and the older Python bridge's names accepted for each (declared with
 * each setting in schema.ts), so a `.env` written for that bridge works unchanged. The first name
 * found wins; canonical names first.
 */
export const ALIASES: Record<string, readonly string[]> = Object.fromEntries(
  Object.values(SETTINGS).map((s) => [s.env, s.aliases]),
);

export type CanonicalKey = SettingName;

/** Look a canonical key up in one source, trying its aliases in order. */
export function pick(source: Record<string, string | undefined>, key: string): string | undefined {
  for (const name of [key, ...(ALIASES[key] ?? [])]) {
    const v = source[name];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
}
