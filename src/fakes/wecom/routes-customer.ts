/**
 * kf/customer/batchget (docs/protocol.md §customer-batchget): the WeChat nickname and avatar of
 * customers who wrote or entered a session within 48 h; others come back in invalid_external_userid.
 * Each customer gets a made-up profile unless a test set one (`FakeWecom.setProfile`).
 */
import type { FastifyInstance } from 'fastify';
import { fail, isObject, ok } from './reply.js';
import { REPLY_WINDOW_MS, type FakeState } from './state.js';

const MAX_IDS = 100;

export function registerCustomer(app: FastifyInstance, state: FakeState): void {
  app.post('/cgi-bin/kf/customer/batchget', async (req) => {
    const body = isObject(req.body) ? req.body : {};
    const ids: unknown = body.external_userid_list;
    if (
      !Array.isArray(ids) ||
      !ids.length ||
      ids.length > MAX_IDS ||
      !ids.every((i) => typeof i === 'string')
    )
      return fail(40058, `external_userid_list must hold 1 to ${MAX_IDS} ids`);
    const active = activeCustomers(state);
    const found: Record<string, unknown>[] = [];
    const invalid: string[] = [];
    for (const id of ids as string[]) {
      if (!active.has(id)) {
        invalid.push(id);
        continue;
      }
      const p = state.profiles.get(id) ?? defaultProfile(id);
      found.push({ external_userid: id, nickname: p.nickname, avatar: p.avatar, gender: 0, unionid: '' });
    }
    return ok({ customer_list: found, invalid_external_userid: invalid });
  });
}

/** Who wrote or entered a session in the last 48 h, on any account. */
function activeCustomers(state: FakeState): Set<string> {
  const since = state.now() - REPLY_WINDOW_MS;
  const out = new Set<string>();
  for (const log of state.logs.values())
    for (const { msg, at } of log) {
      if (at < since) continue;
      const ev = (msg as { event?: { external_userid?: unknown } }).event;
      const id = msg.external_userid ?? ev?.external_userid;
      if (typeof id === 'string' && id) out.add(id);
    }
  return out;
}

export function defaultProfile(id: string): { nickname: string; avatar: string } {
  return { nickname: `微信用户${id.slice(-4)}`, avatar: `https://wx.qlogo.cn/mmhead/fake${id.slice(-8)}/0` };
}
