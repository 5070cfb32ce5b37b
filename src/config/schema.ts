/**
 * Every setting wxcoze reads, declared once: its variable name, the older Python bridge's names for
 * it, its default, how its text becomes a value (a zod schema whose error messages say what is
 * wrong), how to fix a bad value, and the line the README's settings table shows. `loadConfig`
 * reads through these, `WXCOZE_ACCOUNTS` validates its per-account settings with the same schemas,
 * `wxcoze init` and `doctor` use `settingProblem`, and `npm run docs:settings` writes the README table.
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';

/** The settings object's value type of a setting. */
export interface Setting<T = unknown> {
  /** Canonical variable name. */
  env: string;
  /** The older bridge's names, tried after the canonical one. */
  aliases: readonly string[];
  /** Text (from the environment, .env or config.json) or, for per-account settings, JSON → value. */
  schema: z.ZodType<T>;
  /** The value when unset (or invalid); undefined = none. */
  default: T | undefined;
  /** The README's default column when `default` alone does not say it (a derived default, "off"). */
  defaultDoc?: string;
  /** The README's meaning column. */
  doc: string;
  /** What to do about an invalid value (an issue may carry its own in `params.fix`). */
  fix: string;
  /** Set when the setting must be given: what to do when it is missing. */
  required?: string;
  /** Never quoted in a problem (it ends up in terminals and logs). */
  secret?: boolean;
}

/** A setting; `D` records whether it has a default, so its value's type says whether it may be undefined. */
function setting<T, D extends T | undefined = undefined>(
  s: Omit<Setting<T>, 'aliases' | 'default'> & { aliases?: readonly string[]; default?: D },
): Setting<T> & { default: D } {
  return { ...s, aliases: s.aliases ?? [], default: s.default as D };
}

// ── Value kinds: each schema's messages complete the sentence "<NAME>=<value> …". ──

const intIn = (min: number, max: number) => {
  const error = `is not a whole number from ${min} to ${max}`;
  return z
    .string({ error })
    .transform(Number)
    .refine((n) => Number.isInteger(n) && n >= min && n <= max, { error });
};
const intFix = (env: string, min: number, max: number, dflt: number) =>
  `Set ${env} to a number between ${min} and ${max}, or remove it to use ${dflt}.`;

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** A size in bytes written `10MB`, `500 KB`, `1.5GB` (units of 1024) or a number of bytes, within [min, max]. */
const byteSize = (min: number, max: number) => {
  const error = `is not a size from 1KB to ${max / 1024 ** 3}GB (e.g. 10MB, 500KB)`;
  return z.string({ error }).transform((v, ctx) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
    const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
    const n = m && unit ? Math.round(Number(m[1]) * unit) : NaN;
    if (!(n >= min && n <= max)) {
      ctx.issues.push({ code: 'custom', input: v, message: error });
      return z.NEVER;
    }
    return n;
  });
};

/** An http(s) base URL; trailing slashes dropped. */
const httpUrl = () =>
  z
    .string({ error: 'is not an http(s) URL' })
    .refine(
      (v) => {
        try {
          const u = new URL(v);
          return u.protocol === 'http:' || u.protocol === 'https:';
        } catch {
          return false;
        }
      },
      { error: 'is not an http(s) URL' },
    )
    .transform((v) => v.replace(/\/+$/, ''));

/** Plain text (a per-account setting given as a number or list is refused). */
const text = () => z.string({ error: 'must be text in quotes' });

export const BOOL_WORDS = { truthy: ['true', '1', 'yes', 'on'], falsy: ['false', '0', 'no', 'off'] };
const BOOL_ERROR = 'is neither on nor off: write true or false (1/0, yes/no and on/off work too)';
/** On or off: JSON true/false, or exactly one of the words above (any case); anything else is refused. */
const onOff = () =>
  z.union([z.boolean(), z.stringbool({ ...BOOL_WORDS, case: 'insensitive', error: BOOL_ERROR })], {
    error: BOOL_ERROR,
  });

/** Splits on ASCII and full-width commas (a Chinese keyboard types "，"). */
export const splitList = (v: string): string[] =>
  v
    .split(/[,，]/)
    .map((s) => s.trim())
    .filter(Boolean);
/**
 * A list: a JSON array of texts, or one comma-separated text (so `"handoffKeywords":"人工"` in
 * WXCOZE_ACCOUNTS means ["人工"], exactly as WXCOZE_HANDOFF_KEYWORDS=人工 does).
 */
const list = (max?: { count: number; error: string }) => {
  const error = 'must be a list: texts separated by commas, or a JSON array of texts';
  const base = z.union(
    [
      z.array(z.string()).transform((a) => a.map((s) => s.trim()).filter(Boolean)),
      z.string().transform(splitList),
    ],
    { error },
  );
  return max ? base.refine((a) => a.length <= max.count, { error: max.error }) : base;
};

const COZE_ID_RE = /^\d{5,25}$/;
/** A Coze bot/workflow/app id: digits, as text (a JSON number that long would lose digits). */
const cozeId = () =>
  z
    .string({ error: 'must be the id as text in quotes (a long JSON number loses digits)' })
    .regex(COZE_ID_RE, { error: 'is not a Coze id (digits only)' });
const cozeIdFix = 'Copy the id from the Coze console URL; it is a long number.';

/**
 * What is wrong with an EncodingAESKey, or undefined when it is 43 letters or digits. Names the
 * first character that is not one (a `+` or `/` from a base64 tool, a space, a quote) and its position.
 */
export function encodingAesKeyProblem(key: string): string | undefined {
  const bad = [...key].findIndex((c) => !/[A-Za-z0-9]/.test(c));
  if (bad >= 0) {
    const c = [...key][bad]!;
    const shown = c === ' ' ? 'a space' : /\s/.test(c) ? `a ${JSON.stringify(c).slice(1, -1)}` : `"${c}"`;
    return `must be 43 letters or digits, but character ${bad + 1} of ${[...key].length} is ${shown}`;
  }
  if (key.length !== 43) return `must be exactly 43 letters or digits (it has ${key.length})`;
  return undefined;
}

/** A DNS name Caddy can get a certificate for: labels of letters, digits and hyphens, at least one dot. */
export function isDomainName(v: string): boolean {
  return /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/i.test(v);
}

export const MODEL_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const TRUST_HEADERS = ':trust-headers';
const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

/** One key of the OpenAI-compatible API (see types.ts `ApiKey`). */
interface ParsedKey {
  key: string;
  trustHeaders: boolean;
  tenant?: string;
}

/**
 * `WXCOZE_API_KEYS`: comma-separated keys; `key@tenant` puts keys in one tenant (they share their
 * users), and a key followed by `:trust-headers` may name its user in Open-WebUI's forwarded
 * headers (`sk-a@shop:trust-headers`). Problems never quote a key. A bad key is left out; the others work.
 */
const apiKeys = () =>
  z.string().transform((raw, ctx) => {
    const out: ParsedKey[] = [];
    const refuse = (message: string, fix: string) =>
      ctx.issues.push({ code: 'custom', input: raw, message, params: { fix }, continue: true });
    for (const [i, entry] of raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .entries()) {
      let key = entry;
      let trustHeaders = false;
      if (key.endsWith(TRUST_HEADERS)) {
        key = key.slice(0, -TRUST_HEADERS.length);
        trustHeaders = true;
      } else if (/:[a-z][a-z-]*$/.test(key)) {
        refuse(
          `key #${i + 1} in WXCOZE_API_KEYS ends with an unknown mark "${key.slice(key.lastIndexOf(':'))}"`,
          'The only mark is ":trust-headers" (e.g. WXCOZE_API_KEYS=sk-abc,sk-def:trust-headers).',
        );
        continue;
      }
      let tenant: string | undefined;
      const at = key.lastIndexOf('@');
      if (at >= 0) {
        tenant = key.slice(at + 1);
        key = key.slice(0, at);
        if (!TENANT_RE.test(tenant)) {
          refuse(
            `key #${i + 1} in WXCOZE_API_KEYS names the tenant ${JSON.stringify(tenant)}, which is not 1–32 letters, digits, ".", "_" or "-"`,
            'Write key@tenant with a short name, e.g. WXCOZE_API_KEYS=sk-abc@shop,sk-def@shop:trust-headers (keys must not contain "@").',
          );
          continue;
        }
      }
      if (key.length < 8 || /\s/.test(key)) {
        refuse(
          `key #${i + 1} in WXCOZE_API_KEYS is shorter than 8 characters or contains spaces`,
          'Use long random keys, e.g. `openssl rand -hex 24` prefixed with sk-.',
        );
        continue;
      }
      if (out.some((k) => k.key === key)) continue;
      out.push({ key, trustHeaders, ...(tenant ? { tenant } : {}) });
    }
    return out;
  });

/**
 * `WXCOZE_OPENAI_CORS_ORIGINS`: comma-separated browser origins (scheme://host[:port]) that may
 * call /v1 directly, e.g. Open-WebUI's direct connections. A bad entry is named and left out.
 */
const origins = () =>
  z.string().transform((raw, ctx) => {
    const out: string[] = [];
    for (const entry of raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      let origin: string | undefined;
      try {
        const u = new URL(entry);
        if ((u.protocol === 'http:' || u.protocol === 'https:') && u.origin === entry.replace(/\/+$/, ''))
          origin = u.origin;
      } catch {
        /* reported below */
      }
      if (!origin) {
        ctx.issues.push({
          code: 'custom',
          input: raw,
          message: `${JSON.stringify(entry)} in WXCOZE_OPENAI_CORS_ORIGINS is not an origin`,
          continue: true,
        });
        continue;
      }
      if (!out.includes(origin)) out.push(origin);
    }
    return out;
  });

function parseHHMM(s: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  const h = Number(m[1]),
    min = Number(m[2]);
  return h < 24 && min < 60 ? h * 60 + min : undefined;
}

const quietPeriod = () =>
  z.string().transform((v, ctx) => {
    const [a, b, extra] = v.split('-');
    const startMin = a ? parseHHMM(a) : undefined;
    const endMin = b ? parseHHMM(b) : undefined;
    if (startMin === undefined || endMin === undefined || extra !== undefined) {
      ctx.issues.push({ code: 'custom', input: v, message: 'is not like 22:00-08:00' });
      return z.NEVER;
    }
    return { startMin, endMin };
  });

const utcOffset = () =>
  z.string().transform((v, ctx) => {
    const m = /^([+-])(\d{2}):(\d{2})$/.exec(v);
    if (!m || Number(m[3]) >= 60) {
      ctx.issues.push({ code: 'custom', input: v, message: 'is not like +08:00' });
      return z.NEVER;
    }
    return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  });

/**
 * A day (YYYY-MM-DD: its start, in the business's offset, is reckoned in loadConfig) or an ISO time
 * with an offset or Z (an exact moment).
 */
export type ExpiryDate = { day: string } | { at: number };
const expiryDate = () =>
  z.string().transform((v, ctx): ExpiryDate => {
    const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
    if (day) {
      const d = new Date(`${v}T00:00:00Z`);
      if (!Number.isNaN(d.getTime()) && d.toISOString().startsWith(v)) return { day: v };
    } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v)) {
      const at = Date.parse(v);
      if (!Number.isNaN(at)) return { at };
    }
    ctx.issues.push({ code: 'custom', input: v, message: 'is not a date like 2025-07-31' });
    return z.NEVER;
  });

/** An absolute file path; `~/` is the home directory. */
const absolutePath = () =>
  z
    .string({ error: 'must be a path' })
    .transform((v) => (v.startsWith('~/') ? join(homedir(), v.slice(2)) : v))
    .refine((v) => isAbsolute(v), { error: 'is not a full path (it must start with /)' });

// ── Per-account settings in WXCOZE_ACCOUNTS share the schema of the variable they override. ──

/** Each per-account key and the variable whose schema (and meaning) it shares. */
export const ACCOUNT_SETTINGS = {
  botId: 'COZE_BOT_ID',
  workflowId: 'COZE_WORKFLOW_ID',
  appId: 'COZE_APP_ID',
  welcomeText: 'WXCOZE_WELCOME_TEXT',
  welcomeMenu: 'WXCOZE_WELCOME_MENU',
  handoffKeywords: 'WXCOZE_HANDOFF_KEYWORDS',
  handoffText: 'WXCOZE_HANDOFF_TEXT',
  handoffServicer: 'WXCOZE_HANDOFF_SERVICER',
  handoffTo: 'WXCOZE_HANDOFF_TO',
  followUpMenu: 'WXCOZE_FOLLOWUP_MENU',
  voiceReply: 'WXCOZE_VOICE_REPLY',
  voiceId: 'COZE_VOICE_ID',
  waitNotice: 'WXCOZE_WAIT_NOTICE',
  waitNoticeMs: 'WXCOZE_WAIT_NOTICE_MS',
  waitNoticeText: 'WXCOZE_WAIT_NOTICE_TEXT',
  survey: 'WXCOZE_SURVEY',
  surveyText: 'WXCOZE_SURVEY_TEXT',
} as const;

// ── The settings, in the README's order. ──

/** Paths the server answers itself: the console cannot live there. */
const RESERVED_PATHS = ['/wechat', '/v1', '/metrics', '/ping', '/models', '/chat'];

const int = (env: string, dflt: number, min: number, max: number, doc: string) =>
  setting({ env, schema: intIn(min, max), default: dflt, fix: intFix(env, min, max, dflt), doc });

/**
 * Milliseconds as text (a variable) or a JSON number (a per-account setting in WXCOZE_ACCOUNTS,
 * where `"waitNoticeMs": 5000` is the natural way to write it).
 */
const msIn = (min: number, max: number) => {
  const error = `is not a whole number of milliseconds from ${min} to ${max}`;
  return z
    .union([z.number(), z.string().transform(Number)], { error })
    .refine((n) => Number.isInteger(n) && n >= min && n <= max, { error });
};

/** A duration in minutes (decimals allowed, e.g. 0.5), 0 to a day. */
const minutesSetting = (env: string, dflt: number, doc: string) => {
  const error = 'is not a number of minutes from 0 to 1440';
  return setting({
    env,
    schema: z
      .string({ error })
      .transform(Number)
      .refine((n) => Number.isFinite(n) && n >= 0 && n <= 1440, { error }),
    default: dflt,
    fix: `Set ${env} to a number of minutes (e.g. ${dflt}; decimals allowed), or remove it to use ${dflt}.`,
    doc: `${doc} (minutes)`,
  });
};

export const SETTINGS = {
  WECOM_CORP_ID: setting({
    env: 'WECOM_CORP_ID',
    aliases: ['WEWORK_CORPID'],
    schema: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/, { error: 'does not look like a CorpID' }),
    required:
      'Copy the CorpID from the WeCom admin console: 我的企业 → 企业信息 → 企业ID (starts with "ww").',
    fix: 'The CorpID is letters and digits, usually 18 characters starting with "ww" (我的企业 → 企业信息 → 企业ID).',
    doc: 'CorpID (我的企业 → 企业信息), starts with `ww`',
  }),
  WECOM_SECRET: setting({
    env: 'WECOM_SECRET',
    aliases: ['WECOM_KF_SECRET', 'WEWORK_SECRET'],
    schema: text(),
    secret: true,
    required:
      'Copy the Secret of the self-built app that manages your kf account (应用管理 → your app → Secret), or the legacy 微信客服 secret.',
    fix: 'Copy the Secret exactly as the WeCom console shows it.',
    doc: 'secret of the self-built app that manages the kf account (or the legacy kf secret)',
  }),
  WECOM_TOKEN: setting({
    env: 'WECOM_TOKEN',
    aliases: ['WEWORK_TOKEN'],
    schema: z.string().regex(/^[A-Za-z0-9]{1,32}$/, { error: 'must be 1–32 letters or digits' }),
    secret: true,
    required:
      'Use the Token from the callback settings (接收消息 → 设置API接收), or run `wxcoze init` to generate one.',
    fix: 'Copy the Token exactly as the WeCom console shows it, or generate a new one with `wxcoze init`.',
    doc: 'callback Token (1–32 letters/digits)',
  }),
  WECOM_ENCODING_AES_KEY: setting({
    env: 'WECOM_ENCODING_AES_KEY',
    aliases: ['WEWORK_ENCODING_AES_KEY'],
    secret: true,
    schema: z.string().superRefine((v, ctx) => {
      const problem = encodingAesKeyProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    required:
      'Use the EncodingAESKey from the callback settings (43 characters), or run `wxcoze init` to generate one.',
    fix: 'Copy the EncodingAESKey exactly as the WeCom console shows it (no spaces or quotes), or generate one with `wxcoze init`.',
    doc: 'callback EncodingAESKey (43 characters)',
  }),
  WECOM_API_BASE: setting({
    env: 'WECOM_API_BASE',
    schema: httpUrl(),
    default: 'https://qyapi.weixin.qq.com',
    fix: 'Set WECOM_API_BASE to a base URL like https://qyapi.weixin.qq.com, or remove it.',
    doc: 'WeCom API base URL',
  }),
  WXCOZE_WECOM_PROXY: setting({
    env: 'WXCOZE_WECOM_PROXY',
    schema: httpUrl(),
    secret: true,
    fix: 'Set WXCOZE_WECOM_PROXY to an HTTP proxy URL such as http://user:password@203.0.113.7:3128, or remove it.',
    doc: "HTTP proxy (`http://[user:password@]host:port`) for WeCom API calls only, so WeCom sees the proxy's fixed address: add that address to 企业可信IP (errcode 60020; `wxcoze doctor` shows the address WeCom saw). Images fetched from links in answers never use it",
  }),
  COZE_API_TOKEN: setting({
    env: 'COZE_API_TOKEN',
    schema: text(),
    secret: true,
    // Required unless the OAuth app is set: loadConfig's rules between settings say so (COZE_AUTH_MISSING).
    defaultDoc: '— (required, unless the OAuth app below is set)',
    fix: 'Copy the token exactly as Coze shows it.',
    doc: 'Coze personal or service access token (a personal one expires after at most 30 days; the OAuth service app below does not)',
  }),
  WXCOZE_COZE_TOKEN_EXPIRES_AT: setting({
    env: 'WXCOZE_COZE_TOKEN_EXPIRES_AT',
    schema: expiryDate(),
    fix: 'Write the date the personal access token expires, as Coze showed it when it was made: YYYY-MM-DD (e.g. 2025-07-31), or an ISO time with its offset.',
    doc: "when `COZE_API_TOKEN` expires, as chosen when it was made (`YYYY-MM-DD`, the start of that day in `WXCOZE_UTC_OFFSET`, or an ISO time): `doctor` and the alerts warn a week before. Coze's API does not tell; `init` asks",
  }),
  COZE_JWT_OAUTH_CLIENT_ID: setting({
    env: 'COZE_JWT_OAUTH_CLIENT_ID',
    schema: cozeId(),
    fix: 'Copy the 应用 ID of the service app from Coze → API 管理 → 授权 → OAuth 应用.',
    doc: "OAuth service app (instead of `COZE_API_TOKEN`; tokens that never need renewing by hand): the app's id (应用 ID); the names are those of Coze's own SDK examples",
  }),
  COZE_JWT_OAUTH_PUBLIC_KEY_ID: setting({
    env: 'COZE_JWT_OAUTH_PUBLIC_KEY_ID',
    schema: z.string({ error: 'must be text' }).regex(/^[A-Za-z0-9_-]{8,128}$/, {
      error: 'is not a public key id (公钥指纹: letters, digits, - and _)',
    }),
    fix: "Copy the 公钥指纹 shown next to the key in the service app's settings (OAuth 应用 → 编辑).",
    doc: "OAuth service app: the public key's id (公钥指纹) of the key pair made in the app",
  }),
  COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH: setting({
    env: 'COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH',
    schema: absolutePath(),
    fix: 'Give the full path of private_key.pem, e.g. /home/you/.wxcoze/coze_private_key.pem (`wxcoze init` turns a relative one into it).',
    doc: 'OAuth service app: the full path of its `private_key.pem` (downloaded when the key pair was made), readable by its owner only (`chmod 600`): `start` refuses it otherwise, `doctor` says so',
  }),
  COZE_BOT_ID: setting({
    env: 'COZE_BOT_ID',
    schema: cozeId(),
    fix: cozeIdFix,
    doc: "bot mode: the bot's id (published to the API channel)",
  }),
  COZE_WORKFLOW_ID: setting({
    env: 'COZE_WORKFLOW_ID',
    schema: cozeId(),
    fix: cozeIdFix,
    doc: "chatflow mode, instead of a bot: the chatflow's id (with `COZE_APP_ID`)",
  }),
  COZE_APP_ID: setting({
    env: 'COZE_APP_ID',
    schema: cozeId(),
    fix: cozeIdFix,
    doc: 'chatflow mode: the id of the app the chatflow belongs to',
  }),
  COZE_API_BASE: setting({
    env: 'COZE_API_BASE',
    schema: httpUrl(),
    default: 'https://api.coze.cn',
    fix: 'Set COZE_API_BASE to a base URL like https://api.coze.cn, or remove it.',
    doc: '`https://api.coze.com` for coze.com accounts',
  }),
  COZE_TIMEOUT_MS: int(
    'COZE_TIMEOUT_MS',
    120_000,
    1_000,
    3_600_000,
    'longest silence in a Coze answer stream',
  ),
  COZE_MAX_ATTEMPTS: int('COZE_MAX_ATTEMPTS', 4, 1, 20, 'attempts at Coze per message before the apology'),
  PORT: int('PORT', 8000, 0, 65535, 'HTTP port'),
  WXCOZE_HOST: setting({
    env: 'WXCOZE_HOST',
    schema: text(),
    default: '127.0.0.1',
    fix: 'Set WXCOZE_HOST to an address of this machine, e.g. 127.0.0.1.',
    doc: 'listen address (Caddy in front terminates TLS)',
  }),
  WXCOZE_DATA_DIR: setting({
    env: 'WXCOZE_DATA_DIR',
    schema: text(),
    defaultDoc: '`~/.wxcoze`',
    fix: 'Set WXCOZE_DATA_DIR to a folder path.',
    doc: 'SQLite file, logs, config file',
  }),
  WXCOZE_DOMAIN: setting({
    env: 'WXCOZE_DOMAIN',
    schema: z
      .string()
      .transform((v) => v.toLowerCase())
      .refine(isDomainName, { error: 'is not a domain name' }),
    fix: 'Set WXCOZE_DOMAIN to the bare domain that points at this server, e.g. kf.example.com (no https://, no path).',
    doc: 'public domain Caddy serves; the callback URL is `https://<domain>/wechat/hook` (written by `init`)',
  }),
  WECOM_OPEN_KFID: setting({
    env: 'WECOM_OPEN_KFID',
    schema: text(),
    fix: 'Pick the kf account again with `wxcoze init`.',
    doc: "the kf account picked in `init`; `doctor` checks it is managed by the API. It and the keys of `WXCOZE_ACCOUNTS` are always served; any other `open_kfid` in a callback is served only once WeCom's `kf/account/list` names it for this app (cached, shared through Redis, refreshed at most once a minute): a made-up one is logged once and ignored, never stored or pulled; while the list cannot be fetched, its pull waits until the list answers",
  }),
  WXCOZE_API_KEYS: setting({
    env: 'WXCOZE_API_KEYS',
    schema: apiKeys(),
    default: [],
    defaultDoc: '— (API off)',
    secret: true,
    fix: 'Use long random keys, e.g. `openssl rand -hex 24` prefixed with sk-.',
    doc: 'comma-separated keys for the OpenAI-compatible API; `key:trust-headers` may forward Open-WebUI user headers; `key@tenant` puts keys in one tenant that shares its users (`sk-a@shop,sk-b@shop:trust-headers`; keys must not contain `@`)',
  }),
  WXCOZE_OPENAI_RATE_PER_KEY: int(
    'WXCOZE_OPENAI_RATE_PER_KEY',
    300,
    0,
    1_000_000,
    'API requests per minute per key (then 429 with `Retry-After`); `0` = no limit; shared through Redis when `WXCOZE_REDIS_URL` is set',
  ),
  WXCOZE_OPENAI_RATE_PER_IP: int(
    'WXCOZE_OPENAI_RATE_PER_IP',
    600,
    0,
    1_000_000,
    'API requests per minute per client address, counted before the key check (wrong keys too); behind Caddy the address comes from `X-Forwarded-For`, believed only from loopback; `0` = no limit',
  ),
  WXCOZE_OPENAI_CORS_ORIGINS: setting({
    env: 'WXCOZE_OPENAI_CORS_ORIGINS',
    schema: origins(),
    default: [],
    defaultDoc: '— (CORS off)',
    fix: 'List the exact origins of the browser pages that call /v1, e.g. https://chat.example.com,http://localhost:3000 (scheme, host and port; no path, no *).',
    doc: 'comma-separated browser origins allowed to call `/v1` directly (Open-WebUI "direct connections"), e.g. `https://chat.example.com`; never applies to `/wechat/hook`',
  }),
  WXCOZE_MODEL_ID: setting({
    env: 'WXCOZE_MODEL_ID',
    schema: z.string().regex(MODEL_ID_RE, { error: 'is not an ASCII model id' }),
    defaultDoc: '`coze-bot-<COZE_BOT_ID>` / `coze-flow-<COZE_WORKFLOW_ID>`',
    fix: 'Use 1–64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit (e.g. travel-bot); put the readable name in WXCOZE_MODEL_NAME.',
    doc: 'the model id OpenAI clients send (ASCII: letters, digits, `. _ : -`)',
  }),
  WXCOZE_MODEL_NAME: setting({
    env: 'WXCOZE_MODEL_NAME',
    schema: text(),
    defaultDoc: '`Coze bot <id>`',
    fix: 'Set WXCOZE_MODEL_NAME to a short readable name.',
    doc: "the model's readable name in Open-WebUI",
  }),
  WXCOZE_OPENAI_TASKS: setting({
    env: 'WXCOZE_OPENAI_TASKS',
    schema: z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(['bot', 'local'], { error: 'is neither "bot" nor "local"' })),
    default: 'bot' as 'bot' | 'local',
    fix: 'Set it to "local" to answer Open-WebUI title/tags/follow-up requests without Coze, or "bot" (the default) to ask the bot.',
    doc: 'Open-WebUI title/tags/follow-up requests: `bot` asks the bot as a separate background user, `local` answers them here without Coze',
  }),
  WXCOZE_OPENAI_KEEPALIVE_MS: int(
    'WXCOZE_OPENAI_KEEPALIVE_MS',
    15_000,
    100,
    600_000,
    'silence after which a stream gets a `: keep-alive` comment',
  ),
  // 5 MB: JSON.parse of a larger body holds the event loop past 50 ms (bench/RESULTS.md).
  WXCOZE_OPENAI_BODY_LIMIT: int(
    'WXCOZE_OPENAI_BODY_LIMIT',
    5 * 1024 * 1024,
    1024,
    100 * 1024 * 1024,
    "largest chat request (images arrive base64-encoded, so about a 3.7 MB photo), bytes; also the largest image. Parsing JSON is one uninterruptible step that grows with the body (3.5–7 ms per MB on an idle core; a 20 MB body held the server for 70–140 ms, during which no WeCom callback is answered): 5 MB keeps it near the 50 ms target (the bench's stall phase, bench/RESULTS.md). Raise it only if nobody else depends on this server's speed; Open-WebUI's image compression keeps photos small",
  ),
  WXCOZE_CONCURRENCY: int(
    'WXCOZE_CONCURRENCY',
    500,
    1,
    10_000,
    'most customers answered in parallel, and the ceiling of Coze chats at once: the number of chats adapts below it, growing while Coze accepts and halving when Coze throttles (4013/4019/4020/4028 or HTTP 429; the refused message waits and is sent again, never dropped); `wxcoze_coze_concurrency_limit` in /metrics shows it. Each chat in flight holds about 25 KB: 1,000 customers writing at once while Coze takes 5 s are all answered in about 13 s at a peak of about 146 MB RSS with 500, in about 9 s at about 156 MB with 1,000 (bench/RESULTS.md); no Coze plan a small business buys runs 500 chats at once',
  ),
  WXCOZE_PIPELINE_THREAD: setting({
    env: 'WXCOZE_PIPELINE_THREAD',
    schema: onOff(),
    default: true,
    defaultDoc: 'on',
    fix: 'Set WXCOZE_PIPELINE_THREAD to on or off (true/false, 1/0, yes/no), or remove it.',
    doc: "run the message pipeline (pulls, Coze, replies) in its own worker thread, so its work never waits in front of a WeCom callback's acknowledgement (a burst during many answers otherwise delays acks past WeCom's 5 s and WeCom retries them; bench/RESULTS.md). Off runs it on the HTTP thread: about 20 MB less memory",
  }),
  WXCOZE_PIPELINE_NICENESS: int(
    'WXCOZE_PIPELINE_NICENESS',
    0,
    0,
    19,
    "how much lower the pipeline thread's CPU priority is than the HTTP thread's (Linux nice steps): when both want the CPU, WeCom's callbacks are acknowledged first, and the pipeline still gets every idle cycle. 0 (the default) gives both the same priority: in the bench's bursts 5 made no difference to the acks (the kernel already runs a thread that mostly sleeps first) and lowered throughput when other work shared the box",
  ),
  WXCOZE_LEASE_MS: int(
    'WXCOZE_LEASE_MS',
    180_000,
    1_000,
    3_600_000,
    'how long a worker may hold a message before another takes it over (sooner when its instance stops beating: `WXCOZE_TAKEOVER_MS`)',
  ),
  WXCOZE_TAKEOVER_MS: int(
    'WXCOZE_TAKEOVER_MS',
    10_000,
    1_000,
    600_000,
    "how long an instance may miss its heartbeat (written to the database every third of this) before other instances take over the messages it holds; the instances' clocks must agree (NTP)",
  ),
  WXCOZE_IDLE_PULL_S: int(
    'WXCOZE_IDLE_PULL_S',
    60,
    0,
    86_400,
    'when no pull has happened for an account for this many seconds (no callback came), wxcoze pulls it anyway: one `sync_msg`, so a message whose callback was lost (server restarting, network blip, proxy down) is answered within about this time. One pull per account per interval across all instances; 0 = off',
  ),
  WXCOZE_INSTANCE_ID: setting({
    env: 'WXCOZE_INSTANCE_ID',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9._:@~-]{1,120}$/, { error: 'is not 1–120 letters, digits or . _ : @ ~ -' }),
    defaultDoc: '`<hostname>:<port>`',
    fix: 'Use a short name unique to this instance, e.g. bridge-1 (letters, digits, . _ : @ ~ -).',
    doc: 'who this instance is across restarts: a restarted instance takes its unfinished messages back at once. Unique per running instance: a start is refused while another live process uses the same id',
  }),
  WXCOZE_APOLOGY_TEXT: setting({
    env: 'WXCOZE_APOLOGY_TEXT',
    schema: text(),
    default: '抱歉，系统暂时无法回答，请稍后再试。',
    fix: 'Write the text to send.',
    doc: 'sent when Coze cannot answer after every retry',
  }),
  WXCOZE_UNSUPPORTED_TEXT: setting({
    env: 'WXCOZE_UNSUPPORTED_TEXT',
    schema: text(),
    default: '抱歉，暂时只能处理文字和图片消息，请用文字描述您的问题。',
    fix: 'Write the text to send.',
    doc: 'sent for a message Coze cannot take: video, an unknown type, an empty text, an unreadable image, media while a chatflow answers',
  }),
  WXCOZE_MAX_PARTS: int(
    'WXCOZE_MAX_PARTS',
    5,
    1,
    5,
    'most messages one answer is split into (WeCom allows 5 per customer message)',
  ),
  WXCOZE_RETRY_BASE_MS: int(
    'WXCOZE_RETRY_BASE_MS',
    1000,
    1,
    60_000,
    'first backoff step of every retry (Coze, WeCom sends, pulls, `kf/account/list`); doubles per attempt, capped; the account list is refreshed at most every 60 × this (capped at 1 min)',
  ),
  WXCOZE_BODY_LIMIT: int(
    'WXCOZE_BODY_LIMIT',
    64 * 1024,
    1024,
    10 * 1024 * 1024,
    'largest callback body accepted, bytes',
  ),
  WXCOZE_LOG_LEVEL: setting({
    env: 'WXCOZE_LOG_LEVEL',
    schema: text(),
    default: 'info',
    fix: 'Use one of trace, debug, info, warn, error.',
    doc: '`debug` also logs message bodies; nothing logs secrets',
  }),
  WXCOZE_LOG_MAX_SIZE: setting({
    env: 'WXCOZE_LOG_MAX_SIZE',
    schema: byteSize(1024, 1024 ** 3),
    default: 10 * 1024 * 1024,
    defaultDoc: '`10MB`',
    fix: 'Write a size such as 10MB, 500KB or 1GB (1 KB to 1 GB), or remove it to use 10MB.',
    doc: 'the log file (`<data dir>/logs/wxcoze.log`) is rotated before it grows past this: it becomes `wxcoze.log.1`, older ones move up. `KB`, `MB`, `GB` (×1024) or bytes',
  }),
  WXCOZE_LOG_FILES: int(
    'WXCOZE_LOG_FILES',
    10,
    2,
    1000,
    'how many log files are kept, the one being written included (the oldest is deleted at a rotation): at most this × WXCOZE_LOG_MAX_SIZE of logs',
  ),
  WXCOZE_DATABASE_URL: setting({
    env: 'WXCOZE_DATABASE_URL',
    secret: true,
    schema: z.string().regex(/^mysql:\/\/[^/]+\/[A-Za-z0-9_$-]+/, {
      error: 'is not a mysql://user:password@host:port/database URL',
    }),
    fix: 'Use e.g. mysql://wxcoze:secret@127.0.0.1:3306/wxcoze (MySQL or MariaDB), or unset it for the embedded SQLite store.',
    doc: '`mysql://user:pass@host:3306/db`: MySQL/MariaDB instead of the embedded SQLite file',
  }),
  WXCOZE_REDIS_URL: setting({
    env: 'WXCOZE_REDIS_URL',
    secret: true,
    schema: z.string().regex(/^rediss?:\/\/[^/]+/, { error: 'is not a redis:// URL' }),
    fix: 'Use e.g. redis://127.0.0.1:6379/0, or unset it to keep locks in-process (one instance only).',
    doc: '`redis://host:6379/0`: locks and the token cache shared by several instances',
  }),
  WXCOZE_REDIS_PREFIX: setting({
    env: 'WXCOZE_REDIS_PREFIX',
    schema: text(),
    default: 'wxcoze:',
    fix: 'Use a short prefix such as wxcoze:.',
    doc: 'prefix of every Redis key (two deployments can share one Redis)',
  }),
  // WeCom retries within ~20 s with the same signed URL; 10 min also forgives a clock a little off.
  WXCOZE_CALLBACK_MAX_SKEW_S: int(
    'WXCOZE_CALLBACK_MAX_SKEW_S',
    600,
    30,
    86_400,
    "a signed callback whose timestamp is further than this from the server's clock (either way) is refused with 400 and logged with the skew: old callbacks cannot be replayed. WeCom's retries come within ~20 s; a refused genuine callback means the clock is off (`wxcoze doctor` checks it)",
  ),
  WXCOZE_HEADERS_TIMEOUT_MS: int(
    'WXCOZE_HEADERS_TIMEOUT_MS',
    15_000,
    1_000,
    600_000,
    'a client that has not sent its request headers by then is disconnected (408)',
  ),
  // A 5 MB chat request over a 1 Mbit/s uplink takes ~45 s; WeCom's callbacks arrive in one packet.
  WXCOZE_REQUEST_TIMEOUT_MS: int(
    'WXCOZE_REQUEST_TIMEOUT_MS',
    120_000,
    1_000,
    3_600_000,
    'a client that has not sent its whole request (headers and body) by then is disconnected (408): a 5 MB chat request needs ~45 s at 1 Mbit/s, a WeCom callback milliseconds. Answers are not limited by it',
  ),
  WXCOZE_MAX_PENDING_PER_CLIENT: int(
    'WXCOZE_MAX_PENDING_PER_CLIENT',
    64,
    1,
    100_000,
    'slow requests (body still not in after 1 s) one client address may have at once (more get 429), and connections one address may hold. The address is the one Caddy forwards (`X-Forwarded-For`, believed only from loopback); loopback and private addresses (a proxy, a local Open-WebUI) are never capped, so a WeCom burst is never throttled. Behind a proxy on another host or in a Docker network only the timeouts apply',
  ),
  WXCOZE_METRICS_TOKEN: setting({
    env: 'WXCOZE_METRICS_TOKEN',
    schema: text(),
    secret: true,
    fix: 'Use a long random token, e.g. `openssl rand -hex 24`.',
    doc: "`/metrics` (Prometheus text: callbacks and their ack latency, pulls, inbox depth, answer latency, WeCom and Coze calls by errcode, budget refusals, handoffs, process figures) answers only this machine; with a token, also `Authorization: Bearer <token>` from elsewhere (the token also shows the drivers' own error texts in `/readyz`)",
  }),
  WXCOZE_READY_TIMEOUT_MS: int(
    'WXCOZE_READY_TIMEOUT_MS',
    2_000,
    100,
    30_000,
    '`/readyz` answers 503 when the database or Redis has not answered a trivial request within this time (one check serves every probe for 1 s, so probes cannot load the database)',
  ),
  // ── Alerts (src/ops/alerts/): off until a webhook is set. ──
  WXCOZE_ALERT_WEBHOOK: setting({
    env: 'WXCOZE_ALERT_WEBHOOK',
    schema: z.string({ error: 'is not an http(s) URL' }).refine(
      (v) => {
        try {
          const u = new URL(v);
          return u.protocol === 'http:' || u.protocol === 'https:';
        } catch {
          return false;
        }
      },
      { error: 'is not an http(s) URL' },
    ),
    secret: true,
    defaultDoc: '— (alerts off)',
    fix: "Copy the WeCom group robot's webhook address (群设置 → 群机器人 → 添加 → Webhook 地址, https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…), or the URL of a webhook that takes JSON; then `wxcoze alerts test`.",
    doc: 'where alerts go: a WeCom group robot (群机器人) webhook, or any URL taking a JSON POST (see "Alerts"). Contains a key: never logged, shown masked. `wxcoze alerts test` sends a sample',
  }),
  WXCOZE_ALERT_WEBHOOK_FORMAT: setting({
    env: 'WXCOZE_ALERT_WEBHOOK_FORMAT',
    schema: z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(['auto', 'wecom', 'json'], { error: 'is not auto, wecom or json' })),
    default: 'auto' as 'auto' | 'wecom' | 'json',
    fix: 'Set it to wecom (a group robot), json (any other webhook), or auto (the default).',
    doc: '`wecom`: the group robot\'s text message; `json`: `{"alert","state":"firing"|"resolved","title","text",…}`; `auto`: `wecom` when the URL is `qyapi.weixin.qq.com` or its path is `/cgi-bin/webhook/send`, else `json`',
  }),
  WXCOZE_ALERT_CHECK_MS: int(
    'WXCOZE_ALERT_CHECK_MS',
    30_000,
    100,
    3_600_000,
    'how often every instance looks at the alert conditions (the store decides which instance sends, so several instances send one alert)',
  ),
  WXCOZE_ALERT_COZE_DOWN_MINUTES: minutesSetting(
    'WXCOZE_ALERT_COZE_DOWN_MINUTES',
    5,
    'Coze unreachable or failing (its API does not answer, or chats end in errors) for this long raises an alert; a refused token raises one at once',
  ),
  WXCOZE_ALERT_PENDING_MINUTES: minutesSetting(
    'WXCOZE_ALERT_PENDING_MINUTES',
    10,
    'the oldest unanswered message waiting this long (a stalled pipeline) raises an alert',
  ),
  WXCOZE_ALERT_FAILED_MESSAGES: int(
    'WXCOZE_ALERT_FAILED_MESSAGES',
    1,
    1,
    100_000,
    "this many messages failed for good (the apology sent, or the reply undeliverable) within 30 minutes raise an alert; it clears 30 minutes after the last one, or when the console's failed list is retried or dismissed",
  ),
  WXCOZE_ALERT_HANDOFF_MINUTES: minutesSetting(
    'WXCOZE_ALERT_HANDOFF_MINUTES',
    2,
    "with `WXCOZE_HANDOFF_TO=console`: a customer waiting in the console's queue this long while no console page is open (on any instance) raises an alert",
  ),
  WXCOZE_ALERT_CERT_DAYS: int(
    'WXCOZE_ALERT_CERT_DAYS',
    14,
    1,
    365,
    "the publicly trusted certificate Caddy serves for `WXCOZE_DOMAIN` expiring within this many days raises an alert (checked hourly; certificates of Caddy's internal CA renew themselves and are ignored)",
  ),
  WXCOZE_ALERT_TOKEN_DAYS: int(
    'WXCOZE_ALERT_TOKEN_DAYS',
    7,
    1,
    365,
    'the Coze token expiring within this many days raises an alert (when its expiry is known)',
  ),
  WXCOZE_ALERT_DISK_PERCENT: int(
    'WXCOZE_ALERT_DISK_PERCENT',
    90,
    50,
    99,
    'the disk holding the data directory this full (percent used) raises an alert',
  ),
  // ── Backups and retention (src/ops/maintenance/): daily, by one instance. ──
  WXCOZE_BACKUP_HOUR: int(
    'WXCOZE_BACKUP_HOUR',
    4,
    0,
    23,
    "the hour of the day (in `WXCOZE_UTC_OFFSET`'s time) from which the daily backup and the retention erase run; one instance runs them, once a day",
  ),
  WXCOZE_BACKUP_KEEP: int(
    'WXCOZE_BACKUP_KEEP',
    7,
    0,
    365,
    "how many daily backups of the SQLite database are kept (the oldest are deleted); 0 turns the daily backup off. On MySQL/MariaDB use the database's own backups (`wxcoze backup` prints the `mysqldump` line)",
  ),
  WXCOZE_BACKUP_DIR: setting({
    env: 'WXCOZE_BACKUP_DIR',
    schema: text(),
    defaultDoc: '`<data dir>/backups`',
    fix: 'Set WXCOZE_BACKUP_DIR to a folder path this user can write (better on another disk), or remove it.',
    doc: 'where the daily backups (and `wxcoze backup` without a file) go; files are `wxcoze-<UTC time>.db`, mode 0600',
  }),
  WXCOZE_RETENTION_DAYS: int(
    'WXCOZE_RETENTION_DAYS',
    180,
    0,
    36_500,
    "messages older than this many days lose their content (text, answers, transcripts, file names), erased daily; the console's charts still count them. 0 keeps everything",
  ),
  WXCOZE_ADMIN_PATH: setting({
    env: 'WXCOZE_ADMIN_PATH',
    schema: z
      .string({ error: 'must be a path such as /admin' })
      .regex(/^\/[a-z0-9][a-z0-9_-]{0,40}$/, {
        error: 'is not one path segment of small letters, digits, - or _ starting with / (e.g. /admin)',
      })
      .refine((p) => !RESERVED_PATHS.includes(p), {
        error: 'is already used by wxcoze itself (/wechat, /v1, /metrics, /ping, /models, /chat)',
      }),
    default: '/admin',
    fix: 'Use e.g. WXCOZE_ADMIN_PATH=/admin, or remove it.',
    doc: 'where the operator console is served (`https://<domain>/admin` behind Caddy). It stays off (404 saying how) until an operator exists: `wxcoze admin password`',
  }),
  WXCOZE_ADMIN_SESSION_IDLE_HOURS: int(
    'WXCOZE_ADMIN_SESSION_IDLE_HOURS',
    168,
    1,
    24 * 90,
    'a console login unused this long ends (7 days by default); the operator logs in again',
  ),
  WXCOZE_ADMIN_SESSION_MAX_DAYS: int(
    'WXCOZE_ADMIN_SESSION_MAX_DAYS',
    30,
    1,
    365,
    'a console login ends this long after it began, however much it is used',
  ),
  WXCOZE_ADMIN_LOGIN_LIMIT_IP: int(
    'WXCOZE_ADMIN_LOGIN_LIMIT_IP',
    10,
    1,
    10_000,
    'failed console logins one client address may make in 15 minutes; then its logins are refused until the 15 minutes are over (counted in the store: all instances share it)',
  ),
  WXCOZE_ADMIN_LOGIN_LIMIT_NAME: int(
    'WXCOZE_ADMIN_LOGIN_LIMIT_NAME',
    20,
    1,
    10_000,
    'failed console logins against one operator name (from any address) in 15 minutes before that name is locked for the rest of the 15 minutes',
  ),
  WXCOZE_ALLOW_PRIVATE_URLS: setting({
    env: 'WXCOZE_ALLOW_PRIVATE_URLS',
    schema: onOff(),
    default: false,
    defaultDoc: 'off',
    fix: 'Set WXCOZE_ALLOW_PRIVATE_URLS to on or off (true/false, 1/0, yes/no), or remove it.',
    doc: "image links chosen by others (a Coze answer's markdown image, an OpenAI `image_url`) are fetched only from public addresses: every range of IANA's IPv4 and IPv6 special-purpose registries (loopback, private, link-local and cloud metadata, carrier-grade NAT, documentation, benchmarking, 6to4/NAT64, reserved) is refused in the DNS answer before connecting and again after the connect; at most 3 redirects, each hop checked the same way, never from https to http. Set `1` for an intranet image host.",
  }),
  // Customer service: the defaults of every account (WXCOZE_ACCOUNTS overrides them per account).
  WXCOZE_WELCOME_TEXT: setting({
    env: 'WXCOZE_WELCOME_TEXT',
    schema: text(),
    defaultDoc: '— (no welcome)',
    fix: 'Write the greeting to send.',
    doc: 'sent to a customer entering the chat',
  }),
  WXCOZE_WELCOME_MENU: setting({
    env: 'WXCOZE_WELCOME_MENU',
    schema: list({ count: 10, error: 'has more than 10 buttons' }),
    default: [] as string[],
    defaultDoc: '—',
    fix: 'WeCom menus hold at most 10 items; keep the first 10.',
    doc: 'comma-separated buttons under the welcome text (≤ 10)',
  }),
  WXCOZE_HANDOFF_KEYWORDS: setting({
    env: 'WXCOZE_HANDOFF_KEYWORDS',
    schema: list(),
    default: ['转人工', '人工客服'],
    defaultDoc: '`转人工,人工客服`',
    fix: 'Write the trigger words separated by commas, e.g. 转人工,人工客服.',
    doc: 'comma-separated words that hand a customer over to a human',
  }),
  WXCOZE_HANDOFF_TEXT: setting({
    env: 'WXCOZE_HANDOFF_TEXT',
    schema: text(),
    default: '正在为您转接人工客服，请稍候。',
    fix: 'Write the text to send.',
    doc: 'sent before the handoff',
  }),
  WXCOZE_HANDOFF_SERVICER: setting({
    env: 'WXCOZE_HANDOFF_SERVICER',
    schema: text(),
    defaultDoc: '— (the queue)',
    fix: "Use the servicer's userid from the WeCom console.",
    doc: 'a servicer userid to hand over to (state 3); unset: the queue (state 2)',
  }),
  WXCOZE_HANDOFF_TO: setting({
    env: 'WXCOZE_HANDOFF_TO',
    schema: z.enum(['wecom', 'console'], { error: 'is neither wecom nor console' }),
    default: 'wecom' as 'wecom' | 'console',
    fix: "Set WXCOZE_HANDOFF_TO to wecom (WeCom's own servicers) or console (the operator console), or remove it.",
    doc: "where a handoff goes: `wecom` hands the session to WeCom's servicers (`service_state/trans`: it leaves the API's reach, the console shows it read-only); `console` keeps it API-served and puts the customer in the operator console's queue (the AI pauses, operators are notified, an operator replies from the console)",
  }),
  WXCOZE_HANDOFF_MARKER: setting({
    env: 'WXCOZE_HANDOFF_MARKER',
    schema: text(),
    default: '[[转人工]]',
    fix: "Write the marker your bot's prompt uses.",
    doc: 'put by the bot in its answer to ask for a human; removed before sending',
  }),
  WXCOZE_FOLLOWUP_MENU: setting({
    env: 'WXCOZE_FOLLOWUP_MENU',
    schema: onOff(),
    default: false,
    defaultDoc: 'off',
    fix: 'Set WXCOZE_FOLLOWUP_MENU to on or off (true/false, 1/0, yes/no), or remove it.',
    doc: "offer Coze's follow-up suggestions as clickable buttons",
  }),
  // "Working on it" (src/pipeline/wait-notice.ts): off by default, see README "Waiting notice".
  WXCOZE_WAIT_NOTICE: setting({
    env: 'WXCOZE_WAIT_NOTICE',
    schema: onOff(),
    default: false,
    defaultDoc: 'off',
    fix: 'Set WXCOZE_WAIT_NOTICE to on or off (true/false, 1/0, yes/no), or remove it.',
    doc: 'when Coze has not answered a customer within `WXCOZE_WAIT_NOTICE_MS`, send `WXCOZE_WAIT_NOTICE_TEXT` once (only when the 5-message budget still leaves room for the answer after it)',
  }),
  WXCOZE_WAIT_NOTICE_MS: setting({
    env: 'WXCOZE_WAIT_NOTICE_MS',
    schema: msIn(100, 600_000),
    default: 8000,
    fix: 'Set WXCOZE_WAIT_NOTICE_MS to a number of milliseconds between 100 and 600000, or remove it to use 8000.',
    doc: 'how long Coze may take before the waiting notice goes out, ms',
  }),
  WXCOZE_WAIT_NOTICE_TEXT: setting({
    env: 'WXCOZE_WAIT_NOTICE_TEXT',
    schema: text().refine((v) => v.trim() !== '', { error: 'is empty' }),
    default: '正在为您查询，请稍候…',
    fix: 'Write the short text to send while Coze is still working.',
    doc: 'the waiting notice',
  }),
  // The satisfaction survey (src/pipeline/survey.ts): off until an owner turns it on.
  WXCOZE_SURVEY: setting({
    env: 'WXCOZE_SURVEY',
    schema: onOff(),
    default: false,
    defaultDoc: 'off',
    fix: 'Set WXCOZE_SURVEY to on or off (true/false, 1/0, yes/no), or remove it.',
    doc: "when a conversation ends, send a rating menu once and keep the choice (the console's charts count them): after `WXCOZE_SURVEY_QUIET_MS` without a customer message for a conversation the AI answered, or when a WeCom servicer ends the session",
  }),
  WXCOZE_SURVEY_TEXT: setting({
    env: 'WXCOZE_SURVEY_TEXT',
    schema: text().refine((v) => v.trim() !== '', { error: 'is empty' }),
    default: '请您为本次服务评分：',
    fix: 'Write the question above the rating buttons.',
    doc: 'the text above the rating buttons',
  }),
  WXCOZE_SURVEY_OPTIONS: setting({
    env: 'WXCOZE_SURVEY_OPTIONS',
    schema: list({ count: 10, error: 'has more than 10 buttons' }).refine((a) => a.length >= 2, {
      error: 'needs at least 2 choices',
    }),
    default: ['非常满意', '满意', '一般', '不满意'],
    defaultDoc: '`非常满意,满意,一般,不满意`',
    fix: 'Write 2 to 10 choices separated by commas, best first, e.g. 非常满意,满意,一般,不满意.',
    doc: 'the rating buttons, best first (2–10); a rating is stored as its place in this list and its words',
  }),
  WXCOZE_SURVEY_QUIET_MS: setting({
    env: 'WXCOZE_SURVEY_QUIET_MS',
    schema: msIn(10, 47 * 3_600_000),
    default: 1_800_000,
    defaultDoc: '`1800000` (30 min)',
    fix: 'Set WXCOZE_SURVEY_QUIET_MS to a number of milliseconds (e.g. 1800000 for 30 minutes), below 47 hours.',
    doc: "how long after a customer's last message (answered by the AI) the conversation counts as ended and the survey goes out, ms; never later than WeCom's 48 hours",
  }),
  WXCOZE_ACCOUNTS: setting({
    env: 'WXCOZE_ACCOUNTS',
    schema: z.string(),
    defaultDoc: '—',
    fix: 'Give a JSON object keyed by open_kfid, e.g. {"wkAAA…":{"botId":"7379…","welcomeText":"您好"}}. See the README, "Several accounts".',
    doc: `per-account bot and settings, a JSON object keyed by \`open_kfid\` (see "Several accounts"); each account may set ${['name', ...Object.keys(ACCOUNT_SETTINGS)].map((k) => `\`${k}\``).join(', ')}, each checked like the variable it overrides: ids as text in quotes, lists as a JSON array or one comma-separated text, switches \`true\`/\`false\` (or \`1\`/\`0\`, \`yes\`/\`no\`, \`on\`/\`off\`); anything else stops \`start\` naming the account and the setting`,
  }),
  WXCOZE_RESET_COMMAND: setting({
    env: 'WXCOZE_RESET_COMMAND',
    schema: text(),
    default: '/reset',
    fix: 'Write the command customers type.',
    doc: 'a customer typing it starts a new Coze conversation',
  }),
  WXCOZE_RESET_TEXT: setting({
    env: 'WXCOZE_RESET_TEXT',
    schema: text(),
    default: '好的，我们重新开始吧。请问有什么可以帮您？',
    fix: 'Write the text to send.',
    doc: 'the answer to the reset command',
  }),
  WXCOZE_VOICE_TEXT: setting({
    env: 'WXCOZE_VOICE_TEXT',
    schema: text(),
    default: '抱歉，暂时听不清语音，请用文字描述您的问题。',
    fix: 'Write the text to send.',
    doc: 'sent for voice Coze cannot transcribe',
  }),
  WXCOZE_FFMPEG: setting({
    env: 'WXCOZE_FFMPEG',
    schema: z.string().regex(/^[^\s]+$/, { error: 'is not a program name or path (no spaces)' }),
    default: 'ffmpeg',
    fix: 'Set WXCOZE_FFMPEG to the ffmpeg program (a name on PATH or an absolute path), or remove it to use `ffmpeg` on PATH.',
    doc: "the ffmpeg program that converts WeCom's voice messages (AMR) for Coze to transcribe, and spoken replies back to AMR (Debian: `apt install ffmpeg`; voice replies also need `libavcodec-extra`). Not found: voice messages get WXCOZE_VOICE_TEXT; `wxcoze doctor` says which",
  }),
  WXCOZE_VOICE_REPLY: setting({
    env: 'WXCOZE_VOICE_REPLY',
    schema: onOff(),
    default: false,
    defaultDoc: 'off',
    fix: 'Set WXCOZE_VOICE_REPLY to on or off (true/false, 1/0, yes/no), or remove it.',
    doc: "when a customer sent a voice message, answer with a voice message too, after the text (Coze's speech synthesis in the voice `COZE_VOICE_ID`, converted to AMR by `WXCOZE_FFMPEG`, which needs `libavcodec-extra`). Only when the 5-message budget has room after the text; an answer over 1024 bytes or 60 s of speech gets the text only; a voice that cannot be made is skipped and logged, never at the text's expense",
  }),
  COZE_VOICE_ID: setting({
    env: 'COZE_VOICE_ID',
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'does not look like a Coze voice_id' }),
    fix: "Copy a voice_id from Coze (GET /v1/audio/voices, or the bot's 语音 settings), e.g. 7426720361733046281.",
    doc: "the Coze voice (`voice_id`) that speaks voice replies (`WXCOZE_VOICE_REPLY`); the token needs Coze's `createSpeech` permission",
  }),
  WXCOZE_QUIET_HOURS: setting({
    env: 'WXCOZE_QUIET_HOURS',
    schema: quietPeriod(),
    defaultDoc: '— (always answer)',
    fix: "Write the quiet period as HH:MM-HH:MM in the business's local time; set WXCOZE_UTC_OFFSET if that is not UTC+8.",
    doc: 'e.g. `22:00-08:00`: the AI does not answer in this period',
  }),
  WXCOZE_UTC_OFFSET: setting({
    env: 'WXCOZE_UTC_OFFSET',
    schema: utcOffset(),
    default: 8 * 60,
    defaultDoc: '`+08:00`',
    fix: "Write the business's offset from UTC as +HH:MM or -HH:MM, e.g. +08:00.",
    doc: 'the offset of the time the quiet hours are written in',
  }),
  WXCOZE_QUIET_TEXT: setting({
    env: 'WXCOZE_QUIET_TEXT',
    schema: text(),
    default: '您好，现在是非工作时间，我们会在工作时间尽快回复您。',
    fix: 'Write the text to send.',
    doc: 'sent during quiet hours, once per customer per notice interval',
  }),
  WXCOZE_NOTICE_INTERVAL_MS: setting({
    env: 'WXCOZE_NOTICE_INTERVAL_MS',
    schema: z
      .string()
      .transform(Number)
      .refine((n) => Number.isInteger(n) && n >= 0, { error: 'is not a whole number of milliseconds' }),
    default: 3_600_000,
    fix: 'Use a whole number of milliseconds, e.g. 3600000 (one hour).',
    doc: 'a notice (Coze unreachable, quiet hours) goes to one customer at most once in this time',
  }),
};

export type SettingName = keyof typeof SETTINGS;
/** The value of each setting; undefined where it has no default and is unset or invalid. */
export type SettingValues = {
  [K in SettingName]: (typeof SETTINGS)[K] extends Setting<infer T>
    ? (typeof SETTINGS)[K]['default'] extends undefined
      ? T | undefined
      : T
    : never;
};

// ── WXCOZE_ACCOUNTS' schema. ──

const ACCOUNT_KEYS = ['name', ...Object.keys(ACCOUNT_SETTINGS)];

/** One account's overrides: unknown keys refused, each value through its variable's schema. */
export const accountSchema = z
  .strictObject(
    {
      name: text().optional(),
      ...(Object.fromEntries(
        Object.entries(ACCOUNT_SETTINGS).map(([k, env]) => [k, SETTINGS[env].schema.optional()]),
      ) as {
        [K in keyof typeof ACCOUNT_SETTINGS]: z.ZodOptional<
          (typeof SETTINGS)[(typeof ACCOUNT_SETTINGS)[K]]['schema']
        >;
      }),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `has an unknown setting "${iss.keys[0]}" (known: ${ACCOUNT_KEYS.join(', ')})`
          : 'must be an object of settings',
    },
  )
  .refine((a) => !(a.botId && a.workflowId), { error: 'sets botId and workflowId: set one, not both' });

export const accountsSchema = z.record(z.string(), accountSchema, {
  error: 'is not a JSON object keyed by open_kfid',
});
export type AccountOverrides = z.output<typeof accountSchema>;

// ── Turning zod's issues into problems a person can act on. ──

export interface IssueProblem {
  problem: string;
  fix?: string;
}

/** An issue's message as a sentence about `label` (the variable, or "account …, key"), never quoting a secret. */
export function describeIssue(
  issue: z.core.$ZodIssue,
  label: string,
  input: unknown,
  secret = false,
): IssueProblem {
  const fix = (issue as { params?: { fix?: string } }).params?.fix;
  // A message that names the setting itself (a bad entry of a list) is complete as it is.
  const problem = issue.message.includes(label)
    ? issue.message
    : `${label}${secret || input === undefined ? '' : `=${JSON.stringify(input)}`} ${issue.message}`;
  return { problem, ...(fix ? { fix } : {}) };
}

/**
 * What is wrong with `value` for the setting `name`, in words, or undefined when it is valid: the
 * validator `wxcoze init`'s questions and doctor use, the same one `loadConfig` applies.
 */
export function settingProblem(name: SettingName, value: string): string | undefined {
  const s: Setting = SETTINGS[name];
  const r = s.schema.safeParse(value.trim());
  if (r.success) return undefined;
  return r.error.issues.map((i) => describeIssue(i, name, value, s.secret).problem).join('; ');
}

/** `settingProblem` in the shape a prompt's `validate` takes: true, or what is wrong. */
export const promptValidator =
  (name: SettingName) =>
  (value: string): true | string =>
    settingProblem(name, value) ?? true;
