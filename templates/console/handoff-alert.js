// Every console page: when a customer is handed to the console (mode `waiting`), a banner and a
// short chime tell the operators at once, and the nav shows how many wait. Driven by the live
// feed's customer events, with a slow poll in case the feed is down.
import { api, base, csrfToken, el, onLive } from './app.js';
import { ensureStyles, threadUrl, tr } from './operator-ui.js';

const STRINGS = {
  zh: {
    arrived: '有客户在等待人工接待：{who}',
    waiting: '{n} 位客户在等待人工接待',
    open: '去接待',
    close: '知道了',
  },
  en: {
    arrived: 'A customer is waiting for an operator: {who}',
    waiting: '{n} customer(s) waiting for an operator',
    open: 'Serve them',
    close: 'Got it',
  },
};
const t = (key, vars) => tr(STRINGS, key, vars);
const POLL_MS = 15_000;

function start() {
  ensureStyles();
  const text = el('span', { 'data-testid': 'handoff-text' });
  const open = el('a', { class: 'btn primary', href: `${base}/` }, t('open'));
  const banner = el(
    'div',
    { class: 'handoff-banner', role: 'alert', hidden: true, 'data-testid': 'handoff-banner' },
    text,
    open,
    el('button', { type: 'button', class: 'btn', onclick: () => (banner.hidden = true) }, t('close')),
  );
  document.querySelector('.topbar')?.after(banner);
  const navLink = document.querySelector(`.nav a[href="${CSS.escape(base)}"]`);
  const count = el('span', { class: 'nav-count', hidden: true, 'data-testid': 'waiting-count' });
  navLink?.append(count);
  const chime = new Audio(`${base}/assets/handoff.wav`);

  let known;
  async function check() {
    const data = await api('/api/waiting', { quiet: true }).catch(() => null);
    if (!data) return;
    const keys = new Set(data.customers.map((c) => `${c.openKfId}\n${c.externalUserId}`));
    count.textContent = String(data.count);
    count.hidden = data.count === 0;
    const arrived = known ? data.customers.filter((c) => !known.has(`${c.openKfId}\n${c.externalUserId}`)) : [];
    if (!known && data.count > 0) {
      // Opening the page: say who is waiting, without a sound.
      text.textContent = t('waiting', { n: data.count });
      open.href = threadUrl(data.customers[0].openKfId, data.customers[0].externalUserId);
      banner.hidden = false;
    }
    known = keys;
    if (!arrived.length) return;
    const first = arrived[0];
    text.textContent = arrived.length === 1 ? t('arrived', { who: first.externalUserId }) : t('waiting', { n: data.count });
    open.href = threadUrl(first.openKfId, first.externalUserId);
    banner.hidden = false;
    chime.currentTime = 0;
    // Browsers refuse sound before the operator has interacted with the page: the banner still shows.
    chime.play().then(
      () => (document.body.dataset.handoffSound = 'played'),
      () => (document.body.dataset.handoffSound = 'blocked'),
    );
  }

  let pending;
  onLive((evt) => {
    if (evt.type !== 'customer' || pending) return;
    pending = setTimeout(() => {
      pending = undefined;
      check();
    }, 200);
  });
  setInterval(check, POLL_MS);
  check();
}

// Only in the logged-in console (the login page has no session and no nav).
if (csrfToken() && document.querySelector('.topbar')) start();
