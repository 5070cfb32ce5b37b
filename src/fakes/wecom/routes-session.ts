/**
 * kf/account/list (docs/protocol.md §kf-accounts) and kf/service_state/get|trans (docs/protocol.md §service_state) with the documented state machine:
 * 0 → 1/2/3, 1 → 2/3, 2 → 3, 3 → 3/4, 4 → nothing (only the customer writing reopens it, as state 0).
 */
import type { FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { newMsgCode } from './ids.js';
import { fail, ok, isObject } from './reply.js';
import { REPLY_WINDOW_MS, type FakeState } from './state.js';

const TRANSITIONS: Record<number, number[]> = { 0: [1, 2, 3], 1: [2, 3], 2: [3], 3: [3, 4], 4: [] };
const SHORT_CODE_MS = 20_000; // goodbye codes (state 4), docs/protocol.md §send_msg_on_event
const LONG_CODE_MS = REPLY_WINDOW_MS; // queue / reply codes (states 2, 3)

export function registerSession(app: FastifyInstance, state: FakeState): void {
  app.post('/cgi-bin/kf/account/list', async (req) => {
    if (state.accountListError) return fail(state.accountListError.errcode, state.accountListError.errmsg);
    const body = isObject(req.body) ? req.body : {};
    const offset = body.offset ?? 0;
    const limit = body.limit ?? 100;
    if (!Number.isInteger(offset) || offset < 0) return fail(40058, 'invalid offset');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return fail(40058, 'invalid limit');
    const list = [...state.accounts].slice(offset, offset + limit).map(([openKfId, a]) => ({
      open_kfid: openKfId,
      name: a.name,
      avatar: `https://wework.qpic.cn/wwhead/${openKfId}/0`,
      manage_privilege: a.managePrivilege ?? true,
    }));
    return ok({ account_list: list });
  });

  app.post('/cgi-bin/kf/add_contact_way', async (req) => {
    const body = isObject(req.body) ? req.body : {};
    const { open_kfid: openKfId, scene } = body;
    if (typeof openKfId !== 'string' || !state.accounts.has(openKfId))
      return fail(95000, 'invalid open_kfid');
    if (scene !== undefined && (typeof scene !== 'string' || !/^[0-9a-zA-Z_-]{0,32}$/.test(scene)))
      return fail(40058, 'invalid scene');
    // WeCom's links look like this; the same account and scene always give the same link.
    const id = createHash('sha1')
      .update(`${openKfId}:${scene ?? ''}`)
      .digest('hex')
      .slice(0, 24);
    return ok({ url: `https://work.weixin.qq.com/kfid/kfc${id}${scene ? `?enc_scene=${scene}` : ''}` });
  });

  app.post('/cgi-bin/kf/service_state/get', async (req) => {
    const body = req.body;
    if (!isObject(body)) return fail(47001, 'data format error');
    const { open_kfid: openKfId, external_userid: user } = body;
    if (typeof openKfId !== 'string' || !state.accounts.has(openKfId))
      return fail(95000, 'invalid open_kfid');
    if (typeof user !== 'string' || !user) return fail(40058, 'external_userid missing');
    const s = state.session(openKfId, user);
    return ok({
      service_state: s?.state ?? 4,
      ...(s?.state === 3 && s.servicerUserId ? { servicer_userid: s.servicerUserId } : {}),
    });
  });

  app.post('/cgi-bin/kf/service_state/trans', async (req) => {
    const body = req.body;
    if (!isObject(body)) return fail(47001, 'data format error');
    const {
      open_kfid: openKfId,
      external_userid: user,
      service_state: target,
      servicer_userid: servicer,
    } = body;
    if (typeof openKfId !== 'string' || !state.accounts.has(openKfId))
      return fail(95000, 'invalid open_kfid');
    if (typeof user !== 'string' || !user) return fail(40058, 'external_userid missing');
    if (!Number.isInteger(target) || target < 0 || target > 4) return fail(40058, 'invalid service_state');
    if (target === 3 && (typeof servicer !== 'string' || !servicer))
      return fail(95014, 'servicer_userid required');
    const session = state.ensureSession(openKfId, user);
    if (!TRANSITIONS[session.state]!.includes(target))
      return fail(95016, 'service state transition not allowed');
    const from = session.state;
    session.state = target;
    if (target === 3) session.servicerUserId = servicer;
    else delete session.servicerUserId;
    // A code comes with the first move into 2 or 3, and with the move into 4.
    if ((target === 2 || target === 3 || target === 4) && from !== target) {
      const msgCode = newMsgCode();
      state.msgCodes.set(msgCode, {
        openKfId,
        externalUserId: user,
        state: target,
        kind: 'state',
        expiresAt: state.now() + (target === 4 ? SHORT_CODE_MS : LONG_CODE_MS),
        allowMenu: target === 4,
      });
      return ok({ msg_code: msgCode });
    }
    return ok();
  });
}
