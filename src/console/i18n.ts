import type { FastifyReply, FastifyRequest } from 'fastify';
import { appendSetCookie } from './auth/cookies.js';

/**
 * The console's languages and the page shell's strings (nav, login, error pages). Each page's own
 * strings live in its ES module (`STRINGS = { zh: {…}, en: {…} }`, templates/console/*.js).
 * Choice: `?lang=en|zh` (remembered in the `wxcoze_lang` cookie), else that cookie, else the
 * browser's Accept-Language (zh* → zh, en* → en), else zh.
 */
export type Lang = 'zh' | 'en';
export const LANGS: readonly Lang[] = ['zh', 'en'];
export const LANG_COOKIE = 'wxcoze_lang';

const isLang = (v: unknown): v is Lang => v === 'zh' || v === 'en';

export function langOf(req: FastifyRequest, cookies: Record<string, string>): Lang {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  if (isLang(q)) return q;
  const c = cookies[LANG_COOKIE];
  if (isLang(c)) return c;
  const accept = String(req.headers['accept-language'] ?? '').toLowerCase();
  // The first language the browser names that we have wins.
  for (const part of accept.split(',')) {
    const tag = part.trim().split(';')[0]!;
    if (tag.startsWith('zh')) return 'zh';
    if (tag.startsWith('en')) return 'en';
  }
  return 'zh';
}

/** `?lang=` given: remember it for the pages that follow (a year; not a secret, readable by scripts). */
export function rememberLang(req: FastifyRequest, reply: FastifyReply, base: string): void {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  if (isLang(q))
    appendSetCookie(reply, `${LANG_COOKIE}=${q}; Path=${base}; Max-Age=31536000; SameSite=Strict`);
}

/**
 * Where the language switch of a page points: the same page with `?lang=` (its other parameters
 * kept). A page that answers a POST (a refused form, a failed login) cannot be fetched again with
 * a GET, so its switch goes back to the page the form was on (the Referer, when it is a console
 * page of this site), else to the console's home.
 */
export function langSwitchHref(req: FastifyRequest, base: string, to: Lang): string {
  const here = new URL(req.url, 'http://console.invalid');
  if (req.method === 'GET' || req.method === 'HEAD') return withLang(here, to);
  const referer = req.headers.referer;
  if (typeof referer === 'string') {
    try {
      const from = new URL(referer);
      const inConsole = from.pathname === base || from.pathname.startsWith(`${base}/`);
      if (from.host === req.headers.host && inConsole) return withLang(from, to);
    } catch {
      // not a URL: the home below
    }
  }
  return `${base || '/'}?lang=${to}`;
}

function withLang(url: URL, to: Lang): string {
  url.searchParams.set('lang', to);
  return `${url.pathname}${url.search}`;
}

const ZH = {
  app_name: 'wxcoze 客服控制台',
  nav_conversations: '会话',
  nav_failed: '失败消息',
  nav_health: '运行状态',
  nav_charts: '统计',
  nav_settings: '设置',
  nav_audit: '操作记录',
  nav_logout: '退出登录',
  nav_menu: '菜单',
  switch_lang: 'English',
  signed_in_as: '当前用户',
  skip_to_main: '跳到正文',
  noscript: '控制台需要启用 JavaScript。',
  login_title: '登录',
  login_name: '用户名',
  login_password: '密码',
  login_submit: '登录',
  login_wrong: '用户名或密码不对，请重新输入。',
  login_expired: '登录已过期，请重新登录。',
  login_logged_out: '已退出登录。',
  login_throttled: '尝试次数太多，请 {minutes} 分钟后再试。',
  login_busy: '登录请求太多，请稍等几秒再试。',
  login_csrf: '登录页面已过期（或浏览器禁用了 Cookie），请重新输入再提交。',
  login_hint: '忘记密码？在服务器上运行 wxcoze admin password 重新设置。',
  error_title: '出错了',
  error_csrf_title: '页面已过期',
  error_csrf: '这个页面的安全令牌缺失或已失效（例如在别处退出登录了）。请刷新页面后重试。',
  error_not_found: '没有这个页面。',
  error_internal: '服务器内部出错，已记录日志。请稍后重试；一直出错请查看 wxcoze logs。',
  error_bad_request: '请求的内容不对：{detail}',
  error_back: '返回控制台',
  error_reload: '刷新页面',
  console_off_title: '控制台尚未开启',
  console_off:
    '还没有设置管理员密码，所以控制台是关闭的。请在服务器上运行 wxcoze admin password 设置密码，然后刷新本页。',
  audit_title: '操作记录',
};

export type ShellKey = keyof typeof ZH;

const EN: Record<ShellKey, string> = {
  app_name: 'wxcoze console',
  nav_conversations: 'Conversations',
  nav_failed: 'Failed',
  nav_health: 'Health',
  nav_charts: 'Charts',
  nav_settings: 'Settings',
  nav_audit: 'Audit log',
  nav_logout: 'Log out',
  nav_menu: 'Menu',
  switch_lang: '中文',
  signed_in_as: 'Signed in as',
  skip_to_main: 'Skip to content',
  noscript: 'The console needs JavaScript.',
  login_title: 'Log in',
  login_name: 'Name',
  login_password: 'Password',
  login_submit: 'Log in',
  login_wrong: 'Wrong name or password. Please try again.',
  login_expired: 'Your session has expired. Please log in again.',
  login_logged_out: 'You are logged out.',
  login_throttled: 'Too many attempts. Please try again in {minutes} minutes.',
  login_busy: 'Too many logins at this moment. Please wait a few seconds and try again.',
  login_csrf: 'The login page had expired (or cookies are blocked). Please enter your password again.',
  login_hint: 'Forgot the password? Run wxcoze admin password on the server to set a new one.',
  error_title: 'Something went wrong',
  error_csrf_title: 'This page has expired',
  error_csrf:
    "This page's security token is missing or no longer valid (e.g. you logged out elsewhere). Reload the page and try again.",
  error_not_found: 'There is no such page.',
  error_internal: 'Internal error (logged). Try again later; if it persists, check wxcoze logs.',
  error_bad_request: 'The request is not valid: {detail}',
  error_back: 'Back to the console',
  error_reload: 'Reload the page',
  console_off_title: 'The console is not on yet',
  console_off:
    'No admin password has been set, so the console is off. Run wxcoze admin password on the server, then reload this page.',
  audit_title: 'Audit log',
};

const SHELL: Record<Lang, Record<ShellKey, string>> = { zh: ZH, en: EN };

/** A shell string, with `{name}` placeholders filled. */
export function t(lang: Lang, key: ShellKey, vars: Record<string, string | number> = {}): string {
  return SHELL[lang][key].replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}
