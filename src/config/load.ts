import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { pick } from './aliases.js';
import { describeIssue, SETTINGS, type Setting, type SettingValues } from './schema.js';
import { serviceConfig } from './service.js';
import { webhookFormat } from './webhook-url.js';
import type { ApiKey, ConfigProblem, WxcozeConfig } from './types.js';

// The per-setting validators `wxcoze init` uses, where it has always imported them from.
export { encodingAesKeyProblem, isDomainName, promptValidator, settingProblem } from './schema.js';

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
export function resolveDataDir(
  env: Record<string, string | undefined>,
  dotenv: Record<string, string>,
  cwd: string,
): string {
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

function readConfigFile(
  path: string,
  problems: ConfigProblem[],
): { values: Record<string, string>; unreadable: boolean } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    // Missing (or a data directory that cannot exist: `start` and `doctor` name that problem themselves).
    if (code === 'ENOENT' || code === 'ENOTDIR') return { values: {}, unreadable: false };
    // Not "missing": a folder we may not enter (a 0700 data directory of another user) fails here too.
    const fix =
      code === 'EACCES' || code === 'EPERM'
        ? `Run wxcoze as the user that owns it (\`ls -l ${path}\` shows who), e.g. \`sudo -u <owner> wxcoze …\`; or make it yours: \`sudo chown $(id -un) ${path}\`.`
        : `Make ${path} the JSON file \`wxcoze init\` writes (move what is there away and run \`wxcoze init\` again).`;
    problems.push({
      key: 'config file',
      problem: `${path} cannot be read: ${READ_ERRORS[code] ?? (err as Error).message} (${code})`,
      fix,
    });
    return { values: {}, unreadable: true };
  }
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw))
      if (v !== null && v !== undefined) out[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return { values: out, unreadable: false };
  } catch (err) {
    problems.push({
      key: 'config file',
      problem: `${path} is not valid JSON (${(err as Error).message})`,
      fix: 'Fix the file by hand or re-run `wxcoze init`.',
    });
    return { values: {}, unreadable: false };
  }
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
    for (const [name, src] of [
      ['env', env],
      ['.env', dotenv],
      [configFile, file],
    ] as const) {
      const v = pick(src, key);
      if (v !== undefined) {
        sources[key] = name;
        return v;
      }
    }
    return undefined;
  };
  const v = readSettings(get, problems, unreadable);

  // Rules between settings.
  const { COZE_BOT_ID: botId, COZE_WORKFLOW_ID: workflowId, COZE_APP_ID: appId } = v;
  if (get('COZE_BOT_ID') === undefined && get('COZE_WORKFLOW_ID') === undefined && !unreadable) {
    problems.push({
      key: 'COZE_BOT_ID',
      problem: 'Neither COZE_BOT_ID nor COZE_WORKFLOW_ID is set',
      fix: 'Set COZE_BOT_ID to the bot id from its URL (…/bot/<id>), or COZE_WORKFLOW_ID + COZE_APP_ID for a chatflow.',
    });
  }
  if (get('COZE_BOT_ID') !== undefined && get('COZE_WORKFLOW_ID') !== undefined) {
    problems.push({
      key: 'COZE_WORKFLOW_ID',
      problem: 'Both COZE_BOT_ID and COZE_WORKFLOW_ID are set',
      fix: 'Set only one: COZE_BOT_ID for a bot, or COZE_WORKFLOW_ID (+ COZE_APP_ID) for a chatflow.',
    });
  }
  const auth = cozeAuthRules(v, get, sources, problems, unreadable);
  const apiKeys: ApiKey[] = v.WXCOZE_API_KEYS;
  const config: WxcozeConfig = {
    wecom: {
      corpId: v.WECOM_CORP_ID ?? '',
      secret: v.WECOM_SECRET ?? '',
      token: v.WECOM_TOKEN ?? '',
      encodingAesKey: v.WECOM_ENCODING_AES_KEY ?? '',
      apiBase: v.WECOM_API_BASE,
      ...(v.WXCOZE_WECOM_PROXY ? { proxy: v.WXCOZE_WECOM_PROXY } : {}),
      ...(v.WECOM_OPEN_KFID ? { openKfId: v.WECOM_OPEN_KFID } : {}),
    },
    coze: {
      apiToken: auth.oauth ? '' : (v.COZE_API_TOKEN ?? ''),
      ...auth,
      apiBase: v.COZE_API_BASE,
      ...(botId ? { botId } : {}),
      ...(workflowId ? { workflowId } : {}),
      ...(appId ? { appId } : {}),
      timeoutMs: v.COZE_TIMEOUT_MS,
      maxAttempts: v.COZE_MAX_ATTEMPTS,
    },
    server: {
      host: v.WXCOZE_HOST,
      port: v.PORT,
      bodyLimit: v.WXCOZE_BODY_LIMIT,
      allowPrivateUrls: v.WXCOZE_ALLOW_PRIVATE_URLS,
      callbackMaxSkewS: v.WXCOZE_CALLBACK_MAX_SKEW_S,
      headersTimeoutMs: v.WXCOZE_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: v.WXCOZE_REQUEST_TIMEOUT_MS,
      maxPendingPerClient: v.WXCOZE_MAX_PENDING_PER_CLIENT,
      readyTimeoutMs: v.WXCOZE_READY_TIMEOUT_MS,
      ...(v.WXCOZE_METRICS_TOKEN ? { metricsToken: v.WXCOZE_METRICS_TOKEN } : {}),
    },
    dataDir,
    console: {
      path: v.WXCOZE_ADMIN_PATH,
      sessionIdleMs: v.WXCOZE_ADMIN_SESSION_IDLE_HOURS * 3_600_000,
      sessionMaxMs: v.WXCOZE_ADMIN_SESSION_MAX_DAYS * 86_400_000,
      loginLimits: { perIp: v.WXCOZE_ADMIN_LOGIN_LIMIT_IP, perName: v.WXCOZE_ADMIN_LOGIN_LIMIT_NAME },
    },
    ...(v.WXCOZE_DOMAIN ? { domain: v.WXCOZE_DOMAIN } : {}),
    store: {
      ...(v.WXCOZE_DATABASE_URL ? { databaseUrl: v.WXCOZE_DATABASE_URL } : {}),
      ...(v.WXCOZE_REDIS_URL ? { redisUrl: v.WXCOZE_REDIS_URL } : {}),
      redisPrefix: v.WXCOZE_REDIS_PREFIX,
    },
    apiKeys: apiKeys.map((k) => k.key),
    openai: {
      keys: apiKeys,
      modelId: v.WXCOZE_MODEL_ID ?? (botId ? `coze-bot-${botId}` : `coze-flow-${workflowId ?? 'none'}`),
      modelName: v.WXCOZE_MODEL_NAME ?? (botId ? `Coze bot ${botId}` : `Coze chatflow ${workflowId ?? ''}`),
      tasks: v.WXCOZE_OPENAI_TASKS,
      keepAliveMs: v.WXCOZE_OPENAI_KEEPALIVE_MS,
      bodyLimit: v.WXCOZE_OPENAI_BODY_LIMIT,
      rateLimit: { perKey: v.WXCOZE_OPENAI_RATE_PER_KEY, perIp: v.WXCOZE_OPENAI_RATE_PER_IP },
      corsOrigins: v.WXCOZE_OPENAI_CORS_ORIGINS,
    },
    pipeline: {
      concurrency: v.WXCOZE_CONCURRENCY,
      thread: v.WXCOZE_PIPELINE_THREAD,
      niceness: v.WXCOZE_PIPELINE_NICENESS,
      leaseMs: v.WXCOZE_LEASE_MS,
      takeoverMs: v.WXCOZE_TAKEOVER_MS,
      ...(v.WXCOZE_INSTANCE_ID ? { instanceId: v.WXCOZE_INSTANCE_ID } : {}),
      apologyText: v.WXCOZE_APOLOGY_TEXT,
      unsupportedText: v.WXCOZE_UNSUPPORTED_TEXT,
      ffmpeg: v.WXCOZE_FFMPEG,
      maxParts: v.WXCOZE_MAX_PARTS,
      retryBaseMs: v.WXCOZE_RETRY_BASE_MS,
      idlePullMs: v.WXCOZE_IDLE_PULL_S * 1000,
    },
    alerts: {
      ...(v.WXCOZE_ALERT_WEBHOOK ? { webhook: v.WXCOZE_ALERT_WEBHOOK } : {}),
      format: webhookFormat(v.WXCOZE_ALERT_WEBHOOK, v.WXCOZE_ALERT_WEBHOOK_FORMAT),
      checkMs: v.WXCOZE_ALERT_CHECK_MS,
      cozeDownMs: Math.round(v.WXCOZE_ALERT_COZE_DOWN_MINUTES * 60_000),
      pendingMs: Math.round(v.WXCOZE_ALERT_PENDING_MINUTES * 60_000),
      failedMessages: v.WXCOZE_ALERT_FAILED_MESSAGES,
      handoffMs: Math.round(v.WXCOZE_ALERT_HANDOFF_MINUTES * 60_000),
      certMs: v.WXCOZE_ALERT_CERT_DAYS * 86_400_000,
      tokenMs: v.WXCOZE_ALERT_TOKEN_DAYS * 86_400_000,
      diskPercent: v.WXCOZE_ALERT_DISK_PERCENT,
    },
    maintenance: {
      backupHour: v.WXCOZE_BACKUP_HOUR,
      backupKeep: v.WXCOZE_BACKUP_KEEP,
      backupDir: v.WXCOZE_BACKUP_DIR ? resolve(dataDir, v.WXCOZE_BACKUP_DIR) : join(dataDir, 'backups'),
      retentionDays: v.WXCOZE_RETENTION_DAYS,
      utcOffsetMin: v.WXCOZE_UTC_OFFSET,
    },
    service: serviceConfig(v, problems),
    logLevel: v.WXCOZE_LOG_LEVEL,
    logRotation: { maxBytes: v.WXCOZE_LOG_MAX_SIZE, files: v.WXCOZE_LOG_FILES },
  };
  return { config, problems, sources, configFile };
}

const OAUTH_KEYS = [
  'COZE_JWT_OAUTH_CLIENT_ID',
  'COZE_JWT_OAUTH_PUBLIC_KEY_ID',
  'COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH',
] as const;

/**
 * How wxcoze authenticates with Coze: the access token (COZE_API_TOKEN) or the OAuth service app
 * (all three COZE_JWT_OAUTH_* settings), exactly one of them. The token's recorded expiry only
 * matters while the token is used.
 */
function cozeAuthRules(
  v: SettingValues,
  get: (key: string) => string | undefined,
  sources: Record<string, string>,
  problems: ConfigProblem[],
  unreadable: boolean,
): Pick<WxcozeConfig['coze'], 'oauth' | 'tokenExpiresAt'> {
  const given = OAUTH_KEYS.filter((k) => get(k) !== undefined);
  const hasToken = get('COZE_API_TOKEN') !== undefined;
  if (given.length > 0 && given.length < OAUTH_KEYS.length) {
    for (const k of OAUTH_KEYS.filter((x) => !given.includes(x)))
      problems.push({
        key: k,
        problem: `${k} is not set, but ${given.join(' and ')} ${given.length === 1 ? 'is' : 'are'}`,
        fix: 'The OAuth service app needs all three: COZE_JWT_OAUTH_CLIENT_ID (应用 ID), COZE_JWT_OAUTH_PUBLIC_KEY_ID (公钥指纹) and COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH (private_key.pem). `wxcoze init` asks for them.',
      });
    return {};
  }
  if (given.length === OAUTH_KEYS.length) {
    if (hasToken)
      problems.push({
        key: 'COZE_API_TOKEN',
        problem: `Both COZE_API_TOKEN (from ${sources.COZE_API_TOKEN}) and the OAuth app (COZE_JWT_OAUTH_*) are set`,
        fix: 'Keep one: remove COZE_API_TOKEN to use the OAuth app, or remove the three COZE_JWT_OAUTH_* settings to use the token. `wxcoze init` switches between them.',
      });
    const [appId, keyId, privateKeyFile] = [
      v.COZE_JWT_OAUTH_CLIENT_ID,
      v.COZE_JWT_OAUTH_PUBLIC_KEY_ID,
      v.COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH,
    ];
    return appId && keyId && privateKeyFile ? { oauth: { appId, keyId, privateKeyFile } } : {};
  }
  if (!hasToken && !unreadable)
    problems.push({
      key: 'COZE_API_TOKEN',
      problem: 'COZE_API_TOKEN is not set (nor the OAuth app, COZE_JWT_OAUTH_*)',
      fix: 'Create a personal access token at coze.cn (or coze.com) → API 管理 → 个人访问令牌, with the chat and file permissions; or an OAuth service app (tokens that need no renewing): `wxcoze init` asks for either.',
    });
  const exp = v.WXCOZE_COZE_TOKEN_EXPIRES_AT;
  if (!exp) return {};
  // A day begins at midnight where the business is (WXCOZE_UTC_OFFSET, +08:00 by default).
  const at = 'at' in exp ? exp.at : Date.parse(`${exp.day}T00:00:00Z`) - v.WXCOZE_UTC_OFFSET * 60_000;
  return { tokenExpiresAt: at };
}

/**
 * Every setting through its schema. Unset: its default (a required one is a problem, except when
 * the config file could not be read — that is the one problem, not six "is not set" lines that
 * follow from it). Invalid: each issue a problem with its fix, and the default in its place (a
 * required value is kept as given, so the checks that need it skip rather than guess).
 */
function readSettings(
  get: (key: string) => string | undefined,
  problems: ConfigProblem[],
  unreadable: boolean,
): SettingValues {
  const out: Record<string, unknown> = {};
  for (const s of Object.values(SETTINGS) as Setting[]) {
    const raw = get(s.env);
    out[s.env] = s.default;
    if (raw === undefined) {
      if (s.required && !unreadable) {
        const alias = s.aliases.length ? ` (or ${s.aliases.join(' / ')})` : '';
        problems.push({ key: s.env, problem: `${s.env}${alias} is not set`, fix: s.required });
      }
      continue;
    }
    const parsed = s.schema.safeParse(raw);
    if (parsed.success) {
      out[s.env] = parsed.data;
      continue;
    }
    if (s.required) out[s.env] = raw;
    for (const issue of parsed.error.issues) {
      const { problem, fix } = describeIssue(issue, s.env, raw, s.secret);
      problems.push({ key: s.env, problem, fix: fix ?? s.fix });
    }
  }
  return out as SettingValues;
}

/**
 * One readable block listing every problem and its fix, for `start` and `doctor`; `verify` and
 * others say what they cannot do.
 */
export function formatProblems(problems: ConfigProblem[], cannot = 'wxcoze cannot start'): string {
  const lines = [`${cannot}: ${problems.length} configuration problem${problems.length === 1 ? '' : 's'}`];
  for (const p of problems) lines.push(`  ✗ ${p.problem}\n    → ${p.fix}`);
  lines.push(
    'Set these in the environment, in .env, or run `wxcoze init`. `wxcoze doctor` checks everything.',
  );
  return lines.join('\n');
}
