/**
 * POST /api/permission/oauth2/token (docs/protocol.md §coze-oauth-jwt): `Authorization: Bearer <JWT>`,
 * body {grant_type: jwt-bearer, duration_seconds (1–86399, default 900)} → bare {access_token,
 * expires_in: Unix time in seconds}; a refusal is {error_code, error_message} (not Coze's usual
 * {code, msg}), 401 for a JWT it does not accept.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { JWT_BEARER_GRANT, type FakeOAuthApp, type OAuthRefusal } from '../oauth.js';

export const TOKEN_PATH = '/api/permission/oauth2/token';

function refuse(reply: FastifyReply, r: OAuthRefusal): FastifyReply {
  // coze-go reads `error` as well (AuthError.Param): it carries the code again.
  return reply
    .code(r.status)
    .type('application/json')
    .send({ error_code: r.error_code, error_message: r.error_message, error: r.error_code });
}

export function registerOAuthRoutes(app: FastifyInstance, oauth: FakeOAuthApp | undefined): void {
  app.post(TOKEN_PATH, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const record = (
      outcome: string,
      jwt?: { header: Record<string, unknown>; payload: Record<string, unknown> },
    ) => oauth?.requests.push({ ...(jwt ?? {}), body, outcome, at: Date.now() });
    if (!oauth) {
      record('invalid_client');
      return refuse(reply, {
        status: 401,
        error_code: 'invalid_client',
        error_message: 'invalid jwt: kid not been registred',
      });
    }
    const auth = req.headers.authorization ?? '';
    const jwt = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    const checked = oauth.checkJwt(jwt, req.headers.host ?? '');
    if ('error_code' in checked) {
      record(checked.error_code);
      return refuse(reply, checked);
    }
    if (body.grant_type !== JWT_BEARER_GRANT) {
      record('unsupported_grant_type', checked);
      return refuse(reply, {
        status: 400,
        error_code: 'unsupported_grant_type',
        error_message: `not supported grant type: ${String(body.grant_type)}`,
      });
    }
    const d = body.duration_seconds ?? 900;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 86399) {
      record('invalid_request', checked);
      return refuse(reply, {
        status: 400,
        error_code: 'invalid_request',
        error_message: 'invalid request: duration_seconds',
      });
    }
    const { token, expiresIn } = oauth.issue(d);
    record('issued', checked);
    return reply.code(200).type('application/json').send({ access_token: token, expires_in: expiresIn });
  });
}
