import type { Logger } from '../log/logger.js';
import type { NewInboxMessage, Store } from '../store/types.js';
import { parseRatingClick } from './survey-menu.js';

/** msg_send_fail fail_type meanings (docs/protocol.md §sync_msg). */
const FAIL_TYPES: Record<number, string> = {
  0: 'unknown',
  1: 'kf account deleted',
  2: 'app disabled',
  4: 'session expired (>48 h)',
  5: 'session closed',
  6: 'over the 5-message quota',
  7: 'WeChat Channels not bound',
  8: 'entity unverified',
  9: 'Channels not bound and entity unverified',
  10: 'the customer refused messages',
  11: 'no member logged into the WeCom app',
  12: 'message type banned by the kf component',
};

/**
 * Effects of a committed page that only touch the store, applied in page order right after the
 * commit (so a recall can still stop a reply being prepared): who serves a session (a human
 * servicer's message or a session change), recalls, and delivery failures. Replays are harmless:
 * a mode change older than the recorded one is ignored, cancel and notes are idempotent.
 */
export async function applyEvents(
  store: Store,
  messages: NewInboxMessage[],
  log: Logger,
  now = Date.now(),
): Promise<void> {
  for (const m of messages) {
    // WeCom times are whole seconds; our own handoff is stamped in ms. Taking the end of the
    // second orders an event after a handoff we made earlier in that same second.
    const at = m.sendTime * 1000 + 999;
    if (m.origin === 5 && m.externalUserId) {
      await store.setCustomerMode(m.openKfId, m.externalUserId, 'human', at, now);
      log.info(
        { msgid: m.msgid, externalUserId: m.externalUserId },
        'a human servicer is answering this customer: the AI stays quiet',
      );
      continue;
    }
    if (m.origin === 3 && m.msgtype === 'text') {
      const text = (m.payload as { text?: { content?: string; menu_id?: string } }).text;
      const click = parseRatingClick(text?.menu_id);
      if (click) {
        const kept = await store.surveys.rate(
          click.surveyId,
          m.openKfId,
          m.externalUserId,
          click.rating,
          String(text?.content ?? ''),
          m.sendTime * 1000,
        );
        log.info(
          {
            msgid: m.msgid,
            externalUserId: m.externalUserId,
            survey: click.surveyId,
            rating: click.rating,
            kept,
          },
          kept ? 'satisfaction rating recorded' : 'a rating click for no survey of this customer: ignored',
        );
      }
      continue;
    }
    if (m.msgtype !== 'event') continue;
    const ev = (m.payload as { event?: Record<string, unknown> }).event ?? {};
    const user = String(ev.external_userid ?? m.externalUserId ?? '');
    switch (ev.event_type) {
      case 'session_status_change': {
        // 3 = ended: the AI takes over again; 1 taken from the pool, 2 transferred, 4 reopened: a human serves.
        const mode = Number(ev.change_type) === 3 ? 'ai' : 'human';
        await store.setCustomerMode(m.openKfId, user, mode, at, now);
        log.info(
          { msgid: m.msgid, externalUserId: user, changeType: ev.change_type, mode },
          'session changed hands',
        );
        break;
      }
      case 'user_recall_msg': {
        const target = String(ev.recall_msgid ?? '');
        const cancelled = target ? await store.cancelMessage(target, 'recalled by the customer', now) : false;
        log.info(
          { msgid: m.msgid, recalled: target, cancelled },
          cancelled ? 'recalled message will not be answered' : 'recalled message was already answered',
        );
        break;
      }
      case 'msg_send_fail': {
        const failType = Number(ev.fail_type ?? 0);
        const note = `delivery failed: fail_type ${failType} (${FAIL_TYPES[failType] ?? 'unknown'})`;
        const inbound = await store.noteDeliveryFailure(String(ev.fail_msgid ?? ''), note, now);
        log.warn(
          { msgid: inbound ?? null, failMsgid: ev.fail_msgid, failType },
          `WeCom could not deliver a reply: ${FAIL_TYPES[failType] ?? 'unknown'}`,
        );
        break;
      }
      default:
        break;
    }
  }
}
