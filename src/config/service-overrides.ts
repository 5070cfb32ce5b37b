/**
 * Settings an owner changed in the console, laid over the config file's (the console wins). Kept
 * free of the zod schemas like service-settings.ts: the pipeline's worker thread applies values
 * that were validated when they were saved (src/config/console-settings.ts), with the same schemas
 * as the config file.
 */
import type { ServiceConfig, ServiceSettings } from './service-settings.js';

/** '*': the defaults of every account. */
export const DEFAULTS_SCOPE = '*';

/** Per-account (and default) keys the console may change; each shares the schema of its variable. */
export const EDITABLE_ACCOUNT_KEYS = [
  'welcomeText',
  'welcomeMenu',
  'handoffKeywords',
  'handoffText',
  'handoffServicer',
  'handoffTo',
  'botId',
  'workflowId',
  'appId',
  'waitNotice',
  'waitNoticeMs',
  'waitNoticeText',
  'survey',
  'surveyText',
] as const;
/** Keys that exist only once, for every account. */
export const EDITABLE_GLOBAL_KEYS = ['quietHours', 'quietText'] as const;

export type EditableAccountKey = (typeof EDITABLE_ACCOUNT_KEYS)[number];
export type EditableGlobalKey = (typeof EDITABLE_GLOBAL_KEYS)[number];

/** A stored override: `value` null = follow the config file. */
export interface Override {
  scope: string;
  key: string;
  value: unknown;
}

/** A quiet period as stored: minutes since midnight, or false = always answer. */
export type StoredQuiet = { startMin: number; endMin: number } | false;

const TARGET_KEYS = ['botId', 'workflowId', 'appId'] as const;

/**
 * The service config with the console's overrides applied. A per-account bot replaces the file's
 * bot or chatflow of that account entirely (so the file's workflowId does not linger beside a
 * console botId). Values of an unexpected type are ignored: a row written by a newer version
 * never breaks the pipeline of an older one during a rolling upgrade.
 */
export function applyOverrides(base: ServiceConfig, overrides: Override[]): ServiceConfig {
  const out: ServiceConfig = {
    ...base,
    defaults: { ...base.defaults },
    accounts: Object.fromEntries(Object.entries(base.accounts).map(([k, v]) => [k, { ...v }])),
  };
  for (const o of overrides) {
    if (o.value === null || o.value === undefined) continue;
    if (o.scope === DEFAULTS_SCOPE && o.key === 'quietText') {
      if (typeof o.value === 'string') out.quietText = o.value;
      continue;
    }
    if (o.scope === DEFAULTS_SCOPE && o.key === 'quietHours') {
      const q = o.value as StoredQuiet;
      if (q === false) delete out.quietHours;
      else if (typeof q === 'object' && typeof q.startMin === 'number' && typeof q.endMin === 'number')
        out.quietHours = {
          startMin: q.startMin,
          endMin: q.endMin,
          offsetMin: base.quietHours?.offsetMin ?? 480,
        };
      continue;
    }
    if (!(EDITABLE_ACCOUNT_KEYS as readonly string[]).includes(o.key) || !validType(o.key, o.value)) continue;
    const target = (
      o.scope === DEFAULTS_SCOPE ? out.defaults : (out.accounts[o.scope] ??= {})
    ) as Partial<ServiceSettings> & Record<string, unknown>;
    if ((TARGET_KEYS as readonly string[]).includes(o.key) && o.scope !== DEFAULTS_SCOPE) {
      // The console names this account's bot: the file's choice of bot or chatflow gives way.
      if (o.key !== 'appId')
        for (const k of TARGET_KEYS) if (k !== o.key && !hasOverride(overrides, o.scope, k)) delete target[k];
    }
    target[o.key] = o.value;
  }
  return out;
}

function hasOverride(overrides: Override[], scope: string, key: string): boolean {
  return overrides.some(
    (o) => o.scope === scope && o.key === key && o.value !== null && o.value !== undefined,
  );
}

/** On/off settings: stored as JSON true/false. */
export const SWITCH_KEYS: readonly string[] = ['waitNotice', 'survey'];

function validType(key: string, v: unknown): boolean {
  if (key === 'welcomeMenu' || key === 'handoffKeywords')
    return Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (SWITCH_KEYS.includes(key)) return typeof v === 'boolean';
  if (key === 'waitNoticeMs') return typeof v === 'number' && Number.isFinite(v);
  return typeof v === 'string';
}
