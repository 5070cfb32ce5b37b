import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { assetRoutes } from './assets.js';
import { readCookies } from './auth/cookies.js';
import { operatorGuard } from './auth/guard.js';
import { loginRoutes, logoutRoute } from './auth/login.js';
import { sendProblem } from './errors.js';
import { esc } from './html.js';
import { langOf, rememberLang, t } from './i18n.js';
import { renderBarePage } from './layout.js';
import { CONSOLE_PAGES } from './pages/index.js';
import type { AuditCustomer, ConsoleDeps, ConsolePageOptions } from './types.js';

/**
 * The operator console, registered by buildApp under WXCOZE_ADMIN_PATH (default /admin):
 *   <base>/assets/*, <base>/vendor/*   static files (src/console/assets.ts), no login
 *   <base>/login, POST <base>/login    the login page (src/console/auth/login.ts)
 *   everything else                    the logged-in scope: operatorGuard (session + CSRF), then
 *                                      POST <base>/logout and every page of CONSOLE_PAGES
 * The console is off (a 404 page saying how to turn it on) until an operator exists.
 */
export interface ConsolePluginOptions extends ConsoleDeps {
  /** The path it is mounted at (also given to fastify as `prefix`). */
  base: string;
}

/** Security headers on every console response: no framing, no sniffing, scripts only from here. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  // Customer avatars come from WeCom's image hosts; data:/blob: for generated images (QR codes, charts).
  "img-src 'self' data: blob: https:",
  "media-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** How long "the console is on" is believed before asking the store again (an operator was added). */
const ON_CHECK_MS = 5_000;

export async function consolePlugin(app: FastifyInstance, opts: ConsolePluginOptions): Promise<void> {
  const { store, base, config } = opts;
  const access = store.consoleAccess;
  const policy = { idleMs: config.console.sessionIdleMs, maxMs: config.console.sessionMaxMs };

  app.decorateRequest('operator', '');
  app.decorateRequest('consoleSession', null);
  app.decorateRequest('consoleLang', 'zh');
  app.decorateRequest('consoleCookies', null as unknown as Record<string, string>);
  app.decorateRequest(
    'audit',
    async function (
      this: FastifyRequest,
      action: string,
      customer?: AuditCustomer | null,
      detail?: string | object,
    ) {
      await access.audit({
        at: Date.now(),
        operator: this.operator || '?',
        action,
        openKfId: customer?.openKfId ?? null,
        externalUserId: customer?.externalUserId ?? null,
        detail: detail === undefined ? null : typeof detail === 'string' ? detail : JSON.stringify(detail),
      });
    },
  );

  // HTML forms (login, logout) post urlencoded bodies; scripts post JSON (fastify's own parser).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  const notFound = (req: FastifyRequest, reply: FastifyReply) =>
    sendProblem(req, reply, base, {
      status: 404,
      code: 'not_found',
      message: t(req.consoleLang, 'error_not_found'),
    });

  let onUntil = 0;
  app.addHook('onRequest', async (req, reply) => {
    req.consoleCookies = readCookies(req);
    req.consoleLang = langOf(req, req.consoleCookies);
    rememberLang(req, reply, base);
    reply
      .header('content-security-policy', CSP)
      .header('x-frame-options', 'DENY')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin');
    if (req.url.startsWith(`${base}/assets/`)) return;
    const now = Date.now();
    if (now < onUntil) return;
    if ((await access.countOperators()) > 0) {
      onUntil = now + ON_CHECK_MS;
      return;
    }
    const lang = req.consoleLang;
    const title = t(lang, 'console_off_title');
    return reply
      .code(404)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(
        renderBarePage(
          req,
          base,
          title,
          `<h1>${esc(title)}</h1>\n<p class="message">${esc(t(lang, 'console_off'))}</p>\n<pre class="command">wxcoze admin password</pre>`,
        ),
      );
  });

  app.setNotFoundHandler(notFound);
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, 'console request failed');
      return sendProblem(req, reply, base, {
        status,
        code: 'internal',
        message: t(req.consoleLang, 'error_internal'),
      });
    }
    const detail = String(err.message).slice(0, 200);
    return sendProblem(req, reply, base, {
      status,
      code: status === 404 ? 'not_found' : 'bad_request',
      message: t(req.consoleLang, 'error_bad_request', { detail }),
    });
  });

  assetRoutes(app, notFound);
  loginRoutes(app, { store: access, policy, limits: config.console.loginLimits, base, logger: opts.logger });

  await app.register(async (authed) => {
    authed.addHook('preHandler', operatorGuard(access, policy, base));
    logoutRoute(authed, { store: access, base });
    const routes = new Set<string>();
    authed.addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) routes.add(`${m} ${r.url}`);
    });
    const pageOpts: ConsolePageOptions = {
      store: opts.store,
      coordinator: opts.coordinator,
      config: opts.config,
      logger: opts.logger,
      ...(opts.ops ? { ops: opts.ops } : {}),
      ...(opts.consoleWatch ? { consoleWatch: opts.consoleWatch } : {}),
      // Without it an operator's reply or a retry waits for the pipeline's next look instead of going now.
      ...(opts.kickPipeline ? { kickPipeline: opts.kickPipeline } : {}),
      base,
    };
    for (const page of CONSOLE_PAGES) await authed.register(page, pageOpts);
    // Until the conversations page exists, the console's home is the audit page.
    if (!routes.has(`GET ${base}/`) && !routes.has(`GET ${base}`))
      authed.get('/', async (_req, reply) => reply.redirect(`${base}/audit`, 303));
  });
}
