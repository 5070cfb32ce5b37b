/**
 * Validation of `additional_messages` the way Coze enforces it (docs/protocol.md §coze-chat, §coze-files), so the fake
 * rejects what the real service rejects instead of letting a client bug through.
 */
import type { ObjectStringItem } from '../../coze/types.js';
import type { RecordedMessage } from './types.js';

export type Parsed = { ok: true; messages: RecordedMessage[] } | { ok: false; code: number; msg: string };

const bad = (msg: string, code = 4000): Parsed => ({ ok: false, code, msg });

export function parseAdditionalMessages(v: unknown, max: number, required: boolean): Parsed {
  if (v === undefined || v === null)
    return required ? bad('additional_messages is required') : { ok: true, messages: [] };
  if (!Array.isArray(v)) return bad('additional_messages must be an array');
  if (v.length > max) return bad(`additional_messages exceeds ${max}`, 4004);
  const out: RecordedMessage[] = [];
  for (const [i, raw] of v.entries()) {
    if (typeof raw !== 'object' || raw === null) return bad(`additional_messages[${i}] is not an object`);
    const m = raw as Record<string, unknown>;
    if (m.role !== 'user' && m.role !== 'assistant')
      return bad(`additional_messages[${i}].role must be user or assistant`);
    if (typeof m.content !== 'string') return bad(`additional_messages[${i}].content must be a string`, 4005);
    if (m.type !== undefined && m.type !== 'question' && m.type !== 'answer')
      return bad(`additional_messages[${i}].type ${String(m.type)} is not accepted with auto_save_history`);
    if (m.type === 'question' && m.role !== 'user')
      return bad(`additional_messages[${i}]: type question needs role user`);
    const rec: RecordedMessage = {
      role: m.role,
      content: m.content,
      content_type: String(m.content_type ?? 'text'),
    };
    if (typeof m.type === 'string') rec.type = m.type;
    if (rec.content_type === 'object_string') {
      const items = parseObjectString(m.content);
      if (typeof items === 'string') return bad(`additional_messages[${i}]: ${items}`);
      rec.content = items;
    } else if (rec.content_type !== 'text') {
      return bad(`additional_messages[${i}].content_type ${rec.content_type} is not accepted in input`);
    }
    out.push(rec);
  }
  return { ok: true, messages: out };
}

/** The items of an object_string, or the rule it breaks (docs/protocol.md §coze-files). */
function parseObjectString(content: string): ObjectStringItem[] | string {
  let items: unknown;
  try {
    items = JSON.parse(content);
  } catch {
    return 'object_string content is not JSON';
  }
  if (!Array.isArray(items) || items.length === 0) return 'object_string content must be a non-empty array';
  let texts = 0;
  let media = 0;
  for (const it of items as Record<string, unknown>[]) {
    if (typeof it !== 'object' || it === null) return 'object_string item is not an object';
    if (it.type === 'text') {
      texts++;
      if (typeof it.text !== 'string') return 'text item needs text';
    } else if (it.type === 'image' || it.type === 'file' || it.type === 'audio') {
      media++;
      if (typeof it.file_id !== 'string' && typeof it.file_url !== 'string')
        return `${String(it.type)} item needs file_id or file_url`;
    } else {
      return `unknown object_string item type ${String(it.type)}`;
    }
  }
  if (texts > 1) return 'at most one text item per object_string';
  if (media === 0) return 'object_string with only text must use content_type text';
  return items as ObjectStringItem[];
}
