// The settings page: what an owner changes without a terminal. Every value is checked by the
// server with the config file's own rules; a saved change applies to the next message on every
// instance. Secrets are listed masked and are changed only in the config file.
import { api, base, csrfToken, el, formatTime, mainContainer, notify, useStrings } from './app.js';

const STRINGS = {
  zh: {
    defaults: '所有客服账号（默认）',
    defaults_help: '每个客服账号都用这里的值，除非在下面单独修改。',
    account: '客服账号 {name}',
    f_welcomeText: '欢迎语',
    h_welcomeText: '客户进入会话时发送；留空则不发送。',
    f_welcomeMenu: '欢迎语下的按钮',
    h_welcomeMenu: '用逗号分隔，最多 10 个，例如：营业时间,门店地址',
    f_handoffKeywords: '转人工关键词',
    h_handoffKeywords: '客户消息包含其中任一词时转人工，用逗号分隔。',
    f_handoffText: '转人工提示语',
    h_handoffText: '转人工之前发给客户。',
    f_handoffServicer: '转给哪位接待人员',
    h_handoffServicer: '接待人员的企业微信 userid；留空则进入排队。',
    f_handoffTo: '转人工去向',
    h_handoffTo: '企业微信：交给企业微信里的接待人员；控制台：在本控制台接待。',
    o_wecom: '企业微信',
    o_console: '控制台',
    o_true: '开',
    o_false: '关',
    f_waitNotice: '“正在查询”提示',
    h_waitNotice: '扣子超过设定时间仍未回答时，先发一条提示（每条消息最多一次，且只在还留有回答名额时）。',
    f_waitNoticeMs: '提示前等待（毫秒）',
    h_waitNoticeMs: '例如 8000 即 8 秒。',
    f_waitNoticeText: '提示文字',
    h_waitNoticeText: '例如：正在为您查询，请稍候…',
    f_survey: '满意度评价',
    h_survey: '会话结束时发一次评分菜单，顾客的选择计入“图表”页。',
    f_surveyText: '评价问题',
    h_surveyText: '评分按钮上方的文字。',
    f_botId: '智能体 ID',
    h_botId: '这个账号使用的扣子智能体；留空则用全局设置。',
    f_workflowId: '对话流 ID',
    h_workflowId: '使用对话流时填写（与智能体 ID 二选一）。',
    f_appId: '应用 ID',
    h_appId: '对话流所属应用的 ID。',
    f_quietHours: '休息时间',
    h_quietHours: '例如 22:00-08:00，这段时间 AI 不回复；留空表示全天回复。',
    f_quietText: '休息时间提示语',
    h_quietText: '休息时间内发给客户（每位客户每段时间只发一次）。',
    from_file: '来自配置文件',
    from_console: '已在控制台修改（{time}，{who}）',
    file_value: '配置文件的值：{value}',
    empty: '（空）',
    reset: '恢复为配置文件的值',
    save: '保存',
    saving: '保存中…',
    saved: '已保存，下一条消息起生效。',
    nothing: '没有修改。',
    invalid: '有设置不正确，未保存。请按提示修改。',
    secrets: '密钥（只能在配置文件中修改）',
    not_set: '未设置',
    contact: '联系链接与二维码',
    contact_help: '放在网站或海报上，客户扫码即可咨询。来源标记（可选）会在客户进入会话时带回，用于区分渠道。',
    scene: '来源标记',
    get_link: '生成链接',
    download: '下载二维码（SVG）',
    copy: '复制链接',
    copied: '已复制',
    unsaved: '有未保存的修改',
  },
  en: {
    defaults: 'All kf accounts (defaults)',
    defaults_help: 'Every kf account uses these values unless changed for it below.',
    account: 'Kf account {name}',
    f_welcomeText: 'Welcome text',
    h_welcomeText: 'Sent when a customer enters the chat; empty: none.',
    f_welcomeMenu: 'Buttons under the welcome',
    h_welcomeMenu: 'Separated by commas, at most 10, e.g. Opening hours,Address',
    f_handoffKeywords: 'Handoff words',
    h_handoffKeywords: 'A customer message containing any of them goes to a human. Separate with commas.',
    f_handoffText: 'Handoff text',
    h_handoffText: 'Sent to the customer before the handoff.',
    f_handoffServicer: 'Hand to this servicer',
    h_handoffServicer: "The servicer's WeCom userid; empty: the queue.",
    f_handoffTo: 'Hand off to',
    h_handoffTo: 'WeCom: a servicer in the WeCom app; Console: answered in this console.',
    o_wecom: 'WeCom',
    o_console: 'Console',
    o_true: 'On',
    o_false: 'Off',
    f_waitNotice: '"Working on it" notice',
    h_waitNotice: 'When Coze has not answered within the time below, send a short notice first (at most once per message, only when the budget leaves room for the answer).',
    f_waitNoticeMs: 'Wait before the notice (ms)',
    h_waitNoticeMs: 'e.g. 8000 for 8 seconds.',
    f_waitNoticeText: 'Notice text',
    h_waitNoticeText: 'e.g. 正在为您查询，请稍候…',
    f_survey: 'Satisfaction survey',
    h_survey: 'Send a rating menu once when a conversation ends; the choices are counted on the Charts page.',
    f_surveyText: 'Survey question',
    h_surveyText: 'The text above the rating buttons.',
    f_botId: 'Bot id',
    h_botId: "This account's Coze bot; empty: the global one.",
    f_workflowId: 'Chatflow id',
    h_workflowId: 'For a chatflow instead of a bot (set one of the two).',
    f_appId: 'App id',
    h_appId: "The chatflow's app id.",
    f_quietHours: 'Quiet hours',
    h_quietHours: 'e.g. 22:00-08:00: the AI does not answer then; empty: always answer.',
    f_quietText: 'Quiet-hours text',
    h_quietText: 'Sent during quiet hours, once per customer per interval.',
    from_file: 'From the config file',
    from_console: 'Changed in the console ({time}, {who})',
    file_value: 'Config file: {value}',
    empty: '(empty)',
    reset: 'Use the config file’s value',
    save: 'Save',
    saving: 'Saving…',
    saved: 'Saved. It applies from the next message.',
    nothing: 'Nothing changed.',
    invalid: 'Some settings are not valid; nothing was saved.',
    secrets: 'Secrets (changed only in the config file)',
    not_set: 'not set',
    contact: 'Contact link and QR code',
    contact_help: 'Put it on a website or a poster: customers scan it to chat. The optional source tag comes back when they enter, to tell channels apart.',
    scene: 'Source tag',
    get_link: 'Get the link',
    download: 'Download the QR code (SVG)',
    copy: 'Copy the link',
    copied: 'Copied',
    unsaved: 'Unsaved changes',
  },
};
const t = useStrings(STRINGS);

const main = mainContainer();
/** scope → key → { input, field, value at load } */
const inputs = new Map();
const status = el('span', { role: 'status', class: 'muted' });

const show = (v) => (Array.isArray(v) ? v.join(',') : v === null || v === undefined || v === '' ? '' : String(v));

function fieldRow(scope, info, fv) {
  const id = `f-${scope}-${info.key}`.replace(/[^a-zA-Z0-9_-]/g, '_');
  const text = show(fv.value);
  let input;
  if (info.kind === 'choice') {
    input = el('select', { id, name: info.key }, ...(info.choices ?? []).map((c) => el('option', { value: c, selected: c === text }, t(`o_${c}`) === `o_${c}` ? c : t(`o_${c}`))));
  } else if (info.kind === 'longtext') {
    input = el('textarea', { id, name: info.key, rows: 2 }, text);
  } else {
    input = el('input', {
      id,
      name: info.key,
      value: text,
      inputmode: info.kind === 'id' ? 'numeric' : undefined,
      placeholder: info.kind === 'quiet' ? '22:00-08:00' : undefined,
      autocomplete: 'off',
    });
  }
  const problem = el('div', { class: 'problem', role: 'alert', hidden: true });
  const from =
    fv.source === 'console'
      ? el('div', { class: 'from console' }, t('from_console', { time: formatTime(fv.updatedAt), who: fv.updatedBy ?? '—' }), ' · ', t('file_value', { value: show(fv.fileValue) || t('empty') }))
      : el('div', { class: 'from' }, t('from_file'));
  const field = el('div', { class: 'field', 'data-key': info.key, 'data-scope': scope }, el('label', { for: id }, t(`f_${info.key}`)), el('div', { class: 'help' }, t(`h_${info.key}`)), input, problem, from);
  if (fv.source === 'console')
    field.append(
      el('div', { class: 'field-actions' }, el('button', { type: 'button', class: 'btn', onclick: () => save([{ scope, key: info.key, value: null }]) }, t('reset'))),
    );
  const entry = { input, field, problem, initial: text, kind: info.kind };
  input.addEventListener('input', () => {
    field.classList.remove('invalid');
    problem.hidden = true;
    status.textContent = changes().length ? t('unsaved') : '';
  });
  if (!inputs.has(scope)) inputs.set(scope, new Map());
  inputs.get(scope).set(info.key, entry);
  return field;
}

function contactBlock(openKfId) {
  const scene = el('input', { name: 'scene', maxlength: 32, pattern: '[0-9A-Za-z_-]*', placeholder: 'poster', autocomplete: 'off' });
  const out = el('div', { class: 'contact' });
  const sceneId = `scene-${openKfId}`.replace(/[^a-zA-Z0-9_-]/g, '_');
  scene.id = sceneId;
  const get = async () => {
    const q = `openKfId=${encodeURIComponent(openKfId)}&scene=${encodeURIComponent(scene.value.trim())}`;
    try {
      const r = await api(`/api/contact?${q}`);
      const copy = el('button', { type: 'button', class: 'btn' }, t('copy'));
      copy.addEventListener('click', async () => {
        await navigator.clipboard?.writeText(r.url).catch(() => {});
        copy.textContent = t('copied');
      });
      out.replaceChildren(
        el('img', { src: `${base}/contact/qr.svg?${q}`, alt: r.url, 'data-testid': 'qr' }),
        el('div', {}, el('p', { class: 'link', 'data-testid': 'contact-url' }, r.url), el('p', { class: 'field-actions' }, copy, el('a', { class: 'btn', href: `${base}/contact/qr.svg?${q}&download=1` }, t('download')))),
      );
    } catch {
      // api() already told the operator.
    }
  };
  return el(
    'div',
    { class: 'field' },
    el('label', { for: sceneId }, t('contact')),
    el('div', { class: 'help' }, t('contact_help')),
    el('div', { class: 'field-actions' }, el('span', { class: 'muted' }, t('scene')), scene, el('button', { type: 'button', class: 'btn', onclick: get }, t('get_link'))),
    out,
  );
}

function render(view) {
  main.replaceChildren(...[...main.children].filter((n) => n.classList.contains('page-title')));
  inputs.clear();
  const fields = new Map(view.fields.map((f) => [f.key, f]));
  const form = el('form', { novalidate: true, onsubmit: (e) => (e.preventDefault(), save(changes())) });
  for (const s of view.scopes) {
    const isDefaults = s.scope === '*';
    const box = el(
      'details',
      { class: 'settings-scope', open: isDefaults || view.scopes.length <= 2, 'data-scope': s.scope },
      el('summary', {}, isDefaults ? t('defaults') : t('account', { name: s.name ? `${s.name}（${s.scope}）` : s.scope })),
      isDefaults ? el('p', { class: 'help muted' }, t('defaults_help')) : null,
      ...s.values.map((fv) => fieldRow(s.scope, fields.get(fv.key), fv)),
      isDefaults ? null : contactBlock(s.scope),
    );
    form.append(box);
  }
  form.append(el('div', { class: 'save-bar' }, el('button', { type: 'submit', class: 'btn primary' }, t('save')), status));
  main.append(form);
  main.append(
    el(
      'section',
      { class: 'settings-scope' },
      el('h2', { class: 'section-title' }, t('secrets')),
      el('div', { class: 'secret-list', 'data-testid': 'secrets' }, ...view.secrets.flatMap((x) => [el('span', { class: 'mono' }, x.env), el('span', { class: 'mono' }, x.set ? x.masked : t('not_set'))])),
    ),
  );
}

/** The fields whose text differs from what was loaded. */
function changes() {
  const out = [];
  for (const [scope, m] of inputs)
    for (const [key, e] of m) {
      const now = e.input.value;
      if (now.trim() !== e.initial.trim()) out.push({ scope, key, value: now });
    }
  return out;
}

async function save(list) {
  if (!list.length) {
    notify(t('nothing'), 'info');
    return;
  }
  status.textContent = t('saving');
  // fetch here rather than api(): a refusal carries each field's problem, shown beside the field.
  let res, data;
  try {
    res = await fetch(`${base}/api/settings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrfToken() },
      body: JSON.stringify({ changes: list }),
      credentials: 'same-origin',
    });
    data = await res.json().catch(() => null);
  } catch {
    status.textContent = '';
    notify(t('error_network'));
    return;
  }
  if (res.status === 401) {
    location.assign(`${base}/login?m=expired&next=${encodeURIComponent(location.pathname)}`);
    return;
  }
  status.textContent = '';
  if (res.ok) {
    notify(t('saved'), 'info');
    await load();
    return;
  }
  const problems = data?.error?.problems ?? [];
  notify(data?.error?.message ?? t('invalid'));
  for (const p of problems) {
    const e = inputs.get(p.scope)?.get(p.key);
    if (!e) continue;
    e.field.classList.add('invalid');
    e.problem.textContent = p.message;
    e.problem.hidden = false;
    e.field.closest('details')?.setAttribute('open', '');
  }
  if (problems[0]) inputs.get(problems[0].scope)?.get(problems[0].key)?.input.focus();
}

async function load() {
  try {
    render(await api('/api/settings'));
  } catch {
    // api() already told the operator.
  }
}

await load();
