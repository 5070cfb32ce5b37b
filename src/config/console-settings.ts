/**
 * The console's settings page, as a domain: which settings an owner may change there, their
 * values now and where each comes from (the console or the config file), and validating a change
 * with the SAME schemas the config file goes through (`accountSchema` for an account,
 * each variable's own schema for the defaults). Secrets are listed masked, never editable.
 * Main thread only (it loads zod); the pipeline applies the saved values (src/config/service-overrides.ts).
 */
import type { z } from 'zod';
import { maskWebhookUrl } from './webhook-url.js';
import type { ConsoleSettingsStore } from '../store/console-types.js';
import {
  ACCOUNT_SETTINGS,
  accountSchema,
  describeIssue,
  SETTINGS,
  type Setting,
  type SettingName,
} from './schema.js';
import {
  applyOverrides,
  DEFAULTS_SCOPE,
  EDITABLE_ACCOUNT_KEYS,
  type Override,
  SWITCH_KEYS,
  type StoredQuiet,
} from './service-overrides.js';
import type { WxcozeConfig } from './types.js';

export { DEFAULTS_SCOPE } from './service-overrides.js';

export type FieldKind = 'text' | 'longtext' | 'list' | 'id' | 'quiet' | 'choice';

export interface FieldInfo {
  key: string;
  /** The variable whose schema and meaning it shares. */
  env: string;
  kind: FieldKind;
  /** `defaults`: once for every account; `account`: per account (and as a default); `bot`: per account only. */
  where: 'global' | 'both' | 'account';
  doc: string;
  /** For `choice`: the values allowed. */
  choices?: string[];
}

/** handoffTo exists once the takeover part of the console adds it to ACCOUNT_SETTINGS. */
const accountEnv = (key: string): SettingName | undefined =>
  (ACCOUNT_SETTINGS as Record<string, SettingName>)[key];

function kindOf(key: string): FieldKind {
  if (key === 'welcomeMenu' || key === 'handoffKeywords') return 'list';
  if (key === 'botId' || key === 'workflowId' || key === 'appId') return 'id';
  if (
    key === 'welcomeText' ||
    key === 'handoffText' ||
    key === 'quietText' ||
    key === 'waitNoticeText' ||
    key === 'surveyText'
  )
    return 'longtext';
  if (key === 'handoffTo' || SWITCH_KEYS.includes(key)) return 'choice';
  return 'text';
}

/** The fields of the settings page, in its order. */
export function editableFields(): FieldInfo[] {
  const out: FieldInfo[] = [];
  for (const key of EDITABLE_ACCOUNT_KEYS) {
    const env = accountEnv(key);
    if (!env) continue;
    const s: Setting = SETTINGS[env];
    // A switch is offered as on/off; the values are what its schema reads (and what the page shows).
    const choices = SWITCH_KEYS.includes(key) ? ['true', 'false'] : choicesOf(s.schema);
    out.push({
      key,
      env,
      kind: kindOf(key),
      where: kindOf(key) === 'id' ? 'account' : 'both',
      doc: s.doc,
      ...(choices ? { choices } : {}),
    });
  }
  out.push(
    {
      key: 'quietHours',
      env: 'WXCOZE_QUIET_HOURS',
      kind: 'quiet',
      where: 'global',
      doc: SETTINGS.WXCOZE_QUIET_HOURS.doc,
    },
    {
      key: 'quietText',
      env: 'WXCOZE_QUIET_TEXT',
      kind: 'longtext',
      where: 'global',
      doc: SETTINGS.WXCOZE_QUIET_TEXT.doc,
    },
  );
  return out;
}

/** An enum's values (for a choice field), read from the schema itself. */
function choicesOf(schema: z.ZodType): string[] | undefined {
  const opts = (schema as { options?: unknown }).options;
  return Array.isArray(opts) && opts.every((o) => typeof o === 'string') ? opts : undefined;
}

// ── Values now ──

export interface FieldValue {
  key: string;
  /** What the pipeline answers with now, as the form shows it (lists as arrays, quiet hours as text). */
  value: unknown;
  /** The config file's (or the built-in default's) value. */
  fileValue: unknown;
  source: 'console' | 'file';
  updatedAt?: number;
  updatedBy?: string | null;
}

export interface SettingsView {
  fields: FieldInfo[];
  /** '*' first (the defaults of every account), then each account. */
  scopes: { scope: string; name?: string; values: FieldValue[] }[];
  /** Secrets: shown masked, changed only in the config file. */
  secrets: { env: string; set: boolean; masked: string }[];
}

const fmtHHMM = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
export const quietText = (q: { startMin: number; endMin: number } | undefined | false): string =>
  q ? `${fmtHHMM(q.startMin)}-${fmtHHMM(q.endMin)}` : '';

/** The page's data: every editable field of every account, with where its value comes from. */
export async function settingsView(
  config: WxcozeConfig,
  store: ConsoleSettingsStore,
  accounts: { openKfId: string; name?: string }[],
): Promise<SettingsView> {
  const rows = await store.list();
  const live = applyOverrides(config.service, rows);
  const fields = editableFields();
  const row = (scope: string, key: string) =>
    rows.find((r) => r.scope === scope && r.key === key && r.value !== null && r.value !== undefined);
  const scopeValues = (scope: string): FieldValue[] =>
    fields
      .filter((f) => (scope === DEFAULTS_SCOPE ? f.where !== 'account' : f.where !== 'global'))
      .map((f) => {
        const r = row(scope, f.key);
        let value: unknown, fileValue: unknown;
        if (f.key === 'quietHours') {
          value = quietText(live.quietHours);
          fileValue = quietText(config.service.quietHours);
        } else if (f.key === 'quietText') {
          value = live.quietText;
          fileValue = config.service.quietText;
        } else if (scope === DEFAULTS_SCOPE) {
          value = (live.defaults as unknown as Record<string, unknown>)[f.key];
          fileValue = (config.service.defaults as unknown as Record<string, unknown>)[f.key];
        } else {
          const fileAcc = (config.service.accounts[scope] ?? {}) as Record<string, unknown>;
          const liveAcc = (live.accounts[scope] ?? {}) as Record<string, unknown>;
          const dflt = (live.defaults as unknown as Record<string, unknown>)[f.key];
          value = liveAcc[f.key] ?? dflt;
          fileValue =
            fileAcc[f.key] ?? (config.service.defaults as unknown as Record<string, unknown>)[f.key];
        }
        return {
          key: f.key,
          value: value ?? null,
          fileValue: fileValue ?? null,
          source: r ? 'console' : 'file',
          ...(r ? { updatedAt: r.updatedAt, updatedBy: r.updatedBy } : {}),
        };
      });
  return {
    fields,
    scopes: [
      { scope: DEFAULTS_SCOPE, values: scopeValues(DEFAULTS_SCOPE) },
      ...accounts.map((a) => ({
        scope: a.openKfId,
        ...((a.name ?? config.service.accounts[a.openKfId]?.name)
          ? { name: a.name ?? config.service.accounts[a.openKfId]?.name }
          : {}),
        values: scopeValues(a.openKfId),
      })),
    ],
    secrets: secretsOf(config),
  };
}

/** "••••" and at most the last 4 characters of a long secret (enough to tell two apart, never enough to use). */
export function mask(v: string | undefined): string {
  if (!v) return '';
  return v.length >= 16 ? `••••••${v.slice(-4)}` : '••••••';
}

/** A URL's password masked; the rest (host, database) is not secret and helps to recognise it. */
function maskUrl(v: string | undefined): string {
  if (!v) return '';
  try {
    const u = new URL(v);
    if (u.password) u.password = '••••••';
    return u.toString();
  } catch {
    return mask(v);
  }
}

function secretsOf(config: WxcozeConfig): SettingsView['secrets'] {
  const list: [string, string | undefined, (v: string | undefined) => string][] = [
    ['WECOM_SECRET', config.wecom.secret, mask],
    ['WECOM_TOKEN', config.wecom.token, mask],
    ['WECOM_ENCODING_AES_KEY', config.wecom.encodingAesKey, mask],
    ['COZE_API_TOKEN', config.coze.apiToken, mask],
    // The OAuth app's key stays in its file; the page shows where (the path is no secret).
    ['COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH', config.coze.oauth?.privateKeyFile, (v) => v ?? ''],
    ['WXCOZE_DATABASE_URL', config.store.databaseUrl, maskUrl],
    ['WXCOZE_REDIS_URL', config.store.redisUrl, maskUrl],
    ['WXCOZE_METRICS_TOKEN', config.server.metricsToken, mask],
    ['WXCOZE_ALERT_WEBHOOK', config.alerts.webhook, maskWebhookUrl],
    [
      'WXCOZE_API_KEYS',
      config.apiKeys.length ? config.apiKeys.join(',') : undefined,
      (v) => (v ? `${config.apiKeys.length} × ••••••` : ''),
    ],
  ];
  return list.map(([env, v, m]) => ({ env, set: Boolean(v), masked: m(v) }));
}

// ── Validating a change ──

/** One change from the page: `value` null = follow the config file again. */
export interface ChangeInput {
  scope: string;
  key: string;
  value: string | string[] | null;
}

export interface ChangeProblem {
  scope: string;
  key: string;
  /** The schema's words (English), as the config file's checks say them. */
  problem: string;
  /** The same in Chinese where known. */
  problemZh: string;
}

/** The schema's messages in Chinese (the page shows the owner's language; unknown ones stay English). */
const ZH: [RegExp, string][] = [
  [/has more than 10 buttons/, '按钮最多 10 个'],
  [/must be a list/, '应为用逗号分隔的多项文字'],
  [/must be text in quotes/, '应为文字'],
  [/is not a Coze id/, '不是扣子（Coze）的 ID：只能是数字'],
  [/must be the id as text/, '应为文字形式的 ID'],
  [/is not like 22:00-08:00/, '格式应为 22:00-08:00（留空表示全天回复）'],
  [/sets botId and workflowId/, '智能体 ID 与工作流 ID 只能填一个'],
  [/has an unknown setting/, '含有未知的设置项'],
  [/is not one of|Invalid option/i, '不是可选的值'],
];
const zhOf = (problem: string) => ZH.find(([re]) => re.test(problem))?.[1] ?? problem;

/**
 * Checks the changes with the config file's schemas and turns them into the values to store; on
 * any problem nothing is returned to store. `accounts`: the open_kfids a change may name.
 */
export function validateChanges(
  input: ChangeInput[],
  accounts: string[],
  current: Override[],
): { ok: true; changes: Override[] } | { ok: false; problems: ChangeProblem[] } {
  const fields = new Map(editableFields().map((f) => [f.key, f]));
  const problems: ChangeProblem[] = [];
  const refuse = (scope: string, key: string, problem: string) =>
    problems.push({ scope, key, problem, problemZh: zhOf(problem) });
  const changes: Override[] = [];
  const perAccount = new Map<string, Record<string, unknown>>();
  for (const c of input) {
    const f = fields.get(c.key);
    if (!f) {
      refuse(c.scope, c.key, `"${c.key}" cannot be changed in the console`);
      continue;
    }
    if (c.scope !== DEFAULTS_SCOPE && !accounts.includes(c.scope)) {
      refuse(c.scope, c.key, `unknown account "${c.scope}"`);
      continue;
    }
    const forAll = c.scope === DEFAULTS_SCOPE;
    if ((f.where === 'global' && !forAll) || (f.where === 'account' && forAll)) {
      refuse(c.scope, c.key, `"${c.key}" is set ${forAll ? 'per account' : 'once for every account'}`);
      continue;
    }
    if (c.value === null) {
      changes.push({ scope: c.scope, key: c.key, value: null });
      continue;
    }
    const raw = typeof c.value === 'string' ? c.value.trim() : c.value;
    if (f.key === 'quietHours') {
      if (raw === '' || (typeof raw === 'string' && /^(off|关|关闭|无)$/i.test(raw))) {
        changes.push({ scope: c.scope, key: c.key, value: false satisfies StoredQuiet });
        continue;
      }
      const r = SETTINGS.WXCOZE_QUIET_HOURS.schema.safeParse(raw);
      if (r.success) changes.push({ scope: c.scope, key: c.key, value: r.data satisfies StoredQuiet });
      else refuse(c.scope, c.key, r.error.issues.map((i) => describeIssue(i, f.env, raw).problem).join('; '));
      continue;
    }
    if (f.kind === 'id' && raw === '') {
      // An empty id means "no bot of its own": follow the file (or the global bot) again.
      changes.push({ scope: c.scope, key: c.key, value: null });
      continue;
    }
    if (c.scope === DEFAULTS_SCOPE) {
      const s: Setting = SETTINGS[f.env as SettingName];
      const r = s.schema.safeParse(raw);
      if (r.success) changes.push({ scope: c.scope, key: c.key, value: r.data });
      else refuse(c.scope, c.key, r.error.issues.map((i) => describeIssue(i, f.env, raw).problem).join('; '));
    } else {
      const acc = perAccount.get(c.scope) ?? {};
      acc[c.key] = raw;
      perAccount.set(c.scope, acc);
    }
  }
  // Each account's changes go through WXCOZE_ACCOUNTS' own schema together with what the
  // console already holds for it, so a bot id and a chatflow id never end up both set.
  for (const [scope, acc] of perAccount) {
    const held: Record<string, unknown> = {};
    for (const o of current)
      if (o.scope === scope && o.value !== null && !(o.key in acc) && accountEnv(o.key))
        held[o.key] = o.value;
    const cleared = new Set(
      input.filter((c) => c.scope === scope && (c.value === null || c.value === '')).map((c) => c.key),
    );
    for (const k of cleared) delete held[k];
    const r = accountSchema.safeParse({ ...held, ...acc });
    if (!r.success) {
      for (const issue of r.error.issues) {
        const key = issue.path.map(String)[0] ?? Object.keys(acc)[0] ?? '';
        refuse(scope, key, describeIssue(issue, key, acc[key]).problem);
      }
      continue;
    }
    const data = r.data as Record<string, unknown>;
    for (const key of Object.keys(acc)) changes.push({ scope, key, value: data[key] ?? null });
  }
  return problems.length ? { ok: false, problems } : { ok: true, changes };
}

/**
 * Validates and saves the changes, then has this instance's pipeline apply them at once (the
 * others notice the new version within seconds). Returns the problems instead when any is invalid.
 */
export async function saveSettings(
  deps: { store: ConsoleSettingsStore; reloadPipeline: () => Promise<void> },
  input: ChangeInput[],
  accounts: string[],
  by: string | null,
  now: number,
): Promise<{ ok: true; version: number } | { ok: false; problems: ChangeProblem[] }> {
  const current = await deps.store.list();
  const v = validateChanges(input, accounts, current);
  if (!v.ok) return v;
  const version = await deps.store.save(v.changes, by, now);
  await deps.reloadPipeline();
  return { ok: true, version };
}
