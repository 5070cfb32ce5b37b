import { fetchOutsideBytes, type FetchedBytes } from '../net/outside-fetch.js';
import type { PipelineMetrics } from './metric-events.js';
import type { Logger } from '../log/logger.js';
import type { InboxItem, LastPart, ReplyPart, Store } from '../store/types.js';
import type { OutboundMessage } from '../wecom/types.js';
import {
  DUPLICATE_MSGID_ERRCODE,
  isAlreadyHanded,
  undeliverableReason,
  wecomErrcodeOf,
  type WecomPort,
} from './ports.js';
import { cutToBytes, outboundMsgid } from './reply.js';
import { ratingMenu } from './survey-menu.js';

export const WECOM_PARTS_PER_CUSTOMER_MESSAGE = 5;

/** The budget is spent (what WeCom would answer with 95001). */
const QUOTA_USED = undeliverableReason(95001)!;

export type SendOutcome =
  /** `finished`: the last part's write also finished the message (as processMessage's finish would). */
  | { status: 'done'; note: string | null; finished?: boolean }
  | { status: 'undeliverable'; note: string }
  | { status: 'retry'; note: string }
  | { status: 'cancelled' }
  | { status: 'lost-lease' };

export const ANSWERED_BEFORE_RESTORE =
  'answered before the database was restored from a backup (WeCom refused the first part as a duplicate); the new answer was not sent';

/**
 * True when `wxcoze restore` ran after this message was sent by the customer: the restored row
 * may not know the answer that went out before the restore (migration 13's `restore` record).
 * Read only when WeCom refuses a first part as a duplicate, which is rare: no cost per message.
 */
async function answeredBeforeRestore(item: InboxItem, store: Store): Promise<boolean> {
  const restore = await store.maintenance.last('restore');
  return restore !== undefined && restore.lastRunAt > 0 && item.sendTime * 1000 <= restore.lastRunAt;
}

/** WeCom caps a click item's text at 128 bytes and a menu at 10 items. */
function clickItems(buttons: string[]): unknown[] {
  return buttons
    .slice(0, 10)
    .map((b, i) => ({ type: 'click', click: { id: `wxc_${i + 1}`, content: cutToBytes(b, 128) } }));
}

/** WeCom's limit for an uploaded image, and the types it takes. */
const IMAGE_MAX_BYTES = 2 * 1024 * 1024;
const WECOM_IMAGE_TYPES = /^image\/(jpeg|png|gif)$/;

/**
 * Downloads an answer image for re-upload to WeCom; small, bounded, images only. The URL is the
 * bot's choice (and so, through prompt injection, possibly a customer's): public addresses only,
 * at most 3 redirects each re-checked, never https → http, cut off past 2 MB.
 */
function fetchImage(url: string, allowPrivate: boolean): Promise<FetchedBytes> {
  return fetchOutsideBytes(url, {
    allowPrivate,
    schemes: ['https:', 'http:'],
    headersTimeout: 10_000,
    bodyTimeout: 20_000,
    maxBytes: IMAGE_MAX_BYTES,
    acceptType: WECOM_IMAGE_TYPES,
  });
}

/** Makes the voice message of a voice part (voice-reply.ts); undefined: none could be made. */
export type Speak = (part: ReplyPart, signal: AbortSignal) => Promise<OutboundMessage | undefined>;

/** The message for one part; undefined for a voice that could not be made (nothing is sent for it). */
async function toOutbound(
  part: ReplyPart,
  wecom: WecomPort,
  log: Logger,
  allowPrivate: boolean,
  speak: Speak | undefined,
  signal: AbortSignal,
): Promise<OutboundMessage | undefined> {
  if (part.kind === 'voice') {
    if (speak) return speak(part, signal);
    log.warn('voice reply skipped: no converter here (see `wxcoze doctor`); the text answer stands');
    return undefined;
  }
  if (part.kind === 'menu' || (part.kind === 'welcome' && part.buttons?.length)) {
    return {
      msgtype: 'msgmenu',
      msgmenu: { head_content: part.content, list: clickItems(part.buttons ?? []) },
    };
  }
  if (part.kind === 'survey') return ratingMenu(part.surveyId ?? 0, part.content, part.buttons ?? []);
  if (part.kind !== 'image') return { msgtype: 'text', text: { content: part.content } };
  try {
    const img = await fetchImage(part.content, allowPrivate);
    const ext = img.contentType === 'image/png' ? 'png' : img.contentType === 'image/gif' ? 'gif' : 'jpg';
    const mediaId = await wecom.uploadMedia('image', `answer.${ext}`, img.data, img.contentType);
    return { msgtype: 'image', image: { media_id: mediaId } };
  } catch (err) {
    log.warn(
      { err: { message: (err as Error).message } },
      'answer image could not be sent as an image; sending its link',
    );
    return { msgtype: 'text', text: { content: part.fallback ?? part.content } };
  }
}

/**
 * Moves the session to a human: a named servicer (state 3) or the queue (state 2), and keeps the
 * AI quiet for this customer until the session ends. The kf API has no way to pass a note to the
 * servicer, so the handoff is logged (with the message that triggered it) for the human side.
 */
async function handOff(
  item: InboxItem,
  part: ReplyPart,
  deps: { wecom: WecomPort; store: Store; metrics?: PipelineMetrics },
  log: Logger,
): Promise<void> {
  deps.metrics?.count('handoffs', [part.to === 'console' ? 'console' : 'wecom']);
  if (part.to === 'console') {
    // To the console's queue: the session stays API-served (state 1, nothing asked of WeCom), the
    // AI pauses, and the open console sees the customer waiting (its live events read this change).
    await deps.store.setCustomerMode(item.openKfId, item.externalUserId, 'waiting', Date.now(), Date.now());
    log.info('customer handed to the console: waiting for an operator');
    return;
  }
  const state = part.servicer ? 3 : 2;
  try {
    await deps.wecom.transServiceState(item.openKfId, item.externalUserId, state, part.servicer);
    log.info({ toState: state, servicer: part.servicer ?? null }, 'session handed to a human');
  } catch (err) {
    const errcode = wecomErrcodeOf(err);
    if (errcode !== undefined && isAlreadyHanded(errcode))
      log.info({ errcode }, 'session was already with a human');
    else
      log.error(
        { errcode, err: { message: (err as Error).message } },
        'could not hand the session to a human; the AI stays quiet anyway (check the servicer id and that the kf account has servicers on duty)',
      );
  }
  await deps.store.setCustomerMode(item.openKfId, item.externalUserId, 'human', Date.now(), Date.now());
}

/**
 * Sends the stored parts of one answer, from the first one not yet sent. Each part carries a msgid
 * derived from the inbound msgid and its number, so a part whose outcome was unknown (crash,
 * timeout) is re-sent with the same id and WeCom's duplicate refusal tells us it was delivered.
 */
export async function sendReply(
  item: InboxItem,
  deps: {
    wecom: WecomPort;
    store: Store;
    owner: string;
    allowPrivateUrls?: boolean;
    speak?: Speak;
    metrics?: PipelineMetrics;
  },
  log: Logger,
  signal: AbortSignal,
  /**
   * This worker's saveAnswer stored the answer just now (under its lease, as `sending`): no re-read
   * of the lease, no beginSending.
   */
  justStored = false,
  /**
   * With `justStored`: the budget used as the plan read it after Coze answered (the waiting notice
   * could no longer go out). Nothing else sends to this customer meanwhile (their messages are
   * answered one at a time), so the first part needs no read of its own while it is under the
   * budget; a new customer message only lowers it.
   */
  usedAtPlan?: number,
): Promise<SendOutcome> {
  const parts = item.parts ?? [];
  // The last part's write also ends the message, as a full delivery would (an apology ends failed).
  const lastPart: LastPart = { state: item.apologized ? 'failed' : 'done', note: item.note ?? null };
  const lastOf = (i: number) => (i === parts.length - 1 ? lastPart : undefined);
  // Nothing of this stored answer has been tried on WeCom from this database yet (see below).
  let untried = (justStored || item.state === 'answered') && item.partsSent === 0;
  for (let i = item.partsSent; i < parts.length; i++) {
    if (signal.aborted) return { status: 'retry', note: 'stopped before sending' };
    if (i === item.partsSent) {
      if (item.state === 'answered') {
        // Nothing of this reply has gone out yet: mark the moment it starts (answered → sending,
        // under our lease). A recall or an operator's takeover cancels only before it, so either
        // the cancel came first and nothing is sent, or it finds the reply going out whole. The
        // same write tells a worker whose instance was taken over that the message is no longer its.
        if (!(await deps.store.beginSending(item.msgid, deps.owner, Date.now()))) {
          const cur = await deps.store.get(item.msgid);
          return cur?.state === 'cancelled' ? { status: 'cancelled' } : { status: 'lost-lease' };
        }
      } else if (!justStored) {
        // Resumed after some parts: after the first one, markPartSent's lease check tells a worker
        // taken over; this read tells it before it sends the next part again.
        const cur = await deps.store.get(item.msgid);
        if (cur?.leaseOwner !== undefined && cur.leaseOwner !== deps.owner) return { status: 'lost-lease' };
      }
    }
    const part = parts[i]!;
    // A new reply round (an operator's Retry asked anew) gets part msgids WeCom has not seen.
    const msgid = outboundMsgid(item.replyRound ? `${item.msgid}#${item.replyRound}` : item.msgid, i);

    if (part.kind === 'handoff') {
      await handOff(item, part, deps, log);
      if (!(await deps.store.markPartSent(item.msgid, deps.owner, i, null, Date.now(), lastOf(i))))
        return { status: 'lost-lease' };
      continue;
    }

    // Replies to an event's code (welcome, a session's end) are outside the 5-message budget.
    const onEvent = part.kind === 'welcome' || (part.kind === 'survey' && part.code !== undefined);
    if (!onEvent) {
      const known =
        justStored && i === 0 && usedAtPlan !== undefined && usedAtPlan < WECOM_PARTS_PER_CUSTOMER_MESSAGE;
      const used = known ? usedAtPlan : await deps.store.budgetUsed(item.openKfId, item.externalUserId);
      if (used >= WECOM_PARTS_PER_CUSTOMER_MESSAGE) {
        deps.metrics?.count('budget_refusals', ['spent']);
        // Nothing of it went out: the message failed (the console lists it; Retry once the customer writes again).
        if (i === 0) return { status: 'undeliverable', note: `95001: ${QUOTA_USED}` };
        return { status: 'done', note: `parts ${i + 1}-${parts.length} not sent: ${QUOTA_USED}` };
      }
    }
    const message = await toOutbound(
      part,
      deps.wecom,
      log,
      deps.allowPrivateUrls ?? false,
      deps.speak,
      signal,
    );
    if (!message) {
      // A voice that could not be made: nothing went out and nothing of the budget was spent.
      if (!(await deps.store.markPartSent(item.msgid, deps.owner, i, null, Date.now(), lastOf(i))))
        return { status: 'lost-lease' };
      continue;
    }
    try {
      if (onEvent) await deps.wecom.sendMsgOnEvent(part.code ?? '', msgid, message);
      else
        await deps.wecom.sendMsg({ touser: item.externalUserId, open_kfid: item.openKfId, msgid, message });
      log.info(
        { part: i + 1, of: parts.length, outMsgid: msgid, msgtype: message.msgtype, kind: part.kind },
        'reply part sent',
      );
    } catch (err) {
      const errcode = wecomErrcodeOf(err);
      const undeliverable = errcode === undefined ? undefined : undeliverableReason(errcode);
      if (errcode === DUPLICATE_MSGID_ERRCODE) {
        if (untried && (await answeredBeforeRestore(item, deps.store))) {
          // The database was restored from a backup taken before this message was answered: its
          // row said "not answered", so a new answer was made, but WeCom already has the first
          // part's msgid — the old answer reached the customer. Parts go out in order, so a
          // refused first part means the earlier answer went out: nothing more is sent.
          log.warn(
            { part: i + 1, outMsgid: msgid },
            'message was answered before the database was restored (WeCom refused the first part as a duplicate); the new answer is not sent',
          );
          return { status: 'done', note: ANSWERED_BEFORE_RESTORE };
        }
        log.info(
          { part: i + 1, outMsgid: msgid },
          'reply part was already delivered (duplicate msgid); counting it as sent',
        );
      } else if (onEvent && errcode !== undefined && errcode !== -1) {
        log.warn({ errcode, kind: part.kind }, `${part.kind} not accepted (the code expired or was used)`);
        if (part.kind === 'survey' && part.surveyId !== undefined)
          await deps.store.surveys.markFailed(part.surveyId, deps.owner, `refused: ${errcode}`, Date.now());
        return {
          status: 'undeliverable',
          note: `${part.kind} refused: ${errcode} ${(err as Error).message}`,
        };
      } else if (errcode !== undefined && undeliverable) {
        log.warn({ part: i + 1, errcode }, `reply not deliverable: ${undeliverable}`);
        if (errcode === 95001) deps.metrics?.count('budget_refusals', ['wecom_95001']);
        if (errcode === 95018) {
          // The session is queued or with a human: keep the AI quiet for this customer from now on.
          await deps.store.setCustomerMode(
            item.openKfId,
            item.externalUserId,
            'human',
            Date.now(),
            Date.now(),
          );
        }
        if (i > 0 && errcode === 95001)
          return { status: 'done', note: `parts ${i + 1}-${parts.length} not sent: ${undeliverable}` };
        return { status: 'undeliverable', note: `${errcode}: ${undeliverable}` };
      } else if (errcode !== undefined && errcode !== -1) {
        log.error(
          { part: i + 1, errcode, err: { message: (err as Error).message } },
          'WeCom refused the reply',
        );
        return { status: 'undeliverable', note: `${errcode}: ${(err as Error).message}` };
      } else {
        log.warn(
          { part: i + 1, err: { message: (err as Error).message } },
          'send failed in transit; will retry with the same msgid',
        );
        return { status: 'retry', note: (err as Error).message };
      }
    }
    untried = false;
    if (
      !(await deps.store.markPartSent(
        item.msgid,
        deps.owner,
        i,
        onEvent ? null : msgid,
        Date.now(),
        lastOf(i),
      ))
    )
      return { status: 'lost-lease' };
    if (part.kind === 'survey' && part.surveyId !== undefined)
      await deps.store.surveys.markSent(part.surveyId, deps.owner, onEvent ? null : msgid, Date.now());
  }
  return { status: 'done', note: null, finished: item.partsSent < parts.length };
}
