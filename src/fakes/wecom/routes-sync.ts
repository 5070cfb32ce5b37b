/**
 * POST /cgi-bin/kf/sync_msg (docs/protocol.md §sync_msg): cursor paging over a per-account, append-only log.
 * Cursors are opaque strings that sort in log order; the callback Token is required (10-min validity).
 */
import type { FastifyInstance } from 'fastify';
import { alnum } from './ids.js';
import { fail, ok, isObject } from './reply.js';
import type { Faults } from './faults.js';
import { RETENTION_MS, type FakeState } from './state.js';
import { applyFault } from './fault-reply.js';

const MAX_LIMIT = 1000;

export interface SyncOptions {
  /** Real WeCom allows omitting `token` with a strict, undocumented rate limit; we refuse by default. */
  allowSyncWithoutToken: boolean;
}

/** Position ↔ cursor. A per-fake salt makes foreign/forged cursors detectable. */
export class Cursors {
  private readonly salt = alnum(6);
  encode(pos: number): string {
    return this.salt + pos.toString(36).padStart(10, '0');
  }
  decode(cursor: string): number | undefined {
    if (!cursor.startsWith(this.salt)) return undefined;
    const pos = parseInt(cursor.slice(this.salt.length), 36);
    return Number.isSafeInteger(pos) && pos >= 0 ? pos : undefined;
  }
}

export function registerSync(
  app: FastifyInstance,
  state: FakeState,
  faults: Faults,
  opts: SyncOptions,
): void {
  const cursors = new Cursors();
  const tokenless: number[] = []; // timestamps of token-less syncs, for the throttle

  app.post('/cgi-bin/kf/sync_msg', async (req, reply) => {
    const fault = faults.take('sync');
    if (fault) return applyFault(reply, fault, faults);
    if (state.syncError) return state.syncError;
    const body = req.body;
    if (!isObject(body)) return fail(47001, 'data format error');
    const openKfId = body.open_kfid;
    if (typeof openKfId !== 'string' || !openKfId) return fail(40058, 'open_kfid missing');
    if (!state.accounts.has(openKfId)) return fail(95000, 'invalid open_kfid');

    if (body.token === undefined || body.token === '') {
      if (!opts.allowSyncWithoutToken) return fail(95007, 'token missing');
      const now = state.now();
      while (tokenless.length && tokenless[0]! < now - 60_000) tokenless.shift();
      if (tokenless.length >= 10) return fail(45009, 'api freq out of limit');
      tokenless.push(now);
    } else {
      const issued = typeof body.token === 'string' ? state.callbackTokens.get(body.token) : undefined;
      if (!issued || issued.expiresAt <= state.now()) return fail(95007, 'invalid msg token');
    }

    let limit = MAX_LIMIT;
    if (body.limit !== undefined) {
      if (!Number.isInteger(body.limit) || body.limit < 1 || body.limit > MAX_LIMIT)
        return fail(40058, 'invalid limit');
      limit = body.limit;
    }

    const log = state.log(openKfId);
    let start: number;
    if (state.replayNext) {
      // A replay: WeCom resending history the client already saw must be harmless.
      state.replayNext = false;
      start = 0;
    } else if (typeof body.cursor === 'string' && body.cursor !== '') {
      const pos = cursors.decode(body.cursor);
      if (pos === undefined || pos > log.length) return fail(40058, 'invalid cursor');
      start = pos;
    } else {
      // No cursor: start at the earliest message of the last 3 days.
      const horizon = state.now() - RETENTION_MS;
      start = log.findIndex((e) => e.at >= horizon);
      if (start < 0) start = log.length;
    }
    const page = log.slice(start, start + limit);
    const next = start + page.length;
    return ok({
      next_cursor: cursors.encode(next),
      has_more: next < log.length ? 1 : 0,
      msg_list: page.map((e) => e.msg),
    });
  });
}
