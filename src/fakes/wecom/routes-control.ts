/**
 * The fake's own control endpoints, not part of WeCom's API: `wxcoze fakes say` plays a customer
 * through them (the message to pull, and the answers the server sent through send_msg). The fake
 * listens on loopback only; these routes need no access token.
 */
import type { FastifyInstance } from 'fastify';
import { isObject } from './reply.js';
import type { FakeState } from './state.js';

export const CONTROL_PREFIX = '/_fakes/';

/** The customer `fakes say` plays when none is named: a well-formed external_userid. */
export const NEWCOMER_ID = 'wmFAKEnewcomer00000000000000001';

export interface ControlActions {
  /** Stores a customer's text for the account (no callback) and issues the callback's sync Token. */
  customerWrites(
    openKfId: string,
    externalUserId: string,
    text: string,
  ): Promise<{ msgid: string; syncToken: string }>;
}

export function registerControl(app: FastifyInstance, state: FakeState, actions: ControlActions): void {
  app.post(`${CONTROL_PREFIX}customer-message`, async (req, reply) => {
    const body = isObject(req.body) ? req.body : {};
    const text = typeof body.text === 'string' ? body.text : '';
    if (!text.trim()) return reply.code(400).send({ error: 'text is empty: say what the customer writes' });
    const openKfId =
      typeof body.open_kfid === 'string' && body.open_kfid ? body.open_kfid : [...state.accounts.keys()][0];
    if (!openKfId) return reply.code(409).send({ error: 'the fake WeCom has no kf account' });
    const externalUserId =
      typeof body.external_userid === 'string' && body.external_userid ? body.external_userid : NEWCOMER_ID;
    // Replies counted before the message: the caller waits for the ones after.
    const repliesBefore = state.sent.filter((s) => s.touser === externalUserId).length;
    const made = await actions.customerWrites(openKfId, externalUserId, text);
    return {
      msgid: made.msgid,
      open_kfid: openKfId,
      external_userid: externalUserId,
      sync_token: made.syncToken,
      replies_before: repliesBefore,
    };
  });

  app.get(`${CONTROL_PREFIX}replies`, async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    if (!q.external_userid) return reply.code(400).send({ error: 'external_userid is required' });
    const from = Math.max(0, Number(q.from ?? 0) || 0);
    const all = state.sent.filter((s) => s.touser === q.external_userid);
    return {
      total: all.length,
      replies: all.slice(from).map((s) => ({
        msgid: s.msgid,
        msgtype: s.msgtype,
        ...(s.content !== undefined ? { content: s.content } : {}),
        via: s.via,
      })),
    };
  });
}
