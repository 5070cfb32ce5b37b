import {
  ACCOUNT_SETTINGS,
  accountsSchema,
  describeIssue,
  SETTINGS,
  type SettingName,
  type SettingValues,
} from './schema.js';
import type { ServiceConfig, ServiceSettings } from './service-settings.js';
import type { ConfigProblem } from './types.js';

export type { ServiceConfig, ServiceSettings } from './service-settings.js';
export { inQuietHours, settingsFor } from './service-settings.js';

/**
 * The customer-service settings from the validated values; WXCOZE_ACCOUNTS is JSON whose per-account
 * settings go through the same schemas as the variables they override (`accountSchema`): a keyword
 * list may be a JSON array or one comma-separated text, a switch only true/false (1/0, yes/no,
 * on/off). Every problem names the account and the setting; none is thrown.
 */
export function serviceConfig(v: SettingValues, problems: ConfigProblem[]): ServiceConfig {
  const defaults: ServiceSettings = {
    ...(v.WXCOZE_WELCOME_TEXT ? { welcomeText: v.WXCOZE_WELCOME_TEXT } : {}),
    welcomeMenu: v.WXCOZE_WELCOME_MENU,
    handoffKeywords: v.WXCOZE_HANDOFF_KEYWORDS,
    handoffText: v.WXCOZE_HANDOFF_TEXT,
    ...(v.WXCOZE_HANDOFF_SERVICER ? { handoffServicer: v.WXCOZE_HANDOFF_SERVICER } : {}),
    handoffTo: v.WXCOZE_HANDOFF_TO,
    followUpMenu: v.WXCOZE_FOLLOWUP_MENU,
    voiceReply: v.WXCOZE_VOICE_REPLY,
    ...(v.COZE_VOICE_ID ? { voiceId: v.COZE_VOICE_ID } : {}),
    waitNotice: v.WXCOZE_WAIT_NOTICE,
    waitNoticeMs: v.WXCOZE_WAIT_NOTICE_MS,
    waitNoticeText: v.WXCOZE_WAIT_NOTICE_TEXT,
    survey: v.WXCOZE_SURVEY,
    surveyText: v.WXCOZE_SURVEY_TEXT,
  };
  const quiet = v.WXCOZE_QUIET_HOURS;
  const accounts = v.WXCOZE_ACCOUNTS ? parseAccounts(v.WXCOZE_ACCOUNTS, problems) : {};
  voiceWithoutVoice(defaults, accounts, problems);
  return {
    defaults,
    accounts,
    handoffMarker: v.WXCOZE_HANDOFF_MARKER,
    resetCommand: v.WXCOZE_RESET_COMMAND,
    resetText: v.WXCOZE_RESET_TEXT,
    voiceText: v.WXCOZE_VOICE_TEXT,
    ...(quiet ? { quietHours: { ...quiet, offsetMin: v.WXCOZE_UTC_OFFSET } } : {}),
    quietText: v.WXCOZE_QUIET_TEXT,
    noticeIntervalMs: v.WXCOZE_NOTICE_INTERVAL_MS,
    surveyOptions: v.WXCOZE_SURVEY_OPTIONS,
    surveyQuietMs: v.WXCOZE_SURVEY_QUIET_MS,
  };
}

const ACCOUNTS_FIX = SETTINGS.WXCOZE_ACCOUNTS.fix;

/** Voice replies need a voice: said at start, not at the first voice message. */
function voiceWithoutVoice(
  defaults: ServiceSettings,
  accounts: ServiceConfig['accounts'],
  problems: ConfigProblem[],
): void {
  if (defaults.voiceReply && !defaults.voiceId)
    problems.push({
      key: 'COZE_VOICE_ID',
      problem: 'WXCOZE_VOICE_REPLY is on but COZE_VOICE_ID is not set: voice replies need a Coze voice',
      fix: `${SETTINGS.COZE_VOICE_ID.fix} Or turn WXCOZE_VOICE_REPLY off.`,
    });
  for (const [kf, o] of Object.entries(accounts)) {
    if (o.voiceReply && !(o.voiceId ?? defaults.voiceId))
      problems.push({
        key: 'WXCOZE_ACCOUNTS',
        problem: `WXCOZE_ACCOUNTS is not valid: account "${kf}" has voiceReply on but no voiceId (nor COZE_VOICE_ID)`,
        fix: `Give account "${kf}" a "voiceId", or set COZE_VOICE_ID. ${SETTINGS.COZE_VOICE_ID.fix}`,
      });
  }
}

/** WXCOZE_ACCOUNTS → per-account overrides; on any problem no account is overridden (start refuses anyway). */
function parseAccounts(raw: string, problems: ConfigProblem[]): ServiceConfig['accounts'] {
  const refuse = (detail: string, fix = ACCOUNTS_FIX) =>
    problems.push({ key: 'WXCOZE_ACCOUNTS', problem: `WXCOZE_ACCOUNTS is not valid: ${detail}`, fix });
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    refuse((err as Error).message);
    return {};
  }
  const parsed = accountsSchema.safeParse(json);
  if (parsed.success) return parsed.data as ServiceConfig['accounts'];
  for (const issue of parsed.error.issues) {
    const [kf, key] = issue.path.map(String);
    if (kf === undefined) refuse(issue.message);
    else if (key === undefined) refuse(`account "${kf}" ${issue.message}`);
    else {
      const env = (ACCOUNT_SETTINGS as Record<string, SettingName>)[key];
      const value = (json as Record<string, Record<string, unknown>>)[kf]?.[key];
      const { problem } = describeIssue(issue, key, value);
      refuse(
        `account "${kf}": ${problem}`,
        `Correct "${key}" of account "${kf}"${env ? ` (it follows the rules of ${env}: ${SETTINGS[env].doc})` : ''}. ${ACCOUNTS_FIX}`,
      );
    }
  }
  return {};
}
