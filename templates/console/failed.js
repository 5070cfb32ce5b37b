// Failed messages: Coze down (the apology went out), undeliverable, or WeCom's budget spent, each
// with its reason. Retry (one reply, continuing after the parts already sent) or Dismiss, one or
// many at once.
import { api, el, formatTime, mainContainer, notify, onLive, t as common } from './app.js';
import { ensureStyles, threadUrl, tr } from './operator-ui.js';

const STRINGS = {
  zh: {
    col_time: '时间',
    col_customer: '客户',
    col_message: '消息',
    col_kind: '原因',
    col_actions: '操作',
    select_all: '全选',
    select_one: '选择这条',
    retry: '重试',
    dismiss: '忽略',
    retry_selected: '重试所选（{n}）',
    dismiss_selected: '忽略所选（{n}）',
    kind_coze: 'AI 未能回答',
    kind_budget: '超出发送额度',
    kind_undeliverable: '无法送达',
    kind_other: '其他',
    operator_reply: '（人工回复）',
    no_text: '［{type}］',
    total: '共 {n} 条失败消息',
    none: '没有失败的消息。',
    retried: '已重试 {n} 条，将重新回答。',
    dismissed: '已忽略 {n} 条。',
    some_refused: '{n} 条未能重试：{reason}',
  },
  en: {
    col_time: 'Time',
    col_customer: 'Customer',
    col_message: 'Message',
    col_kind: 'Reason',
    col_actions: 'Actions',
    select_all: 'Select all',
    select_one: 'Select this one',
    retry: 'Retry',
    dismiss: 'Dismiss',
    retry_selected: 'Retry selected ({n})',
    dismiss_selected: 'Dismiss selected ({n})',
    kind_coze: 'The AI could not answer',
    kind_budget: 'Over the sending budget',
    kind_undeliverable: 'Could not be delivered',
    kind_other: 'Other',
    operator_reply: '(operator reply)',
    no_text: '[{type}]',
    total: '{n} failed message(s)',
    none: 'No failed messages.',
    retried: '{n} retried: they will be answered again.',
    dismissed: '{n} dismissed.',
    some_refused: '{n} could not be retried: {reason}',
  },
};
const t = (key, vars) => tr(STRINGS, key, vars);
ensureStyles();

const main = mainContainer();
const selected = new Set();
const selectAll = el('input', { type: 'checkbox', 'aria-label': t('select_all'), 'data-testid': 'select-all' });
const retryBtn = el('button', { type: 'button', class: 'btn primary', 'data-testid': 'retry-selected' });
const dismissBtn = el('button', { type: 'button', class: 'btn', 'data-testid': 'dismiss-selected' });
const status = el('p', { class: 'muted', role: 'status', 'data-testid': 'failed-status' }, common('loading'));
const body = el('tbody');
const table = el(
  'table',
  { class: 'table failed' },
  el(
    'thead',
    {},
    el(
      'tr',
      {},
      el('th', { scope: 'col' }, selectAll),
      ...['col_time', 'col_customer', 'col_message', 'col_kind', 'col_actions'].map((k) => el('th', { scope: 'col' }, t(k))),
    ),
  ),
  body,
);
main.append(el('div', { class: 'failed-actions' }, retryBtn, dismissBtn), el('div', { class: 'table-wrap' }, table), status);

let items = [];
let busy = false;

function syncButtons() {
  retryBtn.textContent = t('retry_selected', { n: selected.size });
  dismissBtn.textContent = t('dismiss_selected', { n: selected.size });
  retryBtn.disabled = dismissBtn.disabled = busy || selected.size === 0;
  selectAll.checked = items.length > 0 && selected.size === items.length;
}

function row(item) {
  const box = el('input', {
    type: 'checkbox',
    'aria-label': t('select_one'),
    checked: selected.has(item.msgid),
    onchange: (e) => {
      if (e.target.checked) selected.add(item.msgid);
      else selected.delete(item.msgid);
      syncButtons();
    },
  });
  const message = item.text ?? t('no_text', { type: item.msgtype });
  return el(
    'tr',
    { 'data-msgid': item.msgid },
    el('td', { 'data-label': t('select_one') }, box),
    el('td', { 'data-label': t('col_time') }, formatTime(item.failedAt)),
    el(
      'td',
      { 'data-label': t('col_customer') },
      el('a', { href: threadUrl(item.openKfId, item.externalUserId), class: 'mono' }, item.externalUserId),
    ),
    el('td', { 'data-label': t('col_message') }, item.origin === 0 ? `${t('operator_reply')} ${message}` : message),
    el(
      'td',
      { 'data-label': t('col_kind') },
      el('div', { class: 'failed-kind' }, t(`kind_${item.kind}`)),
      el('div', { class: 'failed-reason' }, item.reason),
    ),
    el(
      'td',
      { 'data-label': t('col_actions') },
      el('button', { type: 'button', class: 'btn', onclick: () => retry([item.msgid]) }, t('retry')),
      ' ',
      el('button', { type: 'button', class: 'btn', onclick: () => dismiss([item.msgid]) }, t('dismiss')),
    ),
  );
}

async function load() {
  const data = await api('/api/failed?limit=200', { quiet: true }).catch(() => null);
  if (!data) return;
  items = data.items;
  for (const id of [...selected]) if (!items.some((i) => i.msgid === id)) selected.delete(id);
  body.replaceChildren(...items.map(row));
  status.textContent = data.total ? t('total', { n: data.total }) : t('none');
  syncButtons();
}

async function retry(msgids) {
  if (busy) return;
  busy = true;
  syncButtons();
  try {
    const { results } = await api('/api/failed/retry', { method: 'POST', body: { msgids } });
    const ok = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok);
    for (const r of ok) selected.delete(r.msgid);
    if (refused.length) notify(t('some_refused', { n: refused.length, reason: refused[0].message }));
    else notify(t('retried', { n: ok.length }), 'info');
  } catch {
    // api() showed the reason
  } finally {
    busy = false;
    await load();
  }
}

async function dismiss(msgids) {
  if (busy) return;
  busy = true;
  syncButtons();
  try {
    const { dismissed } = await api('/api/failed/dismiss', { method: 'POST', body: { msgids } });
    for (const id of msgids) selected.delete(id);
    notify(t('dismissed', { n: dismissed }), 'info');
  } catch {
    // api() showed the reason
  } finally {
    busy = false;
    await load();
  }
}

selectAll.addEventListener('change', () => {
  if (selectAll.checked) for (const i of items) selected.add(i.msgid);
  else selected.clear();
  for (const box of body.querySelectorAll('input[type=checkbox]')) box.checked = selectAll.checked;
  syncButtons();
});
retryBtn.addEventListener('click', () => retry([...selected]));
dismissBtn.addEventListener('click', () => dismiss([...selected]));

// A message failing or being answered elsewhere shows here without a reload (one refetch per burst).
let pending;
onLive((evt) => {
  if (evt.type !== 'message' || pending) return;
  pending = setTimeout(() => {
    pending = undefined;
    if (!busy) load();
  }, 500);
});

load();
