import {
  CUSTOMER_MODES,
  type Account,
  type CustomerMode,
  type CustomerState,
  type InboxItem,
  type ReplyPart,
} from './types.js';

type Row = Record<string, any>;

/** Row → domain object, shared by both engines (MySQL may hand BIGINTs back as strings). */
export function toAccount(r: Row): Account {
  return {
    openKfId: r.open_kfid,
    cursor: r.cursor ?? null,
    firstSeenAt: Number(r.first_seen_at),
    lastPullAt: r.last_pull_at === null || r.last_pull_at === undefined ? null : Number(r.last_pull_at),
    lastError: r.last_error ?? null,
  };
}

export function toItem(r: Row): InboxItem {
  return {
    seq: Number(r.seq),
    msgid: r.msgid,
    openKfId: r.open_kfid,
    externalUserId: r.external_userid,
    origin: Number(r.origin),
    msgtype: r.msgtype,
    sendTime: Number(r.send_time),
    payload: JSON.parse(r.payload),
    state: r.state,
    attempts: Number(r.attempts),
    parts: r.parts ? (JSON.parse(r.parts) as ReplyPart[]) : null,
    partsSent: Number(r.parts_sent),
    note: r.note ?? null,
    apologized: Number(r.apologized ?? 0) === 1,
    cozeConversationId: r.coze_conversation_id ?? null,
    cozeChatId: r.coze_chat_id ?? null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    leaseOwner: r.lease_owner ?? null,
    replyRound: Number(r.reply_round ?? 0),
    dismissedAt: r.dismissed_at === null || r.dismissed_at === undefined ? null : Number(r.dismissed_at),
    transcript: r.transcript ?? null,
    mediaFilename: r.media_filename ?? null,
  };
}

export function toCustomer(r: Row | undefined): CustomerState {
  if (!r) return { mode: 'ai', modeSince: 0, fallbackSentAt: 0, quietNoticeAt: 0 };
  return {
    // An unknown mode (written by a newer version) reads as the AI's.
    mode: CUSTOMER_MODES.includes(r.mode as CustomerMode) ? (r.mode as CustomerMode) : 'ai',
    modeSince: Number(r.mode_since),
    fallbackSentAt: Number(r.fallback_sent_at),
    quietNoticeAt: Number(r.quiet_notice_at),
  };
}
