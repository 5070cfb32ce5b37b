/**
 * What the fake answers when a test has not scripted a reply: an echo that shows the test what
 * the fake understood, including object_string items (so media plumbing is visible end to end).
 */
import type { FakeAnswer, RecordedChat, RecordedMessage } from './types.js';

export interface AnswerPlan {
  answers: string[];
  reasoning: string;
  followUps: string[];
  knowledge: string[];
  toolCall?: { name: string; output: string };
  card: boolean;
  delayMs: number;
  chunkDelayMs: number;
}

/** Human-readable text of one received message: text as is, files as `[image file_id=…]`. */
export function describeMessage(m: RecordedMessage): string {
  if (typeof m.content === 'string') return m.content;
  return m.content
    .map((item) => {
      if (item.type === 'text') return item.text ?? '';
      const ref = item.file_id ? `file_id=${item.file_id}` : `file_url=${item.file_url ?? ''}`;
      return `[${item.type} ${ref}]`;
    })
    .join(' ');
}

export function defaultResponder(chat: RecordedChat): FakeAnswer {
  const lastUser = [...chat.messages].reverse().find((m) => m.role === 'user');
  return `收到：${lastUser ? describeMessage(lastUser) : ''}`;
}

export function planOf(a: FakeAnswer): AnswerPlan {
  if (typeof a === 'string')
    return {
      answers: [a],
      reasoning: '',
      followUps: [],
      knowledge: [],
      card: false,
      delayMs: 0,
      chunkDelayMs: 0,
    };
  const plan: AnswerPlan = {
    answers: a.answers ?? (a.text !== undefined ? [a.text] : []),
    reasoning: a.reasoning ?? '',
    followUps: a.followUps ?? [],
    knowledge: a.knowledge ?? [],
    card: a.card ?? false,
    delayMs: a.delayMs ?? 0,
    chunkDelayMs: a.chunkDelayMs ?? 0,
  };
  if (a.toolCall) plan.toolCall = a.toolCall;
  return plan;
}
