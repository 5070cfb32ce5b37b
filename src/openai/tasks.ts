/**
 * Open-WebUI's background task requests (title, tags, follow-ups, search queries, autocomplete):
 * one user message holding a template that starts with `### Task:`, or a request carrying an
 * `X-OpenWebUI-Task` header (configurable on Open-WebUI ≥ 0.10 connections). They are never run
 * as the person (their Coze memory stays untouched) and can be answered locally for free.
 */
import { partsOf, textOf } from './content.js';

export type TaskKind = 'title' | 'tags' | 'follow_ups' | 'queries' | 'autocomplete' | 'other';

export interface TaskRequest {
  kind: TaskKind;
  prompt: string;
}

const TASK_PREFIX = '### Task:';

export function detectTask(messages: unknown[], taskHeader: string | undefined): TaskRequest | undefined {
  const turns = messages.filter((m) => {
    const role = (m as { role?: unknown }).role;
    return role !== 'system' && role !== 'developer';
  }) as { role: string; content?: unknown }[];
  const only = turns.length === 1 && turns[0]!.role === 'user' ? turns[0]! : undefined;
  let prompt = '';
  if (only) {
    try {
      prompt = textOf(partsOf(only.content, 'messages', false), '');
    } catch {
      prompt = '';
    }
  }
  const byText = prompt.trimStart().startsWith(TASK_PREFIX);
  if (!byText && !taskHeader) return undefined;
  return { kind: kindOf(taskHeader ?? '', prompt), prompt };
}

function kindOf(header: string, prompt: string): TaskKind {
  const h = header.toLowerCase();
  if (h.includes('title')) return 'title';
  if (h.includes('tag')) return 'tags';
  if (h.includes('follow')) return 'follow_ups';
  if (h.includes('query') || h.includes('queries')) return 'queries';
  if (h.includes('autocomplete')) return 'autocomplete';
  if (prompt.includes('"follow_ups"')) return 'follow_ups';
  if (prompt.includes('"tags"')) return 'tags';
  if (prompt.includes('"queries"')) return 'queries';
  if (prompt.includes('"title"')) return 'title';
  if (prompt.includes('"text"')) return 'autocomplete';
  return 'other';
}

/** A cheap answer in the JSON shape Open-WebUI parses (it takes the text from the first `{` to the last `}`). */
export function localTaskAnswer(task: TaskRequest): string {
  switch (task.kind) {
    case 'title':
      return JSON.stringify({ title: titleFrom(task.prompt) });
    case 'tags':
      return JSON.stringify({ tags: [] });
    case 'follow_ups':
      return JSON.stringify({ follow_ups: [] });
    case 'queries':
      return JSON.stringify({ queries: [] });
    case 'autocomplete':
      return JSON.stringify({ text: '' });
    default:
      return '{}';
  }
}

/** The first user line of the template's <chat_history>, shortened: a title that is never wrong. */
function titleFrom(prompt: string): string {
  const history = between(prompt, /<chat_history>/i, /<\/chat_history>/gi);
  const line = history
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /^user:/i.test(l));
  const text = (line ?? '').replace(/^user:\s*/i, '').trim();
  const chars = Array.from(text);
  return chars.length > 30 ? `${chars.slice(0, 30).join('')}…` : text || 'New chat';
}

/**
 * The text between the first `open` and the next `close` after it, or ''. Two forward scans: a
 * lazy regex over the whole prompt retried at every `<chat_history>` was quadratic.
 */
function between(text: string, open: RegExp, close: RegExp): string {
  const o = open.exec(text);
  if (!o) return '';
  close.lastIndex = o.index + o[0].length;
  const c = close.exec(text);
  return c ? text.slice(o.index + o[0].length, c.index) : '';
}
