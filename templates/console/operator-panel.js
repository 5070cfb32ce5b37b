// The operator's panel under a conversation: who serves the customer (AI, an operator, waiting in
// the queue, or a WeCom servicer), Take over / Hand back, the reply box, and WeCom's budget left
// (5 messages per customer message, 48 hours since their last one). Mounts itself into
// <div id="operator-panel" data-open-kfid data-external-userid> (the thread page provides it).
import { api, ApiError, el, formatTime, notify, onLive } from './app.js';
import { ensureStyles, newActionId, tr } from './operator-ui.js';

const STRINGS = {
  zh: {
    mode_ai: 'AI 接待中',
    mode_console: '人工接管中',
    mode_waiting: '排队等待人工',
    mode_human: '已转企业微信客服',
    take_over: '接管',
    hand_back: '交还 AI',
    send: '发送',
    sending: '发送中…',
    placeholder: '输入回复，按“发送”发给客户',
    budget: '还可发送 {left}/5 条 · 回复窗口 {time} 关闭',
    budget_spent: '5 条消息已用完，等客户再发消息后才能回复 · 窗口 {time} 关闭',
    window_closed: '距客户最后一条消息已超过 48 小时（或客户从未发消息），暂时无法发送',
    why_human:
      '这位客户已转给企业微信的人工客服（service_state/trans），会话已离开接口的服务范围：控制台只能查看，无法发送。请在企业微信客户端里回复；那边的会话结束后 AI 会恢复接待。',
    why_ai: 'AI 正在接待。点击“接管”后 AI 暂停，由你在这里回复。',
    why_waiting: '客户正在等待人工。点击“接管”或直接回复即可开始接待。',
    taken_over: '已接管：AI 已暂停。',
    taken_over_cancelled: '已接管：AI 已暂停，{n} 条尚未发出的 AI 回答已取消。',
    handed_back: '已交还 AI：客户的下一条消息由 AI 回答。',
    sent: '已发送。',
    label: '回复内容',
  },
  en: {
    mode_ai: 'AI answering',
    mode_console: 'Taken over',
    mode_waiting: 'Waiting for an operator',
    mode_human: 'With a WeCom servicer',
    take_over: 'Take over',
    hand_back: 'Hand back to AI',
    send: 'Send',
    sending: 'Sending…',
    placeholder: 'Type a reply and press Send',
    budget: '{left}/5 messages left · the reply window closes {time}',
    budget_spent: 'The 5 messages are used; you can reply once the customer writes again · the window closes {time}',
    window_closed: "More than 48 hours since the customer's last message (or they never wrote): nothing can be sent now",
    why_human:
      "This customer was handed to a WeCom servicer (service_state/trans): the chat left the API's reach, so the console can only show it, not send. Reply in the WeCom app; the AI serves again once that session ends.",
    why_ai: 'The AI is answering. Take over to pause it and reply here yourself.',
    why_waiting: 'The customer is waiting for an operator. Take over, or just reply, to serve them.',
    taken_over: 'Taken over: the AI is paused.',
    taken_over_cancelled: 'Taken over: the AI is paused; {n} AI answer(s) not yet sent were cancelled.',
    handed_back: "Handed back: the AI answers the customer's next message.",
    sent: 'Sent.',
    label: 'Reply',
  },
};
const t = (key, vars) => tr(STRINGS, key, vars);

export function mountOperatorPanel(root) {
  ensureStyles();
  const who = { openKfId: root.dataset.openKfid, externalUserId: root.dataset.externalUserid };
  if (!who.openKfId || !who.externalUserId) return;
  root.classList.add('op-panel');
  root.setAttribute('aria-live', 'polite');

  const badge = el('span', { class: 'op-mode', 'data-testid': 'op-mode' });
  const takeOverBtn = el('button', { type: 'button', class: 'btn primary', 'data-testid': 'take-over' }, t('take_over'));
  const handBackBtn = el('button', { type: 'button', class: 'btn', 'data-testid': 'hand-back' }, t('hand_back'));
  const budget = el('span', { class: 'op-budget', 'data-testid': 'op-budget' });
  const why = el('p', { class: 'op-why', 'data-testid': 'op-why' });
  const text = el('textarea', { 'aria-label': t('label'), placeholder: t('placeholder'), maxlength: '2000', 'data-testid': 'reply-text' });
  const sendBtn = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'reply-send' }, t('send'));
  const form = el('form', { class: 'op-reply' }, text, sendBtn);
  root.replaceChildren(el('div', { class: 'op-head' }, badge, takeOverBtn, handBackBtn, budget), why, form);

  let control;
  // One id per intent to send: kept until that reply is accepted, so a double click or a request
  // resent after a network failure is one message; a new one once it went through.
  let actionId = newActionId();
  let busy = false;

  function render(c) {
    control = c;
    root.dataset.mode = c.mode;
    badge.className = `op-mode mode-${c.mode}`;
    badge.textContent = t(`mode_${c.mode}`);
    takeOverBtn.hidden = !(c.mode === 'ai' || c.mode === 'waiting');
    handBackBtn.hidden = !(c.mode === 'console' || c.mode === 'waiting');
    const b = c.budget;
    const time = b.windowClosesAt ? formatTime(b.windowClosesAt) : '';
    budget.textContent = !b.windowOpen ? t('window_closed') : b.left > 0 ? t('budget', { left: b.left, time }) : t('budget_spent', { time });
    budget.classList.toggle('spent', !b.windowOpen || b.left <= 0);
    why.textContent = c.mode === 'human' ? t('why_human') : c.mode === 'ai' ? t('why_ai') : c.mode === 'waiting' ? t('why_waiting') : '';
    why.hidden = !why.textContent;
    const canSend = (c.mode === 'console' || c.mode === 'waiting') && b.windowOpen && b.left > 0;
    form.hidden = c.mode === 'human' || c.mode === 'ai';
    text.disabled = !canSend;
    sendBtn.disabled = !canSend || busy;
  }

  async function refresh() {
    const c = await api(`/api/chat/control?${new URLSearchParams(who)}`, { quiet: true }).catch(() => null);
    if (c) render(c);
  }

  async function act(path, okText) {
    busy = true;
    takeOverBtn.disabled = handBackBtn.disabled = true;
    try {
      const r = await api(path, { method: 'POST', body: who });
      render(r.control);
      notify(typeof okText === 'function' ? okText(r) : okText, 'info');
    } catch {
      // api() showed the reason
    } finally {
      busy = false;
      takeOverBtn.disabled = handBackBtn.disabled = false;
      if (control) render(control);
    }
  }

  takeOverBtn.addEventListener('click', () =>
    act('/api/chat/take-over', (r) => (r.cancelled ? t('taken_over_cancelled', { n: r.cancelled }) : t('taken_over'))),
  );
  handBackBtn.addEventListener('click', () => act('/api/chat/hand-back', t('handed_back')));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) return; // a second click while the first is on its way: the same id anyway
    busy = true;
    sendBtn.disabled = true;
    sendBtn.textContent = t('sending');
    try {
      const r = await api('/api/chat/reply', { method: 'POST', body: { ...who, actionId, text: text.value } });
      actionId = newActionId();
      text.value = '';
      render(r.control);
      notify(t('sent'), 'info');
    } catch (err) {
      // Refused (budget, window, mode): the reason is shown; a network failure keeps the id, so
      // sending again cannot make it two.
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) actionId = newActionId();
    } finally {
      busy = false;
      sendBtn.textContent = t('send');
      if (control) render(control);
    }
  });

  onLive((evt) => {
    if (evt.openKfId === who.openKfId && evt.externalUserId === who.externalUserId) refresh();
  });
  return refresh();
}

for (const root of document.querySelectorAll('#operator-panel')) mountOperatorPanel(root);
