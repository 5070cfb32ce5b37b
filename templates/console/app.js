// Shared helpers of every console page (an ES module; pages `import { … } from './app.js'`).
// Data is always put in the page with textContent / DOM nodes, never innerHTML: a customer's
// message such as <img src=x onerror=alert(1)> stays text.

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';

/** The console's path, e.g. "/admin" (WXCOZE_ADMIN_PATH). */
export const base = meta('console-base');
/** "zh" or "en": the page's language (chosen by the server). */
export const lang = document.documentElement.lang.toLowerCase().startsWith('en') ? 'en' : 'zh';
/** The session's CSRF token, sent with every state-changing request. */
export const csrfToken = () => meta('csrf-token');

const COMMON = {
  zh: {
    error_network: '连接服务器失败，请检查网络后重试。',
    error_generic: '操作失败：{message}',
    error_csrf: '页面已过期，请刷新页面后重试。',
    loading: '加载中…',
    empty: '暂无记录',
    more: '加载更多',
    retry: '重试',
    close: '关闭',
  },
  en: {
    error_network: 'Could not reach the server. Check the connection and try again.',
    error_generic: 'That did not work: {message}',
    error_csrf: 'This page has expired. Reload it and try again.',
    loading: 'Loading…',
    empty: 'Nothing here yet',
    more: 'Load more',
    retry: 'Retry',
    close: 'Close',
  },
};

let pageStrings = { zh: {}, en: {} };

/** Registers a page's `STRINGS = { zh: {…}, en: {…} }`; returns `t`. */
export function useStrings(strings) {
  pageStrings = strings;
  return t;
}

/** A string in the page's language: the page's STRINGS first, then the shared ones; `{name}` filled from vars. */
export function t(key, vars = {}) {
  const s = pageStrings[lang]?.[key] ?? COMMON[lang][key] ?? pageStrings.zh?.[key] ?? COMMON.zh[key] ?? key;
  return String(s).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/** An element: el('a', { href: '/x', class: 'btn', onclick: fn }, 'text', child, …). Strings become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Shows a message at the top of the page (role=alert); `kind`: "error" or "info". Empty text hides it. */
export function notify(text, kind = 'error') {
  const box = document.getElementById('notice');
  if (!box) return;
  box.replaceChildren();
  if (!text) {
    box.hidden = true;
    return;
  }
  box.className = `notice ${kind}`;
  box.append(
    el('span', {}, text),
    el('button', { type: 'button', class: 'btn-link', onclick: () => notify('') }, t('close')),
  );
  box.hidden = false;
}

/** An error from the console's API: `code` (e.g. "csrf", "bad_request") and a message in the page's language. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Calls the console's JSON API: api('/api/audit'), api('/api/x', { method: 'POST', body: {…} }).
 * Paths are relative to the console's base. Adds the CSRF token; on 401 goes to the login page
 * (coming back here after); other failures show a message (unless { quiet: true }) and throw ApiError.
 */
export async function api(path, { method = 'GET', body, signal, quiet = false } = {}) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken();
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: 'same-origin',
    });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    if (!quiet) notify(t('error_network'));
    throw new ApiError(0, 'network', t('error_network'));
  }
  if (res.status === 401) {
    const next = encodeURIComponent(location.pathname + location.search);
    location.assign(`${base}/login?m=expired&next=${next}`);
    throw new ApiError(401, 'session_expired', '');
  }
  const type = res.headers.get('content-type') ?? '';
  const data = type.includes('application/json') ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    const code = data?.error?.code ?? `http_${res.status}`;
    const message = code === 'csrf' ? t('error_csrf') : data?.error?.message || `HTTP ${res.status}`;
    if (!quiet) notify(code === 'csrf' ? message : t('error_generic', { message }));
    throw new ApiError(res.status, code, message);
  }
  return data;
}

/** A time as the operator reads it: today → "14:05", earlier → "12-01 14:05", another year → full date. */
export function formatTime(ms) {
  const d = new Date(ms);
  const now = new Date();
  const locale = lang === 'zh' ? 'zh-CN' : 'en-GB';
  const time = d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return time;
  const opts = d.getFullYear() === now.getFullYear() ? { month: '2-digit', day: '2-digit' } : { year: 'numeric', month: '2-digit', day: '2-digit' };
  return `${d.toLocaleDateString(locale, opts)} ${time}`;
}

// Live updates: one EventSource for the page, shared by every handler. If the server has no
// event stream (404) the browser closes it and handlers simply never run.
const liveHandlers = new Set();
let source;
/** Calls `handler(event)` for each change the server announces ({type, openKfId, externalUserId, seq}); returns an unsubscribe function. */
export function onLive(handler) {
  liveHandlers.add(handler);
  if (!source && typeof EventSource !== 'undefined') {
    source = new EventSource(`${base}/api/events`);
    source.onmessage = (e) => {
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      for (const h of liveHandlers) h(data);
    };
  }
  return () => {
    liveHandlers.delete(handler);
    if (liveHandlers.size === 0 && source) {
      source.close();
      source = undefined;
    }
  };
}

/** The page's main container, emptied (keeps the page's <h1>). */
export function mainContainer() {
  const main = document.getElementById('app');
  for (const n of [...main.children]) if (!n.classList.contains('page-title')) n.remove();
  return main;
}

// Every console page watches for customers handed to the console: banner, chime, nav count
// (templates/console/handoff-alert.js). Loaded after this module has run, so it can import it.
import('./handoff-alert.js').catch(() => {});
