import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../log/logger.js';
import type { ConsoleAccessStore } from '../../store/console-types.js';
import { esc } from '../html.js';
import { t, type Lang } from '../i18n.js';
import { renderBarePage } from '../layout.js';
import { clearCookie, setCookie } from './cookies.js';
import { decoyHash, verifyPassword } from './password.js';
import { PasswordGate } from './password-gate.js';
import {
  newToken,
  sameToken,
  hashToken,
  SESSION_COOKIE,
  startSession,
  cookieMaxAgeS,
  type SessionPolicy,
} from './sessions.js';
import { checkThrottle, noteFailure, noteSuccess, type ThrottleLimits } from './throttle.js';

/**
 * Login and logout. The login form is CSRF-protected before any session exists by a double-submit
 * token: a random value in an HttpOnly, SameSite=Strict cookie that the form must repeat.
 */
export const LOGIN_CSRF_COOKIE = 'wxcoze_login_csrf';

type Message = 'wrong' | 'expired' | 'logged_out' | 'throttled' | 'csrf' | 'busy';

const MESSAGE_KEY = {
  wrong: 'login_wrong',
  expired: 'login_expired',
  logged_out: 'login_logged_out',
  throttled: 'login_throttled',
  csrf: 'login_csrf',
  busy: 'login_busy',
} as const;

/** Where to go after login: only a path inside the console (never another site). */
export function safeNext(next: unknown, base: string): string {
  if (typeof next !== 'string') return base;
  if (next !== base && !next.startsWith(`${base}/`) && !next.startsWith(`${base}?`)) return base;
  if (/[\\\s]|\/\//.test(next) || next.startsWith(`${base}/login`) || next.startsWith(`${base}/logout`))
    return base;
  return next;
}

export interface LoginOptions {
  store: ConsoleAccessStore;
  policy: SessionPolicy;
  limits: ThrottleLimits;
  base: string;
  logger: Logger;
}

function loginPage(
  req: FastifyRequest,
  reply: FastifyReply,
  o: LoginOptions,
  status: number,
  msg: { kind: Message; minutes?: number } | undefined,
  name = '',
  next = '',
) {
  const lang: Lang = req.consoleLang;
  const csrf = newToken();
  setCookie(req, reply, LOGIN_CSRF_COOKIE, csrf, { path: o.base, maxAgeS: 3600 });
  const error = msg && msg.kind !== 'logged_out';
  const message = msg
    ? `<p class="message ${error ? 'error' : 'info'}" role="${error ? 'alert' : 'status'}" id="login-message">${esc(
        t(lang, MESSAGE_KEY[msg.kind], { minutes: msg.minutes ?? 15 }),
      )}</p>`
    : '';
  const title = t(lang, 'login_title');
  const form = `<h1>${esc(title)}</h1>
${message}
<form method="post" action="${esc(o.base)}/login" class="login-form">
<input type="hidden" name="_csrf" value="${esc(csrf)}">
<input type="hidden" name="next" value="${esc(next)}">
<label for="name">${esc(t(lang, 'login_name'))}</label>
<input id="name" name="name" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="32" required value="${esc(name)}"${name ? '' : ' autofocus'}>
<label for="password">${esc(t(lang, 'login_password'))}</label>
<input id="password" name="password" type="password" autocomplete="current-password" maxlength="200" required${name ? ' autofocus' : ''}>
<button type="submit" class="btn primary">${esc(t(lang, 'login_submit'))}</button>
</form>
<p class="hint">${esc(t(lang, 'login_hint'))}</p>`;
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(renderBarePage(req, o.base, title, form));
}

export function loginRoutes(app: FastifyInstance, o: LoginOptions) {
  const { store, base } = o;
  // One gate per server: every login's scrypt goes through it (hostile floods included).
  const gate = new PasswordGate();

  app.get<{ Querystring: { m?: string; next?: string } }>('/login', async (req, reply) => {
    const m = req.query.m;
    const msg = m === 'expired' || m === 'logged_out' ? { kind: m as Message } : undefined;
    return loginPage(req, reply, o, 200, msg, '', safeNext(req.query.next, base));
  });

  app.post<{ Body: Record<string, unknown> }>('/login', async (req, reply) => {
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const name = typeof body.name === 'string' ? body.name.trim().slice(0, 64) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1000) : '';
    const next = safeNext(body.next, base);
    if (
      !sameToken(
        typeof body._csrf === 'string' ? body._csrf : undefined,
        req.consoleCookies[LOGIN_CSRF_COOKIE],
      )
    )
      return loginPage(req, reply, o, 403, { kind: 'csrf' }, name, next);
    const now = Date.now();
    const verdict = await checkThrottle(store, o.limits, req.ip, name || undefined, now);
    if (!verdict.ok) {
      o.logger.warn({ ip: req.ip, by: verdict.by }, 'console login refused: too many failed attempts');
      const minutes = Math.max(1, Math.ceil(verdict.retryAfterMs / 60_000));
      reply.header('retry-after', String(Math.ceil(verdict.retryAfterMs / 1000)));
      return loginPage(req, reply, o, 429, { kind: 'throttled', minutes }, name, next);
    }
    const operator = name ? await store.getOperator(name) : undefined;
    // An unknown name costs the same scrypt as a known one: timing does not tell which names exist.
    const stored = operator?.passwordHash ?? (await decoyHash());
    const ok = await gate.run(() => verifyPassword(password, stored));
    if (ok === undefined) {
      o.logger.warn({ ip: req.ip }, 'console login refused: too many password checks at once');
      reply.header('retry-after', '5');
      return loginPage(req, reply, o, 503, { kind: 'busy' }, name, next);
    }
    if (!operator || !ok) {
      await noteFailure(store, req.ip, operator?.name, now);
      await store.audit({
        at: now,
        operator: operator?.name ?? '?',
        action: 'login_failed',
        detail: JSON.stringify({ ip: req.ip, ...(operator ? {} : { name: name.slice(0, 32) }) }),
      });
      o.logger.warn({ ip: req.ip, known: Boolean(operator) }, 'console login failed');
      return loginPage(req, reply, o, 401, { kind: 'wrong' }, name, next);
    }
    await noteSuccess(store, operator.name);
    const { token, session } = await startSession(store, operator.name, o.policy, now);
    setCookie(req, reply, SESSION_COOKIE, token, { path: base, maxAgeS: cookieMaxAgeS(session, now) });
    clearCookie(req, reply, LOGIN_CSRF_COOKIE, base);
    await store.audit({
      at: now,
      operator: operator.name,
      action: 'login',
      detail: JSON.stringify({ ip: req.ip }),
    });
    o.logger.info({ operator: operator.name, ip: req.ip }, 'console login');
    return reply.redirect(next, 303);
  });
}

/** POST <base>/logout, inside the logged-in scope (so it needs the session and its CSRF token). */
export function logoutRoute(app: FastifyInstance, o: { store: ConsoleAccessStore; base: string }) {
  app.post('/logout', async (req, reply) => {
    const token = req.consoleCookies[SESSION_COOKIE];
    if (token) await o.store.deleteSession(hashToken(token));
    clearCookie(req, reply, SESSION_COOKIE, o.base);
    await req.audit('logout');
    return reply.redirect(`${o.base}/login?m=logged_out`, 303);
  });
}
