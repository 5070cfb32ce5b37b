import { Agent, interceptors, request } from 'undici';
import type { Logger } from '../log/logger.js';
import type { InboxItem, Store } from '../store/types.js';
import { DUPLICATE_MSGID_ERRCODE } from '../wecom/errors.js';
import type { OutboundMessage } from '../wecom/types.js';
import type { WecomPort } from './ports.js';
import { outboundMsgid } from './reply.js';

export const WECOM_PARTS_PER_CUSTOMER_MESSAGE = 5;

/** WeCom answers that mean "this reply can never be delivered": recorded with their meaning, not retried. */
const UNDELIVERABLE: Record<number, string> = {
  95001: 'the 5-messages-per-customer-message quota is used up',
  95002: 'the 48-hour window to answer this customer has passed',
  95013: 'the session has already ended',
  95018: 'the session is not in a state the API may answer (a human servicer has it, or it is queued)',
  95031: 'the customer has not written in 48 hours',
  40096: 'the external_userid is not valid for this app',
  95000: 'the open_kfid is not valid',
  95004: 'the open_kfid does not exist',
};

export type SendOutcome =
  | { status: 'done'; note: string | null }
  | { status: 'undeliverable'; note: string }
  | { status: 'retry'; note: string }
  | { status: 'lost-lease' };

/** Answer images come from signed CDN links that may redirect once or twice. */
const imageAgent = new Agent({ connect: { timeout: 10_000 } }).compose(interceptors.redirect({ maxRedirections: 3 }));

/** Downloads an answer image for re-upload to WeCom; small, bounded, images only. */
async function fetchImage(url: string): Promise<{ data: Buffer; contentType: string }> {
  const res = await request(url, { method: 'GET', headersTimeout: 10_000, bodyTimeout: 20_000, dispatcher: imageAgent });
  const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (res.statusCode !== 200 || !/^image\/(jpeg|png|gif)$/.test(type)) {
    await res.body.dump();
    throw new Error(`image download gave ${res.statusCode} ${type}`);
  }
  const data = Buffer.from(await res.body.arrayBuffer());
  if (data.length > 2 * 1024 * 1024) throw new Error('image larger than 2 MB');
  return { data, contentType: type };
}

async function toOutbound(part: { kind: string; content: string; fallback?: string }, wecom: WecomPort, log: Logger): Promise<OutboundMessage> {
  if (part.kind !== 'image') return { msgtype: 'text', text: { content: part.content } };
  try {
    const img = await fetchImage(part.content);
    const ext = img.contentType === 'image/png' ? 'png' : img.contentType === 'image/gif' ? 'gif' : 'jpg';
    const mediaId = await wecom.uploadMedia('image', `answer.${ext}`, img.data, img.contentType);
    return { msgtype: 'image', image: { media_id: mediaId } };
  } catch (err) {
    log.warn({ err: { message: (err as Error).message } }, 'answer image could not be sent as an image; sending its link');
    return { msgtype: 'text', text: { content: part.fallback ?? part.content } };
  }
}

/**
 * Sends the stored parts of one answer, from the first one not yet sent. Each part carries a msgid
 * derived from the inbound msgid and its number, so a part whose outcome was unknown (crash,
 * timeout) is re-sent with the same id and WeCom's duplicate refusal tells us it was delivered.
 */
export async function sendReply(
  item: InboxItem,
  deps: { wecom: WecomPort; store: Store; owner: string },
  log: Logger,
  signal: AbortSignal,
): Promise<SendOutcome> {
  const parts = item.parts ?? [];
  const customerSince = (await deps.store.lastCustomerMessageAt(item.openKfId, item.externalUserId)) ?? 0;
  for (let i = item.partsSent; i < parts.length; i++) {
    if (signal.aborted) return { status: 'retry', note: 'stopped before sending' };
    const used = await deps.store.sentSince(item.openKfId, item.externalUserId, customerSince);
    if (used >= WECOM_PARTS_PER_CUSTOMER_MESSAGE) {
      return { status: 'done', note: `parts ${i + 1}-${parts.length} not sent: ${UNDELIVERABLE[95001]}` };
    }
    const msgid = outboundMsgid(item.msgid, i);
    const message = await toOutbound(parts[i]!, deps.wecom, log);
    try {
      await deps.wecom.sendMsg({ touser: item.externalUserId, open_kfid: item.openKfId, msgid, message });
      log.info({ part: i + 1, of: parts.length, outMsgid: msgid, msgtype: message.msgtype }, 'reply part sent');
    } catch (err) {
      const errcode = (err as { errcode?: number }).errcode;
      if (errcode === DUPLICATE_MSGID_ERRCODE) {
        log.info({ part: i + 1, outMsgid: msgid }, 'reply part was already delivered (duplicate msgid); counting it as sent');
      } else if (errcode !== undefined && UNDELIVERABLE[errcode]) {
        log.warn({ part: i + 1, errcode }, `reply not deliverable: ${UNDELIVERABLE[errcode]}`);
        if (i > 0 && errcode === 95001) return { status: 'done', note: `parts ${i + 1}-${parts.length} not sent: ${UNDELIVERABLE[95001]}` };
        return { status: 'undeliverable', note: `${errcode}: ${UNDELIVERABLE[errcode]}` };
      } else if (errcode !== undefined && errcode !== -1) {
        log.error({ part: i + 1, errcode, err: { message: (err as Error).message } }, 'WeCom refused the reply');
        return { status: 'undeliverable', note: `${errcode}: ${(err as Error).message}` };
      } else {
        log.warn({ part: i + 1, err: { message: (err as Error).message } }, 'send_msg failed in transit; will retry with the same msgid');
        return { status: 'retry', note: (err as Error).message };
      }
    }
    if (!(await deps.store.markPartSent(item.msgid, deps.owner, i, msgid, Date.now()))) return { status: 'lost-lease' };
  }
  return { status: 'done', note: null };
}
