/**
 * Canonical variable names and the older Python bridge's names accepted for each, so a `.env`
 * written for that bridge works unchanged. The first name found wins; canonical names first.
 */
export const ALIASES: Record<string, string[]> = {
  WECOM_CORP_ID: ['WEWORK_CORPID'],
  WECOM_SECRET: ['WECOM_KF_SECRET', 'WEWORK_SECRET'],
  WECOM_TOKEN: ['WEWORK_TOKEN'],
  WECOM_ENCODING_AES_KEY: ['WEWORK_ENCODING_AES_KEY'],
  WECOM_API_BASE: [],
  COZE_API_TOKEN: [],
  COZE_BOT_ID: [],
  COZE_WORKFLOW_ID: [],
  COZE_APP_ID: [],
  COZE_API_BASE: [],
  COZE_TIMEOUT_MS: [],
  COZE_MAX_ATTEMPTS: [],
  PORT: [],
  WXCOZE_HOST: [],
  WXCOZE_DATA_DIR: [],
  WXCOZE_API_KEYS: [],
  WXCOZE_CONCURRENCY: [],
  WXCOZE_LEASE_MS: [],
  WXCOZE_APOLOGY_TEXT: [],
  WXCOZE_UNSUPPORTED_TEXT: [],
  WXCOZE_MAX_PARTS: [],
  WXCOZE_RETRY_BASE_MS: [],
  WXCOZE_BODY_LIMIT: [],
  WXCOZE_LOG_LEVEL: [],
  WXCOZE_DATABASE_URL: [],
  WXCOZE_REDIS_URL: [],
  WXCOZE_REDIS_PREFIX: [],
  WXCOZE_WELCOME_TEXT: [],
  WXCOZE_WELCOME_MENU: [],
  WXCOZE_HANDOFF_KEYWORDS: [],
  WXCOZE_HANDOFF_TEXT: [],
  WXCOZE_HANDOFF_SERVICER: [],
  WXCOZE_HANDOFF_MARKER: [],
  WXCOZE_FOLLOWUP_MENU: [],
  WXCOZE_ACCOUNTS: [],
  WXCOZE_RESET_COMMAND: [],
  WXCOZE_RESET_TEXT: [],
  WXCOZE_VOICE_TEXT: [],
  WXCOZE_QUIET_HOURS: [],
  WXCOZE_UTC_OFFSET: [],
  WXCOZE_QUIET_TEXT: [],
  WXCOZE_NOTICE_INTERVAL_MS: [],
  WXCOZE_ALLOW_PRIVATE_URLS: [],
};

export type CanonicalKey = keyof typeof ALIASES;

/** Look a canonical key up in one source, trying its aliases in order. */
export function pick(source: Record<string, string | undefined>, key: string): string | undefined {
  for (const name of [key, ...(ALIASES[key] ?? [])]) {
    const v = source[name];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
}
