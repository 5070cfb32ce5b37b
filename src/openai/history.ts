/**
 * An OpenAI `messages` array as Coze `additional_messages` (stateless replay, docs/protocol.md §openai-history): the whole visible history goes to Coze every turn with auto_save_history off, so Coze
 * never stores it and Open-WebUI's edits, regenerations and branches are honoured exactly.
 *  - user → user/question, assistant → assistant/answer (inline reasoning stripped);
 *  - system/developer → folded, in order, into the first user turn sent (Coze has no system role);
 *  - tool results and tool calls → short assistant text, so nothing the client saw is lost;
 *  - only the newest messages Coze accepts are sent (100 for a bot, 50 for a chatflow);
 *  - only the last (current) user turn's images are uploaded; older ones become "[image]".
 */
import type { ChatTarget, EnterMessage, ObjectStringItem } from '../coze/types.js';
import { partsOf, stripReasoning, textOf, type Part } from './content.js';
import { badRequest } from './errors.js';

export const MAX_MESSAGES = { bot: 100, chatflow: 50 } as const;

/** Uploads one image of the current turn and returns its Coze file id. */
export type ImageUploader = (url: string, param: string) => Promise<string>;

interface Msg {
  role: string;
  content?: unknown;
  name?: unknown;
  tool_calls?: unknown;
}

const SYSTEM_HEADER = 'System instructions:';

export async function toCozeMessages(
  messages: unknown[],
  target: ChatTarget,
  upload: ImageUploader,
): Promise<EnterMessage[]> {
  if (messages.length === 0)
    throw badRequest('messages must contain at least one message', 'messages', 'invalid_value');
  const last = messages.length - 1;
  const lastMsg = messages[last] as Msg;
  if (lastMsg.role !== 'user') {
    throw badRequest(
      `The last message must come from the user (it is "${lastMsg.role}"): Coze answers the last user message.`,
      `messages[${last}].role`,
      'invalid_value',
    );
  }
  const system: string[] = [];
  const out: EnterMessage[] = [];
  for (let i = 0; i < last; i++) {
    const m = messages[i] as Msg;
    const param = `messages[${i}].content`;
    switch (m.role) {
      case 'system':
      case 'developer': {
        const t = textOf(partsOf(m.content, param, false), '').trim();
        if (t) system.push(t);
        break;
      }
      case 'user': {
        const t = textOf(partsOf(m.content, param, false)).trim();
        if (t) out.push({ role: 'user', type: 'question', content: t, content_type: 'text' });
        break;
      }
      case 'assistant': {
        let t = stripReasoning(textOf(partsOf(m.content, param, false)));
        const calls = toolCallsText(m.tool_calls);
        if (calls) t = t ? `${t}\n${calls}` : calls;
        if (t) out.push({ role: 'assistant', type: 'answer', content: t, content_type: 'text' });
        break;
      }
      case 'tool':
      case 'function': {
        const t = textOf(partsOf(m.content, param, false)).trim();
        if (t)
          out.push({
            role: 'assistant',
            type: 'answer',
            content: `[tool result${typeof m.name === 'string' ? ` ${m.name}` : ''}] ${t}`,
            content_type: 'text',
          });
        break;
      }
      default:
        throw badRequest(
          `messages[${i}].role "${String(m.role)}" is not one of system, developer, user, assistant, tool`,
          `messages[${i}].role`,
          'invalid_value',
        );
    }
  }

  const parts = partsOf(lastMsg.content, `messages[${last}].content`, true);
  const text = textOf(parts.filter((p) => p.kind === 'text')).trim();
  const images = parts.filter((p): p is Extract<Part, { kind: 'image' }> => p.kind === 'image');
  if (!text && images.length === 0)
    throw badRequest('The last user message is empty', `messages[${last}].content`, 'invalid_value');
  if (images.length && target.kind === 'chatflow') {
    throw badRequest(
      'This model is a Coze chatflow, which takes text only: send the message without images.',
      images[0]!.param,
      'unsupported_content_type',
    );
  }

  // Keep the newest messages Coze accepts, the current one included.
  const max = MAX_MESSAGES[target.kind];
  const kept = out.slice(Math.max(0, out.length - (max - 1)));
  const sys = system.length ? `${SYSTEM_HEADER}\n${system.join('\n\n')}` : '';
  const firstUser = kept.findIndex((m) => m.role === 'user');
  let current = text;
  if (sys) {
    if (firstUser >= 0)
      kept[firstUser] = { ...kept[firstUser]!, content: `${sys}\n\n${kept[firstUser]!.content}` };
    else current = current ? `${sys}\n\n${current}` : sys;
  }

  if (images.length === 0) {
    kept.push({ role: 'user', type: 'question', content: current, content_type: 'text' });
    return kept;
  }
  const ids: string[] = [];
  const seen = new Map<string, string>();
  for (const img of images) {
    let id = seen.get(img.url);
    if (!id) {
      id = await upload(img.url, img.param);
      seen.set(img.url, id);
    }
    ids.push(id);
  }
  // Coze: at most one text item, and an object_string with text needs a file (docs/protocol.md §coze-files).
  const items: ObjectStringItem[] = [
    { type: 'text', text: current || '(image)' },
    ...ids.map((file_id) => ({ type: 'image' as const, file_id })),
  ];
  kept.push({
    role: 'user',
    type: 'question',
    content: JSON.stringify(items),
    content_type: 'object_string',
  });
  return kept;
}

function toolCallsText(calls: unknown): string {
  if (!Array.isArray(calls)) return '';
  return calls
    .map((c) => {
      const f = c && typeof c === 'object' ? (c as Record<string, unknown>).function : undefined;
      if (!f || typeof f !== 'object') return '';
      const fn = f as Record<string, unknown>;
      return `[called tool ${String(fn.name ?? '')}(${typeof fn.arguments === 'string' ? fn.arguments : ''})]`;
    })
    .filter(Boolean)
    .join('\n');
}
