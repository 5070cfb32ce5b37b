/**
 * The validation shared by send_msg and send_msg_on_event (docs/protocol.md §send_msg, §send_msg_on_event, §wecom-errcodes, §fakes). Pure functions over the
 * request body and state, returning an errcode+detail or undefined when acceptable.
 */
import { DUPLICATE_MSGID_ERRCODE } from '../../wecom/errors.js';
import { isObject } from './reply.js';
import type { FakeState } from './state.js';

export interface Refusal {
  errcode: number;
  detail: string;
}

const MSGID_RE = /^[0-9A-Za-z_-]{1,32}$/;
const SEND_TYPES = new Set([
  'text',
  'image',
  'voice',
  'video',
  'file',
  'link',
  'miniprogram',
  'msgmenu',
  'location',
  'ca_link',
]);
const MEDIA_TYPES = new Set(['image', 'voice', 'video', 'file']);
const TEXT_MAX_BYTES = 2048;
const MENU_MAX_ITEMS = 10;
/** With the `u` flag a surrogate pair is one code point, so this matches only half of one. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** msgid: optional, but when present it must be well-formed and never reused for the same account. */
export function checkMsgid(state: FakeState, openKfId: string, msgid: unknown): Refusal | undefined {
  if (msgid === undefined) return undefined;
  if (typeof msgid !== 'string' || !MSGID_RE.test(msgid)) return { errcode: 40058, detail: 'invalid msgid' };
  if (state.msgidsOf(openKfId).has(msgid))
    return { errcode: DUPLICATE_MSGID_ERRCODE, detail: 'msgid duplicated' };
  return undefined;
}

/** msgtype and its payload. `allowed` narrows the types (send_msg_on_event takes text/msgmenu only). */
export function checkContent(
  state: FakeState,
  body: Record<string, any>,
  allowed: Set<string> = SEND_TYPES,
): Refusal | undefined {
  // A lone UTF-16 surrogate (half an emoji) can only travel as a `\uD83D` escape, which WeCom refuses.
  if (hasLoneSurrogate(body[body.msgtype]))
    return { errcode: 40033, detail: 'invalid charset. please check your request' };
  const msgtype = body.msgtype;
  if (typeof msgtype !== 'string' || !allowed.has(msgtype))
    return { errcode: 40008, detail: 'invalid message type' };
  const payload = body[msgtype];
  if (!isObject(payload)) return { errcode: 40058, detail: `${msgtype} missing` };
  if (msgtype === 'text') {
    if (typeof payload.content !== 'string' || payload.content === '')
      return { errcode: 44004, detail: 'empty content' };
    if (Buffer.byteLength(payload.content, 'utf8') > TEXT_MAX_BYTES)
      return { errcode: 45002, detail: 'content size out of limit' };
  }
  if (MEDIA_TYPES.has(msgtype)) {
    if (typeof payload.media_id !== 'string' || !state.media.has(payload.media_id))
      return { errcode: 40007, detail: 'invalid media_id' };
  }
  if (msgtype === 'msgmenu') {
    if (!Array.isArray(payload.list)) return { errcode: 40058, detail: 'msgmenu.list missing' };
    if (payload.list.length > MENU_MAX_ITEMS) return { errcode: 95008, detail: 'menu item count exceed' };
  }
  return undefined;
}

function hasLoneSurrogate(v: unknown): boolean {
  if (typeof v === 'string') return LONE_SURROGATE.test(v);
  if (Array.isArray(v)) return v.some(hasLoneSurrogate);
  return isObject(v) && Object.values(v).some(hasLoneSurrogate);
}

export { SEND_TYPES };
