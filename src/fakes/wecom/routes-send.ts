/**
 * POST /cgi-bin/kf/send_msg and /cgi-bin/kf/send_msg_on_event (docs/protocol.md §send_msg, §send_msg_on_event).
 * Order of checks (undocumented upstream; ours): shape → msgid (so a retried, already-accepted send is
 * always reported as a duplicate) → session state → 48 h → quota → content.
 */
import type { FastifyInstance } from 'fastify';
import { newMsgId } from './ids.js';
import { fail, ok, isObject } from './reply.js';
import type { Faults } from './faults.js';
import { applyFault } from './fault-reply.js';
import { checkContent, checkMsgid } from './send-rules.js';
import { REPLY_WINDOW_MS, SENDS_PER_CUSTOMER_MESSAGE, type FakeState, type SentRecord } from './state.js';

const ON_EVENT_TYPES = new Set(['text', 'msgmenu']);

function record(
  state: FakeState,
  body: Record<string, any>,
  openKfId: string,
  touser: string,
  via: SentRecord['via'],
): string {
  const msgid: string = body.msgid ?? newMsgId();
  state.msgidsOf(openKfId).add(msgid);
  const payload = body[body.msgtype];
  state.sent.push({
    msgid,
    open_kfid: openKfId,
    touser,
    msgtype: body.msgtype,
    ...(body.msgtype === 'text' ? { content: payload.content } : {}),
    payload,
    at: state.now(),
    via,
  });
  return msgid;
}

export function registerSend(app: FastifyInstance, state: FakeState, faults: Faults): void {
  app.post('/cgi-bin/kf/send_msg', async (req, reply) => {
    const fault = faults.take('send');
    if (fault && fault !== 'accept-then-500') return applyFault(reply, fault, faults);
    const body = req.body;
    if (!isObject(body)) return fail(47001, 'data format error');
    const { touser, open_kfid: openKfId } = body;
    if (typeof touser !== 'string' || !touser) return fail(40058, 'touser missing');
    if (typeof openKfId !== 'string' || !openKfId) return fail(40058, 'open_kfid missing');
    if (!state.accounts.has(openKfId)) return fail(95000, 'invalid open_kfid');
    const bad = checkMsgid(state, openKfId, body.msgid);
    if (bad) return fail(bad.errcode, bad.detail);

    const session = state.session(openKfId, touser);
    if (!session) return fail(95018, 'send msg session status invalid');
    if (session.state !== 0 && session.state !== 1) return fail(95018, 'send msg session status invalid');
    if (session.lastCustomerAt === undefined || state.now() - session.lastCustomerAt > REPLY_WINDOW_MS) {
      return fail(95002, 'send msg exceed 48 hours');
    }
    if (session.sendsSinceCustomer >= SENDS_PER_CUSTOMER_MESSAGE) return fail(95001, 'send msg count limit');
    const badContent = checkContent(state, body);
    if (badContent) return fail(badContent.errcode, badContent.detail);

    session.sendsSinceCustomer++;
    const msgid = record(state, body, openKfId, touser, 'send_msg');
    // "Outcome unknown": the message is stored (and counted), but the client only sees a 500.
    if (fault === 'accept-then-500') return applyFault(reply, fault, faults);
    return ok({ msgid });
  });

  app.post('/cgi-bin/kf/send_msg_on_event', async (req) => {
    const body = req.body;
    if (!isObject(body)) return fail(47001, 'data format error');
    // Invalid/used/expired codes: the real errcode is undocumented; 40058 (invalid parameter) is our choice.
    const code = typeof body.code === 'string' ? state.msgCodes.get(body.code) : undefined;
    if (!code || code.expiresAt <= state.now()) return fail(40058, 'invalid code');
    if (code.state !== undefined && state.session(code.openKfId, code.externalUserId)?.state !== code.state) {
      return fail(95018, 'send msg session status invalid');
    }
    const allowed = code.allowMenu ? ON_EVENT_TYPES : new Set(['text']);
    const badContent = checkContent(state, body, allowed);
    if (badContent) return fail(badContent.errcode, badContent.detail);
    const bad = checkMsgid(state, code.openKfId, body.msgid);
    if (bad) return fail(bad.errcode, bad.detail);
    state.msgCodes.delete(body.code); // single use
    const msgid = record(state, body, code.openKfId, code.externalUserId, 'send_msg_on_event');
    return ok({ msgid });
  });
}
