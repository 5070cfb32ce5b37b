/**
 * The JSON objects of one completion: `chat.completion` for a collected answer, and the
 * `chat.completion.chunk` lines of a stream, all with the same id, created and model (clients
 * check that). Chunk lines are assembled from a precomputed prefix: this runs per token.
 */
import { randomBytes } from 'node:crypto';
import type { Usage } from '../coze/types.js';
import { openAiUsage } from './translate.js';

export function completionId(): string {
  return `chatcmpl-${randomBytes(12).toString('hex')}`;
}

export class ChunkWriter {
  readonly id = completionId();
  readonly created = Math.floor(Date.now() / 1000);
  private readonly head: string;
  private readonly tail: string;

  constructor(
    readonly model: string,
    private readonly includeUsage: boolean,
  ) {
    this.head = `{"id":"${this.id}","object":"chat.completion.chunk","created":${this.created},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":`;
    this.tail = includeUsage ? ',"usage":null}' : '}';
  }

  /** First chunk: the role (and empty content, as OpenAI sends it). */
  role(): string {
    return `${this.head}{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]${this.tail}`;
  }

  content(text: string): string {
    return `${this.head}{"content":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}]${this.tail}`;
  }

  reasoning(text: string): string {
    return `${this.head}{"reasoning_content":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}]${this.tail}`;
  }

  finish(reason: 'stop' | 'length' = 'stop'): string {
    return `${this.head}{},"logprobs":null,"finish_reason":"${reason}"}]${this.tail}`;
  }

  /** The extra chunk of `stream_options.include_usage`: no choices, the totals. */
  usage(u: Usage): string {
    return JSON.stringify({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [],
      usage: openAiUsage(u),
    });
  }
}

export function completionObject(
  model: string,
  content: string,
  reasoning: string,
  usage: Usage,
): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content, refusal: null };
  if (reasoning) message.reasoning_content = reasoning;
  return {
    id: completionId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }],
    usage: openAiUsage(usage),
  };
}
