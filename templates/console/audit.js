// The audit log page: who did what, when, to which customer.
import { api, el, formatTime, mainContainer, useStrings } from './app.js';

const STRINGS = {
  zh: {
    col_time: '时间',
    col_operator: '操作人',
    col_action: '操作',
    col_customer: '客户',
    col_detail: '详情',
    a_login: '登录',
    a_login_failed: '登录失败',
    a_logout: '退出登录',
  },
  en: {
    col_time: 'Time',
    col_operator: 'Operator',
    col_action: 'Action',
    col_customer: 'Customer',
    col_detail: 'Detail',
    a_login: 'Logged in',
    a_login_failed: 'Failed login',
    a_logout: 'Logged out',
  },
};
const t = useStrings(STRINGS);

const main = mainContainer();
const body = el('tbody');
const table = el(
  'table',
  { class: 'table audit' },
  el(
    'thead',
    {},
    el('tr', {}, ...['col_time', 'col_operator', 'col_action', 'col_customer', 'col_detail'].map((k) => el('th', { scope: 'col' }, t(k)))),
  ),
  body,
);
const status = el('p', { class: 'muted', role: 'status' }, t('loading'));
const more = el('button', { type: 'button', class: 'btn', hidden: true }, t('more'));
main.append(el('div', { class: 'table-wrap' }, table), status, more);

const actionLabel = (a) => {
  const label = t(`a_${a}`);
  return label === `a_${a}` ? a : label;
};

function detailText(detail) {
  if (!detail) return '';
  try {
    const d = JSON.parse(detail);
    if (d && typeof d === 'object') return Object.entries(d).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' · ');
  } catch {
    // plain text
  }
  return detail;
}

let before;
async function load() {
  more.disabled = true;
  try {
    const q = new URLSearchParams({ limit: '50' });
    if (before) q.set('before', String(before));
    const { entries, more: hasMore } = await api(`/api/audit?${q}`);
    for (const e of entries) {
      const customer = e.externalUserId ? `${e.externalUserId}` : '';
      body.append(
        el(
          'tr',
          { class: e.action === 'login_failed' ? 'warn' : undefined },
          el('td', { 'data-label': t('col_time') }, el('time', { datetime: new Date(e.at).toISOString() }, formatTime(e.at))),
          el('td', { 'data-label': t('col_operator') }, e.operator),
          el('td', { 'data-label': t('col_action') }, actionLabel(e.action)),
          el('td', { 'data-label': t('col_customer'), class: 'mono' }, customer),
          el('td', { 'data-label': t('col_detail'), class: 'detail' }, detailText(e.detail)),
        ),
      );
      before = e.id;
    }
    status.textContent = body.children.length ? '' : t('empty');
    more.hidden = !hasMore;
  } catch {
    status.textContent = '';
  } finally {
    more.disabled = false;
  }
}
more.addEventListener('click', load);
load();
