import type { FastifyReply, FastifyRequest } from 'fastify';
import { esc } from './html.js';
import { langSwitchHref, t, type Lang, type ShellKey } from './i18n.js';

/**
 * The page shell every console page is served in: doctype, language, viewport, the CSRF token and
 * the console's path as meta tags (templates/console/app.js reads them), the navigation, a
 * `<main id="app">` the page's ES module fills, and that module's script tag. Server-side text
 * is escaped here; data never goes into HTML on the server (pages render it with DOM APIs).
 */
export type NavKey = 'conversations' | 'failed' | 'health' | 'charts' | 'settings' | 'audit';

const NAV: { key: NavKey; path: string; label: ShellKey }[] = [
  { key: 'conversations', path: '', label: 'nav_conversations' },
  { key: 'failed', path: '/failed', label: 'nav_failed' },
  { key: 'health', path: '/health', label: 'nav_health' },
  { key: 'charts', path: '/charts', label: 'nav_charts' },
  { key: 'settings', path: '/settings', label: 'nav_settings' },
  { key: 'audit', path: '/audit', label: 'nav_audit' },
];

export interface PageOptions {
  /** The page's title, already in the request's language. */
  title: string;
  /** The nav entry shown as current. */
  active?: NavKey;
  /** The page's ES module in templates/console/, e.g. `audit.js` (served at `<base>/assets/audit.js`). */
  script?: string;
  /** Extra stylesheets: asset names (`charts.css`) or vendored files (`vendor/uplot.css`). */
  styles?: string[];
  /** Server-rendered HTML placed inside <main> before the script runs (escape anything dynamic with esc()). */
  body?: string;
  /** Extra class on <body>. */
  bodyClass?: string;
}

const htmlLang = (lang: Lang) => (lang === 'zh' ? 'zh-CN' : 'en');

/** `/admin` + `/x`: the URL of a console path. */
export const assetUrl = (base: string, name: string) =>
  name.startsWith('vendor/') ? `${base}/${name}` : `${base}/assets/${name}`;

function head(lang: Lang, base: string, title: string, csrf: string, styles: string[]): string {
  return `<!doctype html>
<html lang="${htmlLang(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="referrer" content="same-origin">
<meta name="csrf-token" content="${esc(csrf)}">
<meta name="console-base" content="${esc(base)}">
<title>${esc(title)} · ${esc(t(lang, 'app_name'))}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${esc(assetUrl(base, 'app.css'))}">
${styles.map((s) => `<link rel="stylesheet" href="${esc(assetUrl(base, s))}">`).join('\n')}
</head>`;
}

/** A page of the logged-in console. */
export function renderPage(req: FastifyRequest, base: string, opts: PageOptions): string {
  const lang = req.consoleLang;
  const csrf = req.consoleSession?.csrf ?? '';
  const other: Lang = lang === 'zh' ? 'en' : 'zh';
  const nav = NAV.map(
    (n) =>
      `<li><a href="${esc(base + n.path || '/')}"${n.key === opts.active ? ' aria-current="page"' : ''}>${esc(t(lang, n.label))}</a></li>`,
  ).join('');
  return `${head(lang, base, opts.title, csrf, opts.styles ?? [])}
<body class="console${opts.bodyClass ? ` ${esc(opts.bodyClass)}` : ''}">
<a class="skip" href="#app">${esc(t(lang, 'skip_to_main'))}</a>
<header class="topbar">
<a class="brand" href="${esc(base)}">wxcoze</a>
<nav class="nav" aria-label="${esc(t(lang, 'nav_menu'))}"><ul>${nav}</ul></nav>
<div class="who">
<span class="operator" title="${esc(t(lang, 'signed_in_as'))}">${esc(req.operator)}</span>
<a class="lang" href="${esc(langSwitchHref(req, base, other))}" lang="${htmlLang(other)}">${esc(t(lang, 'switch_lang'))}</a>
<form method="post" action="${esc(base)}/logout" class="logout">
<input type="hidden" name="_csrf" value="${esc(csrf)}">
<button type="submit" class="btn-link">${esc(t(lang, 'nav_logout'))}</button>
</form>
</div>
</header>
<div id="notice" class="notice" role="alert" aria-live="assertive" hidden></div>
<main id="app" tabindex="-1">
<h1 class="page-title">${esc(opts.title)}</h1>
${opts.body ?? ''}
</main>
<noscript><p class="notice">${esc(t(lang, 'noscript'))}</p></noscript>
${opts.script ? `<script type="module" src="${esc(assetUrl(base, opts.script))}"></script>` : ''}
</body>
</html>
`;
}

/** Sends a console page (HTML, never cached: it carries the session's CSRF token). */
export function sendPage(req: FastifyRequest, reply: FastifyReply, base: string, opts: PageOptions) {
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(renderPage(req, base, opts));
}

/**
 * A page outside the logged-in console (login, errors, console off): no nav, one card, in the
 * request's language. `inner` is trusted HTML built by the caller with esc().
 */
export function renderBarePage(
  req: FastifyRequest,
  base: string,
  title: string,
  inner: string,
  csrf = '',
): string {
  const lang = req.consoleLang ?? 'zh';
  const other: Lang = lang === 'zh' ? 'en' : 'zh';
  return `${head(lang, base, title, csrf, [])}
<body class="bare">
<main id="app" class="card" tabindex="-1">
<p class="brand-line">wxcoze <a class="lang" href="${esc(langSwitchHref(req, base, other))}" lang="${htmlLang(other)}">${esc(t(lang, 'switch_lang'))}</a></p>
${inner}
</main>
</body>
</html>
`;
}
