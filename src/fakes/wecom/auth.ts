/**
 * Access tokens (docs/protocol.md §access-token): gettoken issues them, every other route checks them.
 * missing → 41001, unknown → 40014, expired → 42001, exactly the trio the client must refresh on.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { newAccessToken } from './ids.js';
import { fail, ok } from './reply.js';
import type { FakeState } from './state.js';

export interface Credentials {
  corpId: string;
  secret: string;
  tokenTtlSec: number;
}

export function registerGetToken(app: FastifyInstance, state: FakeState, creds: Credentials): void {
  app.get('/cgi-bin/gettoken', async (req) => {
    const q = req.query as Record<string, string | undefined>;
    if (q.corpid !== creds.corpId) return fail(40013, 'invalid corpid');
    if (q.corpsecret !== creds.secret) return fail(40001, 'invalid credential');
    if (state.gettokenError) return fail(state.gettokenError.errcode, state.gettokenError.errmsg);
    const token = newAccessToken();
    state.accessTokens.set(token, { expiresAt: state.now() + creds.tokenTtlSec * 1000, expired: false });
    return ok({ access_token: token, expires_in: creds.tokenTtlSec });
  });
}

/** preHandler for every route but gettoken; returns a reply when the token is not acceptable. */
export function checkAccessToken(
  state: FakeState,
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply | undefined {
  const token = (req.query as Record<string, string | undefined>).access_token;
  if (!token) return reply.send(fail(41001, 'access_token missing'));
  const entry = state.accessTokens.get(token);
  if (!entry) return reply.send(fail(40014, 'invalid access_token'));
  if (entry.expired || entry.expiresAt <= state.now()) return reply.send(fail(42001, 'access_token expired'));
  return undefined;
}

export function expireAllTokens(state: FakeState): void {
  for (const entry of state.accessTokens.values()) entry.expired = true;
}
