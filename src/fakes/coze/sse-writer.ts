/**
 * Writes Coze's SSE framing exactly (docs/protocol.md §coze-sse): per event one `event:` line, one `data:` line of
 * single-line JSON and a blank line, written (and so flushed) one event at a time. `/v3/chat`
 * puts no space after the colons; `/v1/workflows/chat` does.
 */
import type { ServerResponse } from 'node:http';

/** Where a chat run sends its events: an SSE response, or nowhere (non-stream chats). */
export interface RunSink {
  event(name: string, data: unknown): void;
  end(): void;
  /** The client went away. */
  readonly closed: boolean;
}

export class SseWriter implements RunSink {
  private gone = false;

  constructor(
    private readonly raw: ServerResponse,
    private readonly spaced: boolean,
    logid: string,
    onClose: () => void,
  ) {
    raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-tt-logid': logid,
    });
    raw.flushHeaders();
    raw.on('close', () => {
      // 'close' also follows a normal end(); only an early close is the client leaving.
      if (!raw.writableFinished) {
        this.gone = true;
        onClose();
      }
    });
  }

  get closed(): boolean {
    return this.gone || this.raw.destroyed;
  }

  event(name: string, data: unknown): void {
    if (this.closed || this.raw.writableEnded) return;
    const sp = this.spaced ? ' ' : '';
    // JSON.stringify never emits a raw newline, so the data line is always single-line.
    this.raw.write(`event:${sp}${name}\ndata:${sp}${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (!this.raw.writableEnded) this.raw.end();
  }
}

/** Sink for non-stream chats: the run still happens, only nobody listens. */
export const nullSink: RunSink = { event() {}, end() {}, closed: false };
