import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../log/logger.js';
import type { ConversationChange, ConversationsStore } from '../store/console-types.js';

/** What an open page hears: something of this customer changed; the page refetches what it shows. */
export interface LiveEvent {
  type: 'message' | 'customer';
  openKfId: string;
  externalUserId: string;
  seq: number;
}

export interface LiveOptions {
  conversations: Pick<ConversationsStore, 'changesSince'>;
  logger: Logger;
  /** How often the store is read while a page is open. */
  intervalMs?: number;
  heartbeatMs?: number;
  /** Open streams per instance; one more is refused with 503 (each holds a connection). */
  maxClients?: number;
  /**
   * Called on every poll while a page listens: a console page is open here (the alerts' "nobody
   * is looking" reads it, src/ops/alerts/console-watch.ts). Must be cheap and never throw.
   */
  onWatched?: () => void;
  now?: () => number;
}

/**
 * A write's updated_at is taken before its transaction commits, so a poll can miss a row that
 * commits a moment after it read: every poll reads again this far back and skips what it sent.
 * Instances' clocks must agree within this too (leases already assume they do).
 */
const OVERLAP_MS = 3_000;
const BATCH = 500;

/**
 * Server-sent events for the console. One poller per instance reads the store (not this process's
 * memory) every second while at least one page listens, so a change made by any instance behind
 * the proxy reaches every open page; it stops when the last page goes.
 */
export class LiveFeed {
  private readonly clients = new Set<FastifyReply>();
  private timer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private since = 0;
  /** Changes already sent within the overlap window: key → updatedAt. */
  private readonly sent = new Map<string, number>();
  private polling = false;
  private closed = false;

  constructor(private readonly opts: LiveOptions) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over the reply as an event stream; false (and a 503 sent) when too many are open. */
  open(req: FastifyRequest, reply: FastifyReply, refusal: { code: string; message: string }): boolean {
    if (this.closed || this.clients.size >= (this.opts.maxClients ?? 50)) {
      reply.code(503).header('retry-after', '30').send({ error: refusal });
      return false;
    }
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Caddy and nginx would otherwise hold the events in a buffer.
      'x-accel-buffering': 'no',
    });
    // The browser reconnects by itself after 3 s when the stream breaks.
    reply.raw.write('retry: 3000\n: connected\n\n');
    this.clients.add(reply);
    this.opts.onWatched?.();
    req.raw.on('close', () => this.drop(reply));
    if (!this.timer) this.start();
    return true;
  }

  private start(): void {
    this.since = this.now() - OVERLAP_MS;
    // poll() catches its own errors.
    this.timer = setInterval(() => {
      this.poll().catch(() => {});
    }, this.opts.intervalMs ?? 1000);
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.raw.write(': ping\n\n');
    }, this.opts.heartbeatMs ?? 15_000);
  }

  private stop(): void {
    clearInterval(this.timer);
    clearInterval(this.heartbeat);
    this.timer = undefined;
    this.heartbeat = undefined;
    this.sent.clear();
  }

  private drop(reply: FastifyReply): void {
    this.clients.delete(reply);
    if (!this.clients.size) this.stop();
  }

  /** One read of what changed since the last one (a slow store skips ticks rather than piling them up). */
  async poll(): Promise<void> {
    if (this.polling || !this.clients.size) return;
    this.opts.onWatched?.();
    this.polling = true;
    try {
      const changes = await this.opts.conversations.changesSince(this.since - OVERLAP_MS, BATCH);
      const fresh: ConversationChange[] = [];
      for (const c of changes) {
        const key = `${c.type}\u0000${c.openKfId}\u0000${c.externalUserId}\u0000${c.seq}`;
        if (this.sent.get(key) === c.updatedAt) continue;
        this.sent.set(key, c.updatedAt);
        fresh.push(c);
        if (c.updatedAt > this.since) this.since = c.updatedAt;
      }
      // A full batch may have left older changes unread: the next tick starts after this one's newest.
      for (const [key, at] of this.sent) if (at < this.since - 2 * OVERLAP_MS) this.sent.delete(key);
      for (const c of fresh)
        this.broadcast({ type: c.type, openKfId: c.openKfId, externalUserId: c.externalUserId, seq: c.seq });
    } catch (err) {
      this.opts.logger.warn(
        { err: { message: (err as Error).message } },
        'console live updates: reading the store failed; trying again',
      );
    } finally {
      this.polling = false;
    }
  }

  private broadcast(e: LiveEvent): void {
    const line = `data: ${JSON.stringify(e)}\n\n`;
    for (const c of this.clients) c.raw.write(line);
  }

  /** Ends every stream (server shutdown: an open stream would keep fastify's close waiting). */
  close(): void {
    this.closed = true;
    this.stop();
    for (const c of this.clients) c.raw.end();
    this.clients.clear();
  }
}

/**
 * GET <prefix>/api/events inside the console's authenticated scope. The feed ends its streams
 * before the server closes (preClose), so `fastify.close()` never waits on an open page.
 */
export function registerLive(
  app: FastifyInstance,
  feed: LiveFeed,
  refusal: (req: FastifyRequest) => { code: string; message: string },
): void {
  app.addHook('preClose', (done) => {
    feed.close();
    done();
  });
  app.get('/api/events', (req, reply) => {
    feed.open(req, reply, refusal(req));
  });
}
