import type { FastifyReply, FastifyRequest } from 'fastify';
import { esc } from './html.js';
import { t, type Lang } from './i18n.js';
import { renderBarePage } from './layout.js';

/**
 * How the console says no: a JSON `{error:{code,message}}` to its scripts (`/api/…` or a request
 * that accepts JSON only), a small page to a browser. Messages are in the request's language and
 * say what to do; never a stack trace.
 */
export function wantsJson(req: FastifyRequest, base: string): boolean {
  const path = req.url.split('?')[0]!;
  if (path.startsWith(`${base}/api/`)) return true;
  const accept = String(req.headers.accept ?? '');
  if (accept.includes('text/html')) return false;
  // A script: it asked for JSON, or sent JSON without asking for a page.
  return accept.includes('application/json') || String(req.headers['content-type'] ?? '').includes('json');
}

export interface Problem {
  status: number;
  /** Stable code scripts can test: `session_expired`, `csrf`, `not_found`, `bad_request`, `internal`, … */
  code: string;
  message: string;
  /** The error page's heading (defaults to a generic one). */
  title?: string;
  /** Extra trusted HTML under the message on the page (a link back, a form). */
  extraHtml?: string;
}

export function sendProblem(req: FastifyRequest, reply: FastifyReply, base: string, p: Problem) {
  const lang: Lang = req.consoleLang ?? 'zh';
  reply.code(p.status).header('cache-control', 'no-store');
  if (wantsJson(req, base)) return reply.send({ error: { code: p.code, message: p.message } });
  const title = p.title ?? t(lang, 'error_title');
  const back = p.extraHtml ?? `<p><a class="btn" href="${esc(base)}">${esc(t(lang, 'error_back'))}</a></p>`;
  return reply
    .type('text/html; charset=utf-8')
    .send(
      renderBarePage(
        req,
        base,
        title,
        `<h1>${esc(title)}</h1>\n<p class="message">${esc(p.message)}</p>\n${back}`,
      ),
    );
}

export function csrfProblem(lang: Lang, base: string): Problem {
  return {
    status: 403,
    code: 'csrf',
    title: t(lang, 'error_csrf_title'),
    message: t(lang, 'error_csrf'),
    extraHtml: `<p><a class="btn" href="${esc(base)}">${esc(t(lang, 'error_back'))}</a></p>`,
  };
}
