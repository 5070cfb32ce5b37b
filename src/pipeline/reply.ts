import { createHash } from 'node:crypto';
import type { ReplyPart } from '../store/types.js';

/** WeCom's send_msg text limit, in UTF-8 bytes. */
export const MAX_TEXT_BYTES = 2048;
const TRUNCATED_MARK = '…';

const graphemes = new Intl.Segmenter('zh', { granularity: 'grapheme' });
const sentences = new Intl.Segmenter('zh', { granularity: 'sentence' });
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * The outbound msgid of part `partNo` of the reply to `inboundMsgid`: the same every time, so a
 * resend after a crash carries the same id and WeCom refuses it as a duplicate instead of showing
 * it twice. ≤ 32 bytes of [0-9A-Za-z_-] as send_msg requires.
 */
export function outboundMsgid(inboundMsgid: string, partNo: number): string {
  const h = createHash('sha256').update(inboundMsgid).digest('base64url').slice(0, 26);
  return `${h}_${partNo}`;
}

/** Cuts one piece that is too long at grapheme boundaries (an emoji or a CJK character is never split). */
function cutGraphemes(text: string, limit: number): string[] {
  const out: string[] = [];
  let cur = '';
  let curBytes = 0;
  for (const { segment } of graphemes.segment(text)) {
    const b = bytes(segment);
    if (curBytes + b > limit && cur) {
      out.push(cur);
      cur = '';
      curBytes = 0;
    }
    cur += segment;
    curBytes += b;
  }
  if (cur) out.push(cur);
  return out;
}

/** The longest start of `text` that fits `limit` bytes, cut between graphemes (never half an emoji). */
export function cutToBytes(text: string, limit: number): string {
  return bytes(text) <= limit ? text : (cutGraphemes(text, limit)[0] ?? '');
}

/** Splits text into pieces that each fit `limit` bytes, preferring paragraph, then sentence boundaries. */
function pieces(text: string, limit: number): string[] {
  const out: string[] = [];
  for (const para of text.split(/(?<=\n)/)) {
    if (bytes(para) <= limit) {
      out.push(para);
      continue;
    }
    for (const { segment } of sentences.segment(para)) {
      if (bytes(segment) <= limit) out.push(segment);
      else out.push(...cutGraphemes(segment, limit));
    }
  }
  return out;
}

/** Packs pieces greedily into as few parts of at most `limit` bytes as possible. */
function pack(items: string[], limit: number): string[] {
  const parts: string[] = [];
  let cur = '';
  for (const p of items) {
    if (cur && bytes(cur) + bytes(p) > limit) {
      parts.push(cur);
      cur = '';
    }
    cur += p;
  }
  if (cur) parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Splits plain text into parts of at most MAX_TEXT_BYTES, at most `maxParts`; the last is cut with an ellipsis if it must be. */
export function splitText(text: string, maxParts: number, limit = MAX_TEXT_BYTES): string[] {
  const parts = pack(pieces(text.trim(), limit), limit);
  if (parts.length <= maxParts) return parts;
  const kept = parts.slice(0, maxParts - 1);
  const rest = parts.slice(maxParts - 1).join('\n');
  const room = limit - bytes(TRUNCATED_MARK);
  kept.push(cutGraphemes(rest, room)[0]!.trimEnd() + TRUNCATED_MARK);
  return kept;
}

const MD_IMAGE = /!\[([^\]]*)\]\((\S+?)(?:\s+"[^"]*")?\)/g;

/**
 * Turns a Coze answer into the parts to send: markdown images become image parts (with their
 * link as fallback text), the text around them is split by bytes and sentences. When there are
 * more parts than WeCom allows, images fold back into text first, so nothing is dropped that fits.
 */
export function composeReply(answer: string, maxParts: number): ReplyPart[] {
  const segments: ReplyPart[] = [];
  let last = 0;
  for (const m of answer.matchAll(MD_IMAGE)) {
    const before = answer.slice(last, m.index);
    if (before.trim()) segments.push({ kind: 'text', content: before });
    const url = m[2]!;
    const alt = m[1] ?? '';
    if (/^https?:\/\//.test(url))
      segments.push({ kind: 'image', content: url, fallback: alt ? `${alt}: ${url}` : url });
    else segments.push({ kind: 'text', content: m[0] });
    last = m.index! + m[0].length;
  }
  const tail = answer.slice(last);
  if (tail.trim()) segments.push({ kind: 'text', content: tail });

  const render = (segs: ReplyPart[]): ReplyPart[] => {
    const out: ReplyPart[] = [];
    let buf = '';
    const flush = () => {
      if (buf.trim())
        for (const t of splitText(buf, Number.MAX_SAFE_INTEGER)) out.push({ kind: 'text', content: t });
      buf = '';
    };
    for (const s of segs) {
      if (s.kind === 'text') buf += s.content;
      else {
        flush();
        out.push(s);
      }
    }
    flush();
    return out;
  };

  let parts = render(segments);
  if (parts.length > maxParts) {
    // Too many messages: fold images into text (their link) and pack everything as text.
    const text = segments.map((s) => (s.kind === 'image' ? `\n${s.fallback}\n` : s.content)).join('');
    parts = splitText(text, maxParts).map((t) => ({ kind: 'text' as const, content: t }));
  }
  if (parts.length === 0) parts = [];
  return parts;
}
