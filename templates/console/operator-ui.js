// Shared by the operator panel, the failed page and the handoff banner: their own strings (they
// live beside another page's, so they do not register through useStrings), the stylesheet, and a
// browser-made id for each intent to send.
import { base, lang } from './app.js';

/** `tr(STRINGS, key, vars)`: a string of this module's table in the page's language. */
export function tr(strings, key, vars = {}) {
  const s = strings[lang]?.[key] ?? strings.zh[key] ?? key;
  return String(s).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/** Loads operator.css once (the panel is placed in another helper's page). */
export function ensureStyles() {
  if (document.querySelector('link[data-operator-css]')) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = `${base}/assets/operator.css`;
  link.dataset.operatorCss = '';
  document.head.append(link);
}

/**
 * An id for one intent to send, made in the browser: the server stores a reply once per id, so a
 * double click or a resent request is one message. getRandomValues works on plain http too.
 */
export function newActionId() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The thread page of a customer (the conversations page's route). */
export const threadUrl = (openKfId, externalUserId) =>
  `${base}/c/${encodeURIComponent(openKfId)}/${encodeURIComponent(externalUserId)}`;
