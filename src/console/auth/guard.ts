import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleAccessStore } from '../../store/console-types.js';
import { csrfProblem, sendProblem, wantsJson } from '../errors.js';
import { t } from '../i18n.js';
import { clearCookie } from './cookies.js';
import { findSession, sameToken, SESSION_COOKIE, type SessionPolicy } from './sessions.js';

/** Methods that change state: every one must carry the session's CSRF token. */
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The CSRF token a request carries: header `x-csrf-token` (scripts) or form field `_csrf` (HTML forms). */
export function csrfOf(req: FastifyRequest): string | undefined {
  const h = req.headers['x-csrf-token'];
  if (typeof h === 'string' && h) return h;
  const body = req.body as Record<string, unknown> | undefined;
  return body && typeof body === 'object' && typeof body._csrf === 'string' ? body._csrf : undefined;
}

/**
 * The preHandler of the logged-in scope: finds the session from its cookie (else: a page goes to
 * the login page, saying why; a script gets 401 JSON), sets `request.operator`, and refuses a
 * state-changing request without the session's CSRF token (403, clear page or JSON).
 */
export function operatorGuard(store: ConsoleAccessStore, policy: SessionPolicy, base: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const token = req.consoleCookies[SESSION_COOKIE];
    const found = await findSession(store, token, policy, Date.now());
    if (!found.ok) {
      if (token) clearCookie(req, reply, SESSION_COOKIE, base);
      const lang = req.consoleLang;
      if (wantsJson(req, base) || req.method !== 'GET')
        return sendProblem(req, reply, base, {
          status: 401,
          code: found.reason === 'expired' ? 'session_expired' : 'not_logged_in',
          message: t(lang, 'login_expired'),
        });
      const next = encodeURIComponent(req.url);
      const m = found.reason === 'expired' ? 'm=expired&' : '';
      return reply
        .code(303)
        .header('cache-control', 'no-store')
        .redirect(`${base}/login?${m}next=${next}`, 303);
    }
    req.operator = found.session.operator;
    req.consoleSession = found.session;
    if (UNSAFE.has(req.method) && !sameToken(csrfOf(req), found.session.csrf))
      return sendProblem(req, reply, base, csrfProblem(req.consoleLang, base));
  };
}
