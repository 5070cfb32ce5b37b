/**
 * Coze chat events (CozeClient.stream) as the pieces of an OpenAI answer: reasoning first, then
 * content; several answer messages (workflow output nodes) separated by a blank line; an answer
 * that arrived only as a completed message (no deltas) still counted once; follow-up suggestions
 * and everything that is not an answer left out.
 */
import type { ChatEvent, Usage } from '../coze/types.js';

export type Piece = { kind: 'reasoning'; text: string } | { kind: 'content'; text: string };

export class AnswerTranslator {
  usage: Usage = { input: 0, output: 0, total: 0 };
  finished = false;
  private readonly contentIds = new Set<string>();
  private readonly reasoningIds = new Set<string>();
  private lastContentId: string | undefined;
  private anyContent = false;

  push(e: ChatEvent): Piece[] {
    switch (e.type) {
      case 'delta': {
        const out: Piece[] = [];
        if (e.reasoning) {
          this.reasoningIds.add(e.messageId);
          out.push({ kind: 'reasoning', text: e.reasoning });
        }
        if (e.content) out.push(this.content(e.messageId, e.content));
        return out;
      }
      case 'answer': {
        const out: Piece[] = [];
        if (e.reasoning && !this.reasoningIds.has(e.messageId) && !this.anyContent) {
          this.reasoningIds.add(e.messageId);
          out.push({ kind: 'reasoning', text: e.reasoning });
        }
        if (e.content && !this.contentIds.has(e.messageId)) out.push(this.content(e.messageId, e.content));
        return out;
      }
      case 'completed':
        this.usage = e.usage;
        this.finished = true;
        return [];
      default:
        return [];
    }
  }

  private content(id: string, text: string): Piece {
    const sep = this.anyContent && id !== this.lastContentId ? '\n\n' : '';
    this.contentIds.add(id);
    this.lastContentId = id;
    this.anyContent = true;
    return { kind: 'content', text: sep + text };
  }
}

/** OpenAI's usage object from Coze's counts (input → prompt, output → completion, token → total). */
export function openAiUsage(u: Usage): {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
} {
  const total = u.total || u.input + u.output;
  return { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: total };
}
