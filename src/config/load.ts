import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ALIASES, pick } from './aliases.js';
import { loadServiceConfig } from './service.js';
import type { ApiKey, ConfigProblem, WxcozeConfig } from './types.js';

export const CONFIG_FILE_NAME = 'config.json';

export interface LoadOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export interface LoadedConfig {
  config: WxcozeConfig;
  problems: ConfigProblem[];
  /** Where each canonical key's value came from: 'env', '.env' or the config file path. */
  sources: Record<string, string>;
  configFile: string;
}

/** The data directory: WXCOZE_DATA_DIR from the environment or .env, else ~/.wxcoze. */
export function resolveDataDir(env: Record<string, string | undefined>, dotenv: Record<string, string>, cwd: string): string {
  const fromEnv = pick(env, 'WXCOZE_DATA_DIR') ?? pick(dotenv, 'WXCOZE_DATA_DIR');
  return resolve(cwd, fromEnv ?? join(homedir(), '.wxcoze'));
}

function readDotenv(cwd: string): Record<string, string> {
  const p = join(cwd, '.env');
  if (!existsSync(p)) return {};
  return parseDotenv(readFileSync(p));
}

/** Why a file could not be read, in words (the errno code stays in brackets for searching). */
const READ_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a folder, not a file',
  EIO: 'the disk reported an input/output error',
};

function readConfigFile(path: string, problems: ConfigProblem[]): { values: Record<string, string>; unreadable: boolean } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    // Missing (or a data directory that cannot exist: `start` and `doctor` name that problem themselves).
    if (code === 'ENOENT' || code === 'ENOTDIR') return { values: {}, unreadable: false };
    // Not "missing": a folder we may not enter (a 0700 data directory of another user) fails here too.
    const fix = code === 'EACCES' || code === 'EPERM'
      ? `Run wxcoze as the user that owns it (\`ls -l ${path}\` shows who), e.g. \`sudo -u <owner> wxcoze …\`; or make it yours: \`sudo chown $(id -un) ${path}\`.`
      : `Make ${path} the JSON file \`wxcoze init\` writes (move what is there away and run \`wxcoze init\` again).`;
    problems.push({ key: 'config file', problem: `${path} cannot be read: ${READ_ERRORS[code] ?? (err as Error).message} (${code})`, fix });
    return { values: {}, unreadable: true };
  }
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) if (v !== null && v !== undefined) out[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return { values: out, unreadable: false };
  } catch (err) {
    problems.push({ key: 'config file', problem: `${path} is not valid JSON (${(err as Error).message})`, fix: 'Fix the file by hand or re-run `wxcoze init`.' });
    return { values: {}, unreadable: false };
  }
}

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

/**
 * Reads configuration: environment variables override a `.env` in the working directory,
 * which overrides `<data dir>/config.json` (written by `wxcoze init`). Never throws on bad
 * values: every problem is collected so `start` and `doctor` can list them all at once.
 */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const problems: ConfigProblem[] = [];
  const dotenv = readDotenv(cwd);
  const dataDir = resolveDataDir(env, dotenv, cwd);
  const configFile = join(dataDir, CONFIG_FILE_NAME);
  const { values: file, unreadable } = readConfigFile(configFile, problems);
  const sources: Record<string, string> = {};

  const get = (key: string): string | undefined => {
    for (const [name, src] of [['env', env], ['.env', dotenv], [configFile, file]] as const) {
      const v = pick(src, key);
      if (v !== undefined) { sources[key] = name; return v; }
    }
    return undefined;
  };
  const required = (key: string, fix: string): string => {
    const v = get(key);
    // An unreadable config file is the one problem: not six "is not set" lines that follow from it.
    if (v === undefined && unreadable) return '';
    if (v === undefined) {
      const alias = ALIASES[key]?.length ? ` (or ${ALIASES[key]!.join(' / ')})` : '';
      problems.push({ key, problem: `${key}${alias} is not set`, fix });
      return '';
    }
    return v;
  };
  const int = (key: string, dflt: number, min: number, max: number): number => {
    const v = get(key);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push({ key, problem: `${key}=${JSON.stringify(v)} is not a whole number from ${min} to ${max}`, fix: `Set ${key} to a number between ${min} and ${max}, or remove it to use ${dflt}.` });
      return dflt;
    }
    return n;
  };
  const url = (key: string, dflt: string): string => {
    const v = get(key) ?? dflt;
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
      return v.replace(/\/+$/, '');
    } catch {
      problems.push({ key, problem: `${key}=${JSON.stringify(v)} is not an http(s) URL`, fix: `Set ${key} to a base URL like ${dflt}, or remove it.` });
      return dflt;
    }
  };

  const corpId = required('WECOM_CORP_ID', 'Copy the CorpID from the WeCom admin console: 我的企业 → 企业信息 → 企业ID (starts with "ww").');
  const secret = required('WECOM_SECRET', 'Copy the Secret of the self-built app that manages your kf account (应用管理 → your app → Secret), or the legacy 微信客服 secret.');
  const token = required('WECOM_TOKEN', 'Use the Token from the callback settings (接收消息 → 设置API接收), or run `wxcoze init` to generate one.');
  if (token && !/^[A-Za-z0-9]{1,32}$/.test(token)) {
    problems.push({ key: 'WECOM_TOKEN', problem: 'WECOM_TOKEN must be 1–32 letters or digits', fix: 'Copy the Token exactly as the WeCom console shows it, or generate a new one with `wxcoze init`.' });
  }
  const encodingAesKey = required('WECOM_ENCODING_AES_KEY', 'Use the EncodingAESKey from the callback settings (43 characters), or run `wxcoze init` to generate one.');
  const aesProblem = encodingAesKey ? encodingAesKeyProblem(encodingAesKey) : undefined;
  if (aesProblem) {
    problems.push({ key: 'WECOM_ENCODING_AES_KEY', problem: `WECOM_ENCODING_AES_KEY ${aesProblem}`, fix: 'Copy the EncodingAESKey exactly as the WeCom console shows it (no spaces or quotes), or generate one with `wxcoze init`.' });
  }
  if (corpId && !/^[A-Za-z0-9_-]{4,64}$/.test(corpId)) {
    problems.push({ key: 'WECOM_CORP_ID', problem: `WECOM_CORP_ID=${JSON.stringify(corpId)} does not look like a CorpID`, fix: 'The CorpID is letters and digits, usually starting with "ww".' });
  }
  const apiToken = required('COZE_API_TOKEN', 'Create a personal access token at coze.cn (or coze.com) → API 管理 → 个人访问令牌, with the chat and file permissions.');
  const botId = get('COZE_BOT_ID');
  const workflowId = get('COZE_WORKFLOW_ID');
  const appId = get('COZE_APP_ID');
  if (!botId && !workflowId && !unreadable) {
    problems.push({ key: 'COZE_BOT_ID', problem: 'Neither COZE_BOT_ID nor COZE_WORKFLOW_ID is set', fix: 'Set COZE_BOT_ID to the bot id from its URL (…/bot/<id>), or COZE_WORKFLOW_ID + COZE_APP_ID for a chatflow.' });
  }
  if (botId && workflowId) {
    problems.push({ key: 'COZE_WORKFLOW_ID', problem: 'Both COZE_BOT_ID and COZE_WORKFLOW_ID are set', fix: 'Set only one: COZE_BOT_ID for a bot, or COZE_WORKFLOW_ID (+ COZE_APP_ID) for a chatflow.' });
  }
  for (const [k, v] of [['COZE_BOT_ID', botId], ['COZE_WORKFLOW_ID', workflowId], ['COZE_APP_ID', appId]] as const) {
    if (v && !/^\d{5,25}$/.test(v)) problems.push({ key: k, problem: `${k}=${JSON.stringify(v)} is not a Coze id (digits only)`, fix: `Copy the id from the Coze console URL; it is a long number.` });
  }

  const databaseUrl = get('WXCOZE_DATABASE_URL');
  if (databaseUrl && !/^mysql:\/\/[^/]+\/[A-Za-z0-9_$-]+/.test(databaseUrl)) {
    problems.push({ key: 'WXCOZE_DATABASE_URL', problem: 'WXCOZE_DATABASE_URL is not a mysql://user:password@host:port/database URL', fix: 'Use e.g. mysql://wxcoze:secret@127.0.0.1:3306/wxcoze (MySQL or MariaDB), or unset it for the embedded SQLite store.' });
  }
  const redisUrl = get('WXCOZE_REDIS_URL');
  if (redisUrl && !/^rediss?:\/\/[^/]+/.test(redisUrl)) {
    problems.push({ key: 'WXCOZE_REDIS_URL', problem: 'WXCOZE_REDIS_URL is not a redis:// URL', fix: 'Use e.g. redis://127.0.0.1:6379/0, or unset it to keep locks in-process (one instance only).' });
  }
  const apiKeys = parseApiKeys(get('WXCOZE_API_KEYS'), problems);
  const modelId = get('WXCOZE_MODEL_ID') ?? (botId ? `coze-bot-${botId}` : `coze-flow-${workflowId ?? 'none'}`);
  if (!MODEL_ID_RE.test(modelId)) {
    problems.push({ key: 'WXCOZE_MODEL_ID', problem: `WXCOZE_MODEL_ID=${JSON.stringify(modelId)} is not an ASCII model id`, fix: 'Use 1–64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit (e.g. travel-bot); put the readable name in WXCOZE_MODEL_NAME.' });
  }
  const tasksRaw = (get('WXCOZE_OPENAI_TASKS') ?? 'bot').toLowerCase();
  let tasks: 'bot' | 'local' = 'bot';
  if (tasksRaw === 'local' || tasksRaw === 'bot') tasks = tasksRaw;
  else problems.push({ key: 'WXCOZE_OPENAI_TASKS', problem: `WXCOZE_OPENAI_TASKS=${JSON.stringify(tasksRaw)} is neither "bot" nor "local"`, fix: 'Set it to "local" to answer Open-WebUI title/tags/follow-up requests without Coze, or "bot" (the default) to ask the bot.' });
  // Written by `wxcoze init`: the public domain (Caddy, verify, doctor) and the kf account picked.
  const domain = get('WXCOZE_DOMAIN')?.toLowerCase();
  if (domain && !isDomainName(domain)) {
    problems.push({ key: 'WXCOZE_DOMAIN', problem: `WXCOZE_DOMAIN=${JSON.stringify(domain)} is not a domain name`, fix: 'Set WXCOZE_DOMAIN to the bare domain that points at this server, e.g. kf.example.com (no https://, no path).' });
  }
  const openKfId = get('WECOM_OPEN_KFID');
  const config: WxcozeConfig = {
    wecom: { corpId, secret, token, encodingAesKey, apiBase: url('WECOM_API_BASE', 'https://qyapi.weixin.qq.com'), ...(openKfId ? { openKfId } : {}) },
    coze: {
      apiToken,
      apiBase: url('COZE_API_BASE', 'https://api.coze.cn'),
      ...(botId ? { botId } : {}),
      ...(workflowId ? { workflowId } : {}),
      ...(appId ? { appId } : {}),
      timeoutMs: int('COZE_TIMEOUT_MS', 120_000, 1_000, 3_600_000),
      maxAttempts: int('COZE_MAX_ATTEMPTS', 4, 1, 20),
    },
    server: {
      host: get('WXCOZE_HOST') ?? '127.0.0.1',
      port: int('PORT', 8000, 0, 65535),
      bodyLimit: int('WXCOZE_BODY_LIMIT', 64 * 1024, 1024, 10 * 1024 * 1024),
      allowPrivateUrls: /^(1|true|on|yes)$/i.test(get('WXCOZE_ALLOW_PRIVATE_URLS') ?? ''),
      // WeCom retries within ~20 s with the same signed URL; 10 min also forgives a clock a little off.
      callbackMaxSkewS: int('WXCOZE_CALLBACK_MAX_SKEW_S', 600, 30, 86_400),
      headersTimeoutMs: int('WXCOZE_HEADERS_TIMEOUT_MS', 15_000, 1_000, 600_000),
      // A 5 MB chat request over a 1 Mbit/s uplink takes ~45 s; WeCom's callbacks arrive in one packet.
      requestTimeoutMs: int('WXCOZE_REQUEST_TIMEOUT_MS', 120_000, 1_000, 3_600_000),
      maxPendingPerClient: int('WXCOZE_MAX_PENDING_PER_CLIENT', 64, 1, 100_000),
      ...(get('WXCOZE_METRICS_TOKEN') ? { metricsToken: get('WXCOZE_METRICS_TOKEN')! } : {}),
    },
    dataDir,
    ...(domain ? { domain } : {}),
    store: { ...(databaseUrl ? { databaseUrl } : {}), ...(redisUrl ? { redisUrl } : {}), redisPrefix: get('WXCOZE_REDIS_PREFIX') ?? 'wxcoze:' },
    apiKeys: apiKeys.map((k) => k.key),
    openai: {
      keys: apiKeys,
      modelId,
      modelName: get('WXCOZE_MODEL_NAME') ?? (botId ? `Coze bot ${botId}` : `Coze chatflow ${workflowId ?? ''}`),
      tasks,
      keepAliveMs: int('WXCOZE_OPENAI_KEEPALIVE_MS', 15_000, 100, 600_000),
      // 5 MB: JSON.parse of a larger body holds the event loop past 50 ms (README, bench/RESULTS.md).
      bodyLimit: int('WXCOZE_OPENAI_BODY_LIMIT', 5 * 1024 * 1024, 1024, 100 * 1024 * 1024),
      rateLimit: { perKey: int('WXCOZE_OPENAI_RATE_PER_KEY', 300, 0, 1_000_000), perIp: int('WXCOZE_OPENAI_RATE_PER_IP', 600, 0, 1_000_000) },
      corsOrigins: parseOrigins(get('WXCOZE_OPENAI_CORS_ORIGINS'), problems),
    },
    pipeline: {
      concurrency: int('WXCOZE_CONCURRENCY', 64, 1, 10_000),
      leaseMs: int('WXCOZE_LEASE_MS', 180_000, 1_000, 3_600_000),
      apologyText: get('WXCOZE_APOLOGY_TEXT') ?? '抱歉，系统暂时无法回答，请稍后再试。',
      unsupportedText: get('WXCOZE_UNSUPPORTED_TEXT') ?? '抱歉，暂时只能处理文字和图片消息，请用文字描述您的问题。',
      maxParts: int('WXCOZE_MAX_PARTS', 5, 1, 5),
      retryBaseMs: int('WXCOZE_RETRY_BASE_MS', 1000, 1, 60_000),
    },
    service: loadServiceConfig(get, problems),
    logLevel: get('WXCOZE_LOG_LEVEL') ?? 'info',
  };
  return { config, problems, sources, configFile };
}

const MODEL_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const TRUST_HEADERS = ':trust-headers';
const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

/**
 * `WXCOZE_OPENAI_CORS_ORIGINS`: comma-separated browser origins (scheme://host[:port]) that may
 * call /v1 directly, e.g. Open-WebUI's direct connections. Unset: no CORS headers at all.
 */
function parseOrigins(raw: string | undefined, problems: ConfigProblem[]): string[] {
  const out: string[] = [];
  for (const entry of (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    let origin: string | undefined;
    try {
      const u = new URL(entry);
      if ((u.protocol === 'http:' || u.protocol === 'https:') && u.origin === entry.replace(/\/+$/, '')) origin = u.origin;
    } catch { /* reported below */ }
    if (!origin) {
      problems.push({ key: 'WXCOZE_OPENAI_CORS_ORIGINS', problem: `${JSON.stringify(entry)} in WXCOZE_OPENAI_CORS_ORIGINS is not an origin`, fix: 'List the exact origins of the browser pages that call /v1, e.g. https://chat.example.com,http://localhost:3000 (scheme, host and port; no path, no *).' });
      continue;
    }
    if (!out.includes(origin)) out.push(origin);
  }
  return out;
}

/**
 * `WXCOZE_API_KEYS`: comma-separated keys; `key@tenant` puts keys in one tenant (they share their
 * users), and a key followed by `:trust-headers` may name its user in Open-WebUI's forwarded
 * headers (`sk-a@shop:trust-headers`). Problems never quote a key (they end up in logs and terminals).
 */
function parseApiKeys(raw: string | undefined, problems: ConfigProblem[]): ApiKey[] {
  const out: ApiKey[] = [];
  if (!raw) return out;
  const entries = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const [i, entry] of entries.entries()) {
    let key = entry;
    let trustHeaders = false;
    if (key.endsWith(TRUST_HEADERS)) {
      key = key.slice(0, -TRUST_HEADERS.length);
      trustHeaders = true;
    } else if (/:[a-z][a-z-]*$/.test(key)) {
      problems.push({ key: 'WXCOZE_API_KEYS', problem: `key #${i + 1} in WXCOZE_API_KEYS ends with an unknown mark "${key.slice(key.lastIndexOf(':'))}"`, fix: 'The only mark is ":trust-headers" (e.g. WXCOZE_API_KEYS=sk-abc,sk-def:trust-headers).' });
      continue;
    }
    let tenant: string | undefined;
    const at = key.lastIndexOf('@');
    if (at >= 0) {
      tenant = key.slice(at + 1);
      key = key.slice(0, at);
      if (!TENANT_RE.test(tenant)) {
        problems.push({ key: 'WXCOZE_API_KEYS', problem: `key #${i + 1} in WXCOZE_API_KEYS names the tenant ${JSON.stringify(tenant)}, which is not 1–32 letters, digits, ".", "_" or "-"`, fix: 'Write key@tenant with a short name, e.g. WXCOZE_API_KEYS=sk-abc@shop,sk-def@shop:trust-headers (keys must not contain "@").' });
        continue;
      }
    }
    if (key.length < 8 || /\s/.test(key)) {
      problems.push({ key: 'WXCOZE_API_KEYS', problem: `key #${i + 1} in WXCOZE_API_KEYS is shorter than 8 characters or contains spaces`, fix: 'Use long random keys, e.g. `openssl rand -hex 24` prefixed with sk-.' });
      continue;
    }
    if (out.some((k) => k.key === key)) continue;
    out.push({ key, trustHeaders, ...(tenant ? { tenant } : {}) });
  }
  return out;
}

/** A DNS name Caddy can get a certificate for: labels of letters, digits and hyphens, at least one dot. */
export function isDomainName(v: string): boolean {
  return /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/i.test(v);
}

/**
 * One readable block listing every problem and its fix, for `start` and `doctor`; `verify` and
 * others say what they cannot do.
 */
export function formatProblems(problems: ConfigProblem[], cannot = 'wxcoze cannot start'): string {
  const lines = [`${cannot}: ${problems.length} configuration problem${problems.length === 1 ? '' : 's'}`];
  for (const p of problems) lines.push(`  ✗ ${p.problem}\n    → ${p.fix}`);
  lines.push('Set these in the environment, in .env, or run `wxcoze init`. `wxcoze doctor` checks everything.');
  return lines.join('\n');
}
