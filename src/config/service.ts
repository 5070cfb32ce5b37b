import type { ConfigProblem } from './types.js';

/** How one customer-service account behaves: which bot answers, how it greets and hands over. */
export interface ServiceSettings {
  /** The Coze bot or chatflow of this account; unset = the global COZE_BOT_ID / COZE_WORKFLOW_ID. */
  botId?: string;
  workflowId?: string;
  appId?: string;
  welcomeText?: string;
  /** Buttons under the welcome text (a msgmenu of click items). */
  welcomeMenu: string[];
  handoffKeywords: string[];
  handoffText: string;
  /** A servicer userid to hand over to (state 3); unset = the queue (state 2). */
  handoffServicer?: string;
  /** Offer Coze's follow-up suggestions as a clickable menu. */
  followUpMenu: boolean;
}

export interface ServiceConfig {
  defaults: ServiceSettings;
  /** Per open_kfid overrides (WXCOZE_ACCOUNTS). */
  accounts: Record<string, Partial<ServiceSettings> & { name?: string }>;
  /** A marker the bot may put in its answer to ask for a human; removed before sending. */
  handoffMarker: string;
  resetCommand: string;
  resetText: string;
  voiceText: string;
  /** Outside service hours the AI is quiet; `quietText` is sent once per customer per interval. */
  quietHours?: { startMin: number; endMin: number; offsetMin: number };
  quietText: string;
  /** A notice (Coze unreachable, quiet hours) goes to one customer at most once in this time. */
  noticeIntervalMs: number;
}

const list = (v: string | undefined) => (v ?? '').split(/[,，]/).map((s) => s.trim()).filter(Boolean);

function parseHHMM(s: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  const h = Number(m[1]), min = Number(m[2]);
  return h < 24 && min < 60 ? h * 60 + min : undefined;
}

function parseOffset(s: string): number | undefined {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(s.trim());
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : undefined;
}

const ACCOUNT_KEYS = new Set(['name', 'botId', 'workflowId', 'appId', 'welcomeText', 'welcomeMenu', 'handoffKeywords', 'handoffText', 'handoffServicer', 'followUpMenu']);

/** Reads the customer-service settings; every problem is reported, never thrown. */
export function loadServiceConfig(get: (key: string) => string | undefined, problems: ConfigProblem[]): ServiceConfig {
  const keywords = get('WXCOZE_HANDOFF_KEYWORDS');
  const defaults: ServiceSettings = {
    ...(get('WXCOZE_WELCOME_TEXT') ? { welcomeText: get('WXCOZE_WELCOME_TEXT') } : {}),
    welcomeMenu: list(get('WXCOZE_WELCOME_MENU')),
    handoffKeywords: keywords === undefined ? ['转人工', '人工客服'] : list(keywords),
    handoffText: get('WXCOZE_HANDOFF_TEXT') ?? '正在为您转接人工客服，请稍候。',
    ...(get('WXCOZE_HANDOFF_SERVICER') ? { handoffServicer: get('WXCOZE_HANDOFF_SERVICER') } : {}),
    followUpMenu: /^(1|true|on|yes)$/i.test(get('WXCOZE_FOLLOWUP_MENU') ?? ''),
  };
  if (defaults.welcomeMenu.length > 10) problems.push({ key: 'WXCOZE_WELCOME_MENU', problem: 'WXCOZE_WELCOME_MENU has more than 10 buttons', fix: 'WeCom menus hold at most 10 items; keep the first 10.' });

  let accounts: ServiceConfig['accounts'] = {};
  const raw = get('WXCOZE_ACCOUNTS');
  if (raw) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      for (const [kf, v] of Object.entries(parsed as Record<string, unknown>)) {
        if (!v || typeof v !== 'object') throw new Error(`${kf}: settings must be an object`);
        for (const k of Object.keys(v)) if (!ACCOUNT_KEYS.has(k)) throw new Error(`${kf}: unknown setting "${k}" (known: ${[...ACCOUNT_KEYS].join(', ')})`);
        const a = v as Record<string, unknown>;
        if (a.botId && a.workflowId) throw new Error(`${kf}: set botId or workflowId, not both`);
        for (const idKey of ['botId', 'workflowId', 'appId']) if (a[idKey] !== undefined && !/^\d{5,25}$/.test(String(a[idKey]))) throw new Error(`${kf}: ${idKey} must be a Coze id (digits)`);
      }
      accounts = parsed as ServiceConfig['accounts'];
    } catch (err) {
      problems.push({ key: 'WXCOZE_ACCOUNTS', problem: `WXCOZE_ACCOUNTS is not valid: ${(err as Error).message}`, fix: 'Give a JSON object keyed by open_kfid, e.g. {"wkAAA…":{"botId":"7379…","welcomeText":"您好"}}. See the README, "Several accounts".' });
    }
  }

  let quietHours: ServiceConfig['quietHours'];
  const quiet = get('WXCOZE_QUIET_HOURS');
  if (quiet) {
    const [a, b] = quiet.split('-');
    const startMin = a ? parseHHMM(a) : undefined;
    const endMin = b ? parseHHMM(b) : undefined;
    const offsetMin = parseOffset(get('WXCOZE_UTC_OFFSET') ?? '+08:00');
    if (startMin === undefined || endMin === undefined || offsetMin === undefined) {
      problems.push({ key: 'WXCOZE_QUIET_HOURS', problem: `WXCOZE_QUIET_HOURS=${JSON.stringify(quiet)} is not like 22:00-08:00 (or WXCOZE_UTC_OFFSET is not like +08:00)`, fix: 'Write the quiet period as HH:MM-HH:MM in the business\'s local time; set WXCOZE_UTC_OFFSET if that is not UTC+8.' });
    } else quietHours = { startMin, endMin, offsetMin };
  }

  const interval = Number(get('WXCOZE_NOTICE_INTERVAL_MS') ?? 3_600_000);
  if (!Number.isInteger(interval) || interval < 0) problems.push({ key: 'WXCOZE_NOTICE_INTERVAL_MS', problem: 'WXCOZE_NOTICE_INTERVAL_MS is not a whole number of milliseconds', fix: 'Use e.g. 3600000 (one hour).' });

  return {
    defaults,
    accounts,
    handoffMarker: get('WXCOZE_HANDOFF_MARKER') ?? '[[转人工]]',
    resetCommand: get('WXCOZE_RESET_COMMAND') ?? '/reset',
    resetText: get('WXCOZE_RESET_TEXT') ?? '好的，我们重新开始吧。请问有什么可以帮您？',
    voiceText: get('WXCOZE_VOICE_TEXT') ?? '抱歉，暂时听不清语音，请用文字描述您的问题。',
    ...(quietHours ? { quietHours } : {}),
    quietText: get('WXCOZE_QUIET_TEXT') ?? '您好，现在是非工作时间，我们会在工作时间尽快回复您。',
    noticeIntervalMs: Number.isInteger(interval) && interval >= 0 ? interval : 3_600_000,
  };
}

/** The settings of one account: its overrides on top of the defaults. */
export function settingsFor(service: ServiceConfig, openKfId: string): ServiceSettings {
  const o = service.accounts[openKfId] ?? {};
  const merged = { ...service.defaults, ...o };
  // A per-account bot replaces the global target entirely.
  if (o.botId) { delete merged.workflowId; delete merged.appId; }
  if (o.workflowId) delete merged.botId;
  return merged;
}

/** Whether `now` falls inside the quiet period (which may wrap past midnight). */
export function inQuietHours(q: ServiceConfig['quietHours'], now: number): boolean {
  if (!q) return false;
  const local = ((Math.floor(now / 60_000) + q.offsetMin) % 1440 + 1440) % 1440;
  return q.startMin <= q.endMin ? local >= q.startMin && local < q.endMin : local >= q.startMin || local < q.endMin;
}
