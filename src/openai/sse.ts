/**
 * The OpenAI event stream on a raw response: `data: <json>` lines and blank lines only (never
 * an `event:` line: openai-node hands named events to the caller instead of chunks), a
 * `: keep-alive` comment after every quiet spell, no compression, and `X-Accel-Buffering: no`
 * so nginx in front does not hold tokens back.
 */
import type { ServerResponse } from 'node:http';

export class SseStream {
  private readonly timer: NodeJS.Timeout;
  private left = false;

  constructor(
    private readonly raw: ServerResponse,
    keepAliveMs: number,
  ) {
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.flushHeaders();
    raw.on('close', () => {
      if (!raw.writableFinished) this.left = true;
    });
    this.timer = setTimeout(() => this.keepAlive(), keepAliveMs);
    this.timer.unref();
  }

  /** The client went away (closed the connection before the end). */
  get gone(): boolean {
    return this.left || this.raw.destroyed;
  }

  data(payload: string): void {
    if (this.gone || this.raw.writableEnded) return;
    this.raw.write(`data: ${payload}\n\n`);
    this.timer.refresh();
  }

  end(): void {
    clearTimeout(this.timer);
    if (!this.raw.writableEnded) this.raw.end();
  }

  /** The client left: stop the keep-alives and finish the response (nothing more is written). */
  abandon(): void {
    clearTimeout(this.timer);
    if (!this.raw.writableEnded) this.raw.end();
  }

  private keepAlive(): void {
    if (this.gone || this.raw.writableEnded) return;
    this.raw.write(': keep-alive\n\n');
    this.timer.refresh();
  }
}
