// The conversations list: every customer, latest activity first, with filters and search; it
// refetches itself when the server announces a change (onLive), so new messages appear without a reload.
import { api, base, el, formatTime, mainContainer, onLive, useStrings } from './app.js';
import { COMMON_STRINGS, avatar, displayName, flagBadge, modeBadge, previewText } from './conv-common.js';

const STRINGS = {
  zh: {
    ...COMMON_STRINGS.zh,
    search: '搜索',
    search_placeholder: '消息内容、昵称或客户 ID',
    all_accounts: '全部客服账号',
    all_modes: '全部接待方式',
    all_flags: '全部会话',
    needs_attention: '需要处理：',
    no_match: '没有符合条件的会话',
    none_yet: '还没有客户发来消息',
    list_label: '会话列表',
    you: 'AI',
  },
  en: {
    ...COMMON_STRINGS.en,
    search: 'Search',
    search_placeholder: 'Message text, nickname or customer id',
    all_accounts: 'All accounts',
    all_modes: 'Any mode',
    all_flags: 'All conversations',
    needs_attention: 'Needs attention:',
    no_match: 'No conversation matches',
    none_yet: 'No customer has written yet',
    list_label: 'Conversations',
    you: 'AI',
  },
};
const t = useStrings({ zh: STRINGS.zh, en: STRINGS.en });

const main = mainContainer();
const params = new URLSearchParams(location.search);
const search = el('input', { type: 'search', name: 'q', value: params.get('q') ?? '', placeholder: t('search_placeholder'), 'aria-label': t('search'), maxlength: 100 });
const account = el('select', { name: 'kf', 'aria-label': t('all_accounts') }, el('option', { value: '' }, t('all_accounts')));
const mode = el(
  'select',
  { name: 'mode', 'aria-label': t('all_modes') },
  el('option', { value: '' }, t('all_modes')),
  ...['ai', 'waiting', 'console', 'human'].map((m) => el('option', { value: m }, t(`mode_${m}`))),
);
const flag = el(
  'select',
  { name: 'flag', 'aria-label': t('all_flags') },
  el('option', { value: '' }, t('all_flags')),
  ...['handoff', 'failed', 'budget'].map((f) => el('option', { value: f }, t(`flag_${f}`))),
);
mode.value = params.get('mode') ?? '';
flag.value = params.get('flag') ?? '';
const form = el(
  'form',
  { class: 'conv-filters', role: 'search', onsubmit: (e) => (e.preventDefault(), reload()) },
  search,
  account,
  mode,
  flag,
  el('button', { type: 'submit', class: 'btn primary' }, t('search')),
);
for (const s of [account, mode, flag]) s.addEventListener('change', () => reload());
const list = el('ul', { class: 'conv-list', 'aria-label': t('list_label'), 'aria-live': 'polite' });
const status = el('p', { class: 'muted', role: 'status' }, t('loading'));
const more = el('button', { type: 'button', class: 'btn', hidden: true, onclick: () => load(false) }, t('more'));
main.append(form, list, status, more);

let shown = 0;
let before;
let loading;

function filters() {
  const q = new URLSearchParams();
  if (search.value.trim()) q.set('q', search.value.trim());
  if (account.value) q.set('kf', account.value);
  if (mode.value) q.set('mode', mode.value);
  if (flag.value) q.set('flag', flag.value);
  return q;
}

function row(c) {
  const href = `${base}/c/${encodeURIComponent(c.openKfId)}/${encodeURIComponent(c.externalUserId)}`;
  const last = c.last;
  const when = last.origin === 3 ? last.sendTime * 1000 : last.updatedAt;
  return el(
    'li',
    { class: `conv${c.flags.length ? ' attention' : ''}`, dataset: { user: c.externalUserId } },
    el(
      'a',
      { href, class: 'conv-link' },
      avatar(c, 44),
      el(
        'span',
        { class: 'conv-main' },
        el(
          'span',
          { class: 'conv-top' },
          el('span', { class: 'conv-name' }, displayName(c)),
          el('time', { class: 'conv-time muted', datetime: new Date(when).toISOString() }, formatTime(when)),
        ),
        el('span', { class: 'conv-last' }, last.origin === 3 ? '' : el('span', { class: 'who-said' }, `${t('you')}: `), previewText(last)),
        el(
          'span',
          { class: 'conv-badges' },
          modeBadge(c.mode),
          ...c.flags.map(flagBadge),
          c.nickname ? el('span', { class: 'conv-id mono muted' }, c.externalUserId) : null,
        ),
      ),
    ),
  );
}

/** first: start over (filters changed, or a live change: the pages already shown are read again). */
async function load(first) {
  if (loading) return loading;
  loading = (async () => {
    const q = filters();
    q.set('limit', String(first ? Math.min(200, Math.max(50, shown)) : 50));
    if (!first && before) q.set('before', String(before));
    try {
      const res = await api(`/api/conversations?${q}`);
      if (res.accounts) fillAccounts(res.accounts);
      const rows = res.items.map(row);
      if (first) {
        list.replaceChildren(...rows);
        shown = rows.length;
      } else {
        list.append(...rows);
        shown += rows.length;
      }
      if (res.items.length) before = res.items.at(-1).lastSeq;
      more.hidden = !res.more;
      status.textContent = shown ? '' : t([...q.keys()].some((k) => k !== 'limit') ? 'no_match' : 'none_yet');
    } catch {
      status.textContent = '';
    } finally {
      loading = undefined;
    }
  })();
  return loading;
}

function fillAccounts(ids) {
  const chosen = account.value || params.get('kf') || '';
  account.replaceChildren(el('option', { value: '' }, t('all_accounts')), ...ids.map((id) => el('option', { value: id }, id)));
  account.value = ids.includes(chosen) ? chosen : '';
}

function reload() {
  shown = 0;
  before = undefined;
  const q = filters();
  history.replaceState(null, '', q.toString() ? `?${q}` : location.pathname);
  return load(true);
}

// A burst of changes becomes one refetch; a change during a fetch is read by the next one.
let pending;
onLive(() => {
  if (pending) return;
  pending = setTimeout(async () => {
    await loading;
    pending = undefined;
    await load(true);
  }, 250);
});

await load(true);
