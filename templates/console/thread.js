// One customer's thread: their messages, the bot's answers part by part as sent, servicer and
// operator messages, events; each with its state, time and, for a failure, the reason. It reads
// the thread again when the server announces a change for this customer (onLive).
import { api, base, el, formatTime, onLive, useStrings } from './app.js';
import { COMMON_STRINGS, avatar, displayName, eventText, flagBadge, messageText, modeBadge } from './conv-common.js';
import { MEDIA_STRINGS, downloadLink, imageBlock, transcriptLine } from './thread-media.js';

const STRINGS = {
  zh: {
    ...COMMON_STRINGS.zh,
    ...MEDIA_STRINGS.zh,
    back: '← 全部会话',
    older: '加载更早的消息',
    account: '客服账号',
    customer_id: '客户 ID',
    budget: '本轮已回复 {used}/5 条',
    window_closed: '客户超过 48 小时未发消息，无法再主动回复',
    by_ai: 'AI 回复',
    by_servicer: '人工客服 {who}',
    by_operator: '控制台 {who}',
    welcome: '欢迎语',
    handoff_part: '转给人工客服',
    image_part: '[图片] {url}',
    voice_part: '[语音] {text}',
    unsent: '未发送',
    s_received: '等待回复',
    s_answered: '已生成回复，待发送',
    s_sending: '发送中',
    s_done: '已回复',
    s_skipped: '未回复',
    s_failed: '失败',
    s_cancelled: '已取消',
    took: '用时 {s} 秒',
    attempts: '已尝试 {n} 次',
    empty_thread: '还没有消息',
  },
  en: {
    ...COMMON_STRINGS.en,
    ...MEDIA_STRINGS.en,
    back: '← All conversations',
    older: 'Load earlier messages',
    account: 'Account',
    customer_id: 'Customer id',
    budget: '{used}/5 replies used for the latest message',
    window_closed: 'The customer has been silent for 48 h: no more replies can be sent',
    by_ai: 'AI answer',
    by_servicer: 'Servicer {who}',
    by_operator: 'Console {who}',
    welcome: 'Welcome',
    handoff_part: 'Handed to a human servicer',
    image_part: '[image] {url}',
    voice_part: '[voice] {text}',
    unsent: 'not sent',
    s_received: 'waiting for a reply',
    s_answered: 'answer ready, not sent yet',
    s_sending: 'sending',
    s_done: 'answered',
    s_skipped: 'not answered',
    s_failed: 'failed',
    s_cancelled: 'cancelled',
    took: 'took {s} s',
    attempts: '{n} attempts',
    empty_thread: 'No messages yet',
  },
};
const t = useStrings({ zh: STRINGS.zh, en: STRINGS.en });

const root = document.getElementById('thread');
const kf = root.dataset.openKfid;
const user = root.dataset.externalUserid;
const head = el('div', { class: 'thread-head' });
const older = el('button', { type: 'button', class: 'btn thread-older', hidden: true, onclick: () => loadOlder() }, t('older'));
const list = el('ol', { class: 'thread-list', 'aria-live': 'polite' });
const status = el('p', { class: 'muted', role: 'status' }, t('loading'));
root.append(el('p', {}, el('a', { href: base || '/' }, t('back'))), head, older, list, status);

// The operator panel (take over, reply) is another module; the thread works without it.
import(`${base}/assets/operator-panel.js`).catch(() => {});

let customer;
let items = [];
let more = false;

const when = (ms) => el('time', { datetime: new Date(ms).toISOString() }, formatTime(ms));

function renderHead() {
  const c = customer;
  const closed = c.lastCustomerAt && Date.now() - c.lastCustomerAt > 48 * 3600_000;
  head.replaceChildren(
    avatar(c, 56),
    el(
      'div',
      {},
      el('h2', { class: 'who-name' }, displayName(c)),
      el(
        'div',
        { class: 'meta' },
        modeBadge(c.mode),
        ...c.flags.map(flagBadge),
        el('span', { class: 'muted' }, closed ? t('window_closed') : t('budget', { used: c.budgetUsed })),
      ),
      el(
        'div',
        { class: 'meta muted' },
        el('span', {}, `${t('customer_id')}: `, el('span', { class: 'mono' }, c.externalUserId)),
        el('span', {}, `${t('account')}: `, el('span', { class: 'mono' }, c.openKfId)),
      ),
    ),
  );
  document.title = `${displayName(c)} · wxcoze`;
}

/** The state line under a message: state, timing, and why it failed or was not answered (unless said above). */
function stateLine(item, { note = true } = {}) {
  const bits = [t(`s_${item.state}`)];
  if (item.state === 'done' && item.origin === 3) {
    const s = Math.max(0, Math.round((item.updatedAt - item.sendTime * 1000) / 1000));
    bits.push(t('took', { s }));
  }
  if (item.attempts > 1) bits.push(t('attempts', { n: item.attempts }));
  if (item.note && note) bits.push(item.note);
  return el('span', { class: `state ${item.state}` }, bits.join(' · '));
}

function partBubble(part, sent) {
  const body = [];
  if (part.kind === 'image') body.push(t('image_part', { url: part.content }));
  else if (part.kind === 'voice') body.push(t('voice_part', { text: part.content }));
  else body.push(part.content ?? '');
  const bubble = el('div', { class: `bubble${sent ? '' : ' unsent'}` }, ...body);
  if (part.buttons?.length) bubble.append(el('div', { class: 'buttons' }, ...part.buttons.map((b) => el('span', {}, b))));
  return bubble;
}

/** The answer stored for a row, part by part; the parts not (yet) sent are dimmed. */
function answer(item, cls, by) {
  const out = [];
  item.parts.forEach((part, i) => {
    const sent = i < item.partsSent;
    if (part.kind === 'handoff') {
      out.push(el('li', { class: 'msg sys' }, el('div', { class: 'bubble' }, t('handoff_part'))));
      return;
    }
    out.push(
      el(
        'li',
        { class: `msg out ${cls}` },
        el('span', { class: 'by' }, part.kind === 'welcome' ? t('welcome') : by, ' · ', when(item.updatedAt), sent ? '' : ` · ${t('unsent')}`),
        partBubble(part, sent),
      ),
    );
  });
  return out;
}

/**
 * What a message says: text as text; an image as its thumbnail (fetched when in view); a voice,
 * video or file as its label and a download link (a file with its name when known).
 */
function messageBody(item) {
  const type = item.msgtype;
  if (typeof item.payload?.[type]?.media_id !== 'string') return [messageText(item)];
  const link = (label) => downloadLink(kf, user, item.seq, label);
  switch (type) {
    case 'image':
      return [imageBlock(kf, user, item.seq)];
    case 'voice':
      return [t('m_voice'), ' ', link(t('m_download_voice'))];
    case 'video':
      return [t('m_video'), ' ', link(t('m_download_video'))];
    case 'file':
      return [`${t('m_file')} ${item.mediaFilename ?? ''}`.trim(), ' ', link(t('m_download_file'))];
    default:
      return [messageText(item)];
  }
}

function render(item) {
  const p = item.payload ?? {};
  const at = item.sendTime * 1000;
  if (item.origin === 3) {
    // A voice's line under it says why it has no transcript: the state line need not repeat it.
    const voice = item.msgtype === 'voice';
    return [
      el(
        'li',
        { class: 'msg in', dataset: { msgid: item.msgid, seq: item.seq } },
        el('span', { class: 'by' }, displayName(customer), ' · ', when(at)),
        el('div', { class: 'bubble' }, ...messageBody(item)),
        voice ? transcriptLine(item) : null,
        stateLine(item, { note: !voice || Boolean(item.transcript) }),
      ),
      ...(item.parts ? answer(item, 'ai', t('by_ai')) : []),
    ];
  }
  if (item.origin === 5)
    return [
      el(
        'li',
        { class: 'msg out servicer', dataset: { msgid: item.msgid, seq: item.seq } },
        el('span', { class: 'by' }, t('by_servicer', { who: p.servicer_userid ?? '' }), ' · ', when(at)),
        el('div', { class: 'bubble' }, ...messageBody(item)),
      ),
    ];
  if (item.origin === 0) {
    // An operator's reply from the console (helper C's rows): its one text part, sent or not.
    const who = p.operator ?? '';
    return item.parts ? answer(item, 'operator', t('by_operator', { who })).concat(item.state === 'failed' ? [el('li', { class: 'msg out' }, stateLine(item))] : []) : [];
  }
  // Events (origin 4) and anything else: one system line, then what was sent for it (a welcome).
  const text = item.msgtype === 'event' ? eventText(p.event ?? {}) : messageText(item);
  return [
    el('li', { class: 'msg sys', dataset: { msgid: item.msgid } }, el('div', { class: 'bubble' }, text, ' · ', when(at)), item.state === 'failed' ? stateLine(item) : null),
    ...(item.parts ? answer(item, 'ai', t('by_ai')) : []),
  ];
}

function renderAll() {
  const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
  list.replaceChildren(...items.flatMap(render));
  older.hidden = !more;
  status.textContent = items.length ? '' : t('empty_thread');
  if (atBottom) window.scrollTo(0, document.body.scrollHeight);
}

async function fetchPage(before, limit) {
  const q = new URLSearchParams({ kf, user, limit: String(limit) });
  if (before) q.set('before', String(before));
  return api(`/api/thread?${q}`);
}

/** The newest messages again (as many as are shown, so earlier pages stay). */
async function refresh() {
  const res = await fetchPage(undefined, Math.min(500, Math.max(100, items.length)));
  customer = res.customer;
  const oldest = res.items[0]?.seq;
  const kept = oldest === undefined ? [] : items.filter((i) => i.seq < oldest);
  items = [...kept, ...res.items];
  if (!kept.length) more = res.more;
  renderHead();
  renderAll();
}

async function loadOlder() {
  older.disabled = true;
  try {
    const res = await fetchPage(items[0]?.seq, 100);
    items = [...res.items, ...items];
    more = res.more;
    const h = document.body.scrollHeight;
    renderAll();
    window.scrollTo(0, window.scrollY + document.body.scrollHeight - h);
  } finally {
    older.disabled = false;
  }
}

let pending;
let running = Promise.resolve();
onLive((e) => {
  if (e.openKfId !== kf || e.externalUserId !== user || pending) return;
  pending = setTimeout(() => {
    pending = undefined;
    running = running.then(refresh).catch(() => {});
  }, 200);
});

try {
  await refresh();
  window.scrollTo(0, document.body.scrollHeight);
} catch {
  status.textContent = '';
}
