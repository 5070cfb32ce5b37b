import type { InboxItem } from '../store/types.js';

/** Why a message failed, as the console groups it. */
export type FailureKind = 'coze' | 'budget' | 'undeliverable' | 'other';

/** WeCom's codes for a spent budget: 5 messages used (95001), the 48-hour window closed (95002). */
const BUDGET_CODES = /^(95001|95002)\b/;

/** Reads the kind from what the pipeline recorded (the apology flag, the note it wrote). */
export function failureKind(item: Pick<InboxItem, 'apologized' | 'note'>): FailureKind {
  const note = item.note ?? '';
  if (item.apologized || note.startsWith('failed:')) return 'coze';
  if (BUDGET_CODES.test(note)) return 'budget';
  if (/^\d{4,6}\b/.test(note) || note.startsWith('welcome refused') || note.startsWith('delivery failed'))
    return 'undeliverable';
  return 'other';
}

/** One failed message as the console lists it. */
export interface FailedView {
  msgid: string;
  seq: number;
  openKfId: string;
  externalUserId: string;
  /** 3 customer, 0 an operator's reply. */
  origin: number;
  msgtype: string;
  /** The customer's (or operator's) text, when it was text. */
  text: string | null;
  /** When it was sent (ms). */
  at: number;
  failedAt: number;
  kind: FailureKind;
  /** What the pipeline recorded (the reason in its words). */
  reason: string;
  /** Parts of the stored answer already out (a retry continues after them). */
  partsSent: number;
  parts: number;
}

export function failedView(item: InboxItem): FailedView {
  const p = item.payload as { text?: { content?: unknown } } | null;
  const text = item.msgtype === 'text' && typeof p?.text?.content === 'string' ? p.text.content : null;
  return {
    msgid: item.msgid,
    seq: item.seq,
    openKfId: item.openKfId,
    externalUserId: item.externalUserId,
    origin: item.origin,
    msgtype: item.msgtype,
    text,
    at: item.sendTime * 1000,
    failedAt: item.updatedAt,
    kind: failureKind(item),
    reason: item.note ?? '',
    partsSent: item.partsSent,
    parts: item.parts?.length ?? 0,
  };
}
