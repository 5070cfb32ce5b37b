/**
 * Server-sent-event decoding for Coze streams (docs/protocol.md §coze-sse), independent of HTTP so it can be
 * tested byte-for-byte. eventsource-parser does the line protocol (optional space after the
 * colon, CR/LF variants, multi-line data); a streaming TextDecoder keeps multi-byte UTF-8
 * characters intact when a chunk boundary falls inside one.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseEvent {
  /** The `event:` field; '' when the server sent none. */
  event: string;
  data: string;
}

/** Refuse to buffer an unterminated event beyond this (a broken or hostile upstream). */
const MAX_BUFFER_CHARS = 16 * 1024 * 1024;

/**
 * Incremental decoder: push byte chunks, get complete events back. `end()` flushes an event
 * whose final blank line never arrived (a server closing right after its last `data:` line).
 */
export class SseDecoder {
  private readonly decoder = new TextDecoder('utf-8');
  private pending: SseEvent[] = [];
  private readonly parser = createParser({
    maxBufferSize: MAX_BUFFER_CHARS,
    onEvent: (m: EventSourceMessage) => {
      this.pending.push({ event: m.event ?? '', data: m.data });
    },
    // Unknown fields (`id:` on chat streams, stray lines) are tolerated: being lenient costs nothing here.
  });

  push(chunk: Uint8Array | string): SseEvent[] {
    this.parser.feed(typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
    return this.take();
  }

  end(): SseEvent[] {
    const rest = this.decoder.decode();
    this.parser.feed(`${rest}\n\n`);
    return this.take();
  }

  private take(): SseEvent[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

/** Decode a whole byte stream into events. */
export async function* decodeSse(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const d = new SseDecoder();
  for await (const chunk of chunks) yield* d.push(chunk);
  yield* d.end();
}
