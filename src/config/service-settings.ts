/**
 * What the pipeline reads of the customer-service settings, without the schemas that parse them
 * (src/config/service.ts, zod): the pipeline's worker thread loads this, not ~4 MB of validation code.
 */

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
  /**
   * Where a handoff goes: 'wecom' (WeCom's own servicers via service_state/trans; the session leaves
   * the API's reach) or 'console' (the operator console's queue; the session stays API-served).
   */
  handoffTo: 'wecom' | 'console';
  /** Offer Coze's follow-up suggestions as a clickable menu. */
  followUpMenu: boolean;
  /** Answer a customer who spoke with a voice message too (in `voiceId`), after the text. */
  voiceReply: boolean;
  voiceId?: string;
  /** Send `waitNoticeText` once when Coze has not answered within `waitNoticeMs` (src/pipeline/wait-notice.ts). */
  waitNotice: boolean;
  waitNoticeMs: number;
  waitNoticeText: string;
  /** Send a rating menu when a conversation ends (src/pipeline/survey.ts). */
  survey: boolean;
  surveyText: string;
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
  /** The survey's buttons, best first; a rating is its 1-based place here. */
  surveyOptions: string[];
  /** A conversation the AI answered ends after this long without a customer message (ms). */
  surveyQuietMs: number;
}

/** The settings of one account: its overrides on top of the defaults. */
export function settingsFor(service: ServiceConfig, openKfId: string): ServiceSettings {
  const o = service.accounts[openKfId] ?? {};
  const merged = { ...service.defaults, ...o };
  // A per-account bot replaces the global target entirely.
  if (o.botId) {
    delete merged.workflowId;
    delete merged.appId;
  }
  if (o.workflowId) delete merged.botId;
  return merged;
}

/** Whether `now` falls inside the quiet period (which may wrap past midnight). */
export function inQuietHours(q: ServiceConfig['quietHours'], now: number): boolean {
  if (!q) return false;
  const local = (((Math.floor(now / 60_000) + q.offsetMin) % 1440) + 1440) % 1440;
  return q.startMin <= q.endMin
    ? local >= q.startMin && local < q.endMin
    : local >= q.startMin || local < q.endMin;
}
