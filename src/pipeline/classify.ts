import type { KfMessage } from '../wecom/types.js';
import type { NewInboxMessage } from '../store/types.js';
import { parseRatingClick } from './survey-menu.js';

/** A message sent this long before wxcoze first saw its account is history, recorded and not answered. */
export const HISTORY_GRACE_MS = 120_000;

/**
 * Decides what the inbox does with one sync_msg item: customer messages (origin 3) are answered;
 * human servicer messages (origin 5), system events and history from before the install are
 * recorded only, so they are never sent to the AI.
 */
export function classify(m: KfMessage, historyBefore: number | null): NewInboxMessage {
  const ev = m.msgtype === 'event' ? m.event : undefined;
  const base = {
    msgid: m.msgid,
    openKfId: String(m.open_kfid ?? ev?.open_kfid ?? ''),
    externalUserId: String(m.external_userid ?? ev?.external_userid ?? ''),
    origin: Number(m.origin ?? 0),
    msgtype: m.msgtype,
    sendTime: Number(m.send_time ?? 0),
    payload: m,
  };
  if (base.origin === 5) return { ...base, state: 'skipped', note: 'sent by a human servicer' };
  // A welcome code is worth a worker: it must be used within 20 s (send_msg_on_event).
  if (
    ev?.event_type === 'enter_session' &&
    typeof ev.welcome_code === 'string' &&
    ev.welcome_code &&
    base.externalUserId
  ) {
    return { ...base, state: 'received', note: 'welcome' };
  }
  // A servicer ended the session (WeCom tells only for sessions a servicer handled): its msg_code
  // lets the survey go out within 20 s (send_msg_on_event); planReply decides whether one is due.
  if (
    ev?.event_type === 'session_status_change' &&
    Number(ev.change_type) === 3 &&
    typeof ev.msg_code === 'string' &&
    ev.msg_code &&
    base.externalUserId
  ) {
    return { ...base, state: 'received', note: 'session ended' };
  }
  if (base.origin !== 3 || m.msgtype === 'event')
    return { ...base, state: 'skipped', note: `event ${ev?.event_type ?? m.msgtype}` };
  if (!base.externalUserId) return { ...base, state: 'skipped', note: 'no external_userid' };
  if (historyBefore !== null && base.sendTime * 1000 < historyBefore)
    return { ...base, state: 'skipped', note: 'history from before wxcoze was installed' };
  // A click on the survey's rating menu is a rating (events.ts records it), never a question for Coze.
  if (m.msgtype === 'text' && parseRatingClick(m.text?.menu_id))
    return { ...base, state: 'skipped', note: 'survey rating' };
  return { ...base, state: 'received' };
}
