// The health page: every figure a tile whose colour says whether it is fine (owners would rather
// look than read). Refreshes every 15 s.
import { api, el, formatTime, lang, mainContainer, useStrings } from './app.js';

const STRINGS = {
  zh: {
    overview: '总览',
    accounts: '客服账号',
    backlog: '消息队列',
    last24h: '过去 24 小时的消息',
    instances: '运行实例',
    wecom: '企业微信',
    coze: '扣子（Coze）',
    store: '数据库',
    cache: '缓存',
    version: '版本',
    uptime: '已运行',
    ok: '正常',
    failing: '异常',
    token_until: '凭证有效至 {time}',
    checked: '{ago}检查',
    last_callback: '最近回调',
    last_pull: '最近拉取',
    last_message: '最近消息',
    never: '从未',
    ago_s: '{n} 秒前',
    ago_m: '{n} 分钟前',
    ago_h: '{n} 小时前',
    ago_d: '{n} 天前',
    just_now: '刚刚',
    d: '{n} 天',
    h: '{n} 小时',
    m: '{n} 分钟',
    error_title: '最近的错误',
    add_ip: '请把这个 IP 加入企业可信 IP：',
    st_received: '待回答',
    st_answered: '待发送',
    st_sending: '发送中',
    st_done: '已回答',
    st_skipped: '已跳过',
    st_failed: '失败',
    st_cancelled: '已撤回',
    pending: '待处理 {n} 条',
    alive: '在线',
    gone: '已停止',
    stale: '无心跳',
    this_instance: '（本实例）',
    started: '启动于 {time}',
    errcode: '错误码 {code}',
    backup: '备份',
    backup_daily: '每天 {hour}:00 自动备份',
    backup_off: '每日备份已关闭（WXCOZE_BACKUP_KEEP=0）',
    backup_mysql: '请使用数据库自带的备份',
  },
  en: {
    overview: 'Overview',
    accounts: 'Kf accounts',
    backlog: 'Message queue',
    last24h: 'Messages in the last 24 hours',
    instances: 'Instances',
    wecom: 'WeCom',
    coze: 'Coze',
    store: 'Database',
    cache: 'Cache',
    version: 'Version',
    uptime: 'Up for',
    ok: 'OK',
    failing: 'Failing',
    token_until: 'token valid until {time}',
    checked: 'checked {ago}',
    last_callback: 'Last callback',
    last_pull: 'Last pull',
    last_message: 'Last message',
    never: 'never',
    ago_s: '{n} s ago',
    ago_m: '{n} min ago',
    ago_h: '{n} h ago',
    ago_d: '{n} d ago',
    just_now: 'just now',
    d: '{n} d',
    h: '{n} h',
    m: '{n} min',
    error_title: 'Latest error',
    add_ip: 'Add this IP to the trusted IPs (企业可信IP):',
    st_received: 'to answer',
    st_answered: 'to send',
    st_sending: 'sending',
    st_done: 'answered',
    st_skipped: 'skipped',
    st_failed: 'failed',
    st_cancelled: 'recalled',
    pending: '{n} pending',
    alive: 'running',
    gone: 'stopped',
    stale: 'no heartbeat',
    this_instance: ' (this one)',
    started: 'started {time}',
    errcode: 'errcode {code}',
    backup: 'Backup',
    backup_daily: 'daily from {hour}:00',
    backup_off: 'daily backup off (WXCOZE_BACKUP_KEEP=0)',
    backup_mysql: "use the database's own backups",
  },
};
const t = useStrings(STRINGS);

const STATE_COLOURS = {
  received: '#f0a500',
  answered: '#ffcc66',
  sending: '#7cb7ff',
  done: '#07a35a',
  skipped: '#b0b8c1',
  failed: '#c62828',
  cancelled: '#8e7cc3',
};

function ago(ms, now) {
  if (ms === null || ms === undefined) return t('never');
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 5) return t('just_now');
  if (s < 60) return t('ago_s', { n: s });
  if (s < 3600) return t('ago_m', { n: Math.round(s / 60) });
  if (s < 86400) return t('ago_h', { n: Math.round(s / 3600) });
  return t('ago_d', { n: Math.round(s / 86400) });
}

function duration(ms) {
  const m = Math.floor(ms / 60000);
  if (m >= 1440) return `${t('d', { n: Math.floor(m / 1440) })} ${t('h', { n: Math.floor((m % 1440) / 60) })}`;
  if (m >= 60) return `${t('h', { n: Math.floor(m / 60) })} ${t('m', { n: m % 60 })}`;
  return t('m', { n: m });
}

/** A tile: label, big value, small line, coloured by `state` ('ok' | 'warn' | 'bad' | ''). */
function tile(label, value, sub, state = '', testid) {
  return el(
    'div',
    { class: `tile ${state}`, 'data-testid': testid },
    el('div', { class: 'label' }, state ? el('span', { class: `dot ${state}`, 'aria-hidden': 'true' }) : null, label),
    el('div', { class: 'value' }, value),
    sub ? el('div', { class: 'sub' }, sub) : null,
  );
}

/** A WeCom error explained: the owner's words first, the egress IP to add when it is 60020. */
function explained(e) {
  if (!e) return null;
  const meaning = (lang === 'zh' ? e.meaningZh : undefined) ?? e.meaning ?? e.text;
  return el(
    'div',
    { class: 'explain', role: 'note', 'data-testid': 'wecom-error' },
    el('strong', {}, t('error_title'), e.errcode !== undefined ? ` · ${t('errcode', { code: e.errcode })}` : ''),
    el('p', {}, meaning),
    e.egressIp ? el('p', {}, t('add_ip'), ' ', el('span', { class: 'ip' }, e.egressIp)) : null,
    el('p', { class: 'muted mono' }, e.text),
  );
}

/** How fresh a time is: green within `okMs`, amber within `warnMs`, red after (or never). */
const freshness = (at, now, okMs, warnMs) => (at === null ? 'warn' : now - at < okMs ? 'ok' : now - at < warnMs ? 'warn' : 'bad');

/**
 * The last backup: green within a day and a bit, amber up to two days (or never yet, or the daily one
 * off), red beyond (`wxcoze doctor` warns from two days too). MySQL's backups are the database's own.
 */
function backupTile(b, now) {
  if (!b) return null;
  if (b.kind === 'mysql') return tile(t('backup'), 'MySQL', t('backup_mysql'), '', 'tile-backup');
  const sub = b.daily ? t('backup_daily', { hour: b.hour }) : t('backup_off');
  const state = !b.daily || b.lastAt === null ? 'warn' : freshness(b.lastAt, now, 26 * 3600_000, 48 * 3600_000);
  return tile(t('backup'), ago(b.lastAt, now), sub, state, 'tile-backup');
}

function render(r) {
  const main = mainContainer();
  const now = r.now;
  const probe = (p, label, id) =>
    tile(
      label,
      p.ok ? t('ok') : t('failing'),
      p.ok
        ? p.validUntil
          ? t('token_until', { time: formatTime(p.validUntil) })
          : t('checked', { ago: ago(p.checkedAt, now) })
        : ((lang === 'zh' ? p.error?.meaningZh : undefined) ?? p.error?.meaning ?? p.error?.text ?? ''),
      p.ok ? 'ok' : 'bad',
      id,
    );
  const pendingN = ['received', 'answered', 'sending'].reduce((n, s) => n + (r.backlog[s] ?? 0), 0);
  main.append(
    el('h2', { class: 'section-title' }, t('overview')),
    el(
      'div',
      { class: 'tiles' },
      probe(r.wecom, t('wecom'), 'tile-wecom'),
      probe(r.coze, t('coze'), 'tile-coze'),
      tile(t('store'), r.store.kind, r.store.ok ? t('ok') : r.store.error, r.store.ok ? 'ok' : 'bad', 'tile-store'),
      tile(t('cache'), r.cache.kind, r.cache.ok ? t('ok') : r.cache.error, r.cache.ok ? 'ok' : 'bad', 'tile-cache'),
      tile(t('backlog'), String(pendingN), t('pending', { n: pendingN }), pendingN > 100 ? 'warn' : 'ok', 'tile-backlog'),
      backupTile(r.backup, now),
      tile(t('version'), r.version, r.instanceId, '', 'tile-version'),
      tile(t('uptime'), duration(r.uptimeMs), t('started', { time: formatTime(r.startedAt) }), '', 'tile-uptime'),
    ),
  );
  if (r.wecom.error) main.append(explained(r.wecom.error));

  main.append(el('h2', { class: 'section-title' }, t('accounts')));
  for (const a of r.accounts) {
    const pullState = a.lastError ? 'bad' : freshness(a.lastPullAt, now, 24 * 3600_000, 3 * 24 * 3600_000);
    main.append(
      el(
        'section',
        { class: 'account-card', 'data-testid': `account-${a.openKfId}` },
        el('h3', {}, el('span', { class: `dot ${pullState}`, 'aria-hidden': 'true' }), a.name ?? a.openKfId),
        a.name ? el('div', { class: 'muted mono' }, a.openKfId) : null,
        el(
          'div',
          { class: 'tiles' },
          tile(t('last_callback'), ago(a.lastCallbackAt, now), a.lastCallbackAt ? formatTime(a.lastCallbackAt) : '', freshness(a.lastCallbackAt, now, 24 * 3600_000, 3 * 24 * 3600_000)),
          tile(t('last_pull'), ago(a.lastPullAt, now), a.lastPullAt ? formatTime(a.lastPullAt) : '', pullState),
          tile(t('last_message'), ago(a.lastMessageAt, now), a.lastMessageAt ? formatTime(a.lastMessageAt) : '', a.lastMessageAt ? '' : 'warn'),
        ),
        explained(a.lastError),
      ),
    );
  }

  // The last 24 hours' messages as one bar: each state's share, with its count in the legend
  // (waiting messages older than that are in the queue tile above).
  const day = r.last24h;
  const states = Object.keys(STATE_COLOURS).filter((s) => (day[s] ?? 0) > 0);
  const total = states.reduce((n, s) => n + day[s], 0);
  main.append(
    el('h2', { class: 'section-title' }, t('last24h')),
    el(
      'div',
      { class: 'stackbar', role: 'img', 'aria-label': states.map((s) => `${t(`st_${s}`)} ${day[s]}`).join(', '), 'data-testid': 'last24h' },
      ...states.map((s) => el('span', { style: `flex:${day[s] / Math.max(1, total)};background:${STATE_COLOURS[s]}` })),
    ),
    el(
      'div',
      { class: 'legend' },
      ...Object.keys(STATE_COLOURS).map((s) =>
        el('span', {}, el('i', { style: `background:${STATE_COLOURS[s]}` }), `${t(`st_${s}`)} ${day[s] ?? 0}`),
      ),
    ),
  );

  main.append(
    el('h2', { class: 'section-title' }, t('instances')),
    el(
      'div',
      { class: 'tiles' },
      ...r.instances.map((i) =>
        tile(
          i.instanceId + (i.instanceId === r.instanceId && i.alive ? t('this_instance') : ''),
          i.alive ? t('alive') : i.gone ? t('gone') : t('stale'),
          `${i.host} · pid ${i.pid} · ${ago(i.beatAt, now)}`,
          i.alive ? 'ok' : i.gone ? '' : 'bad',
        ),
      ),
    ),
  );
}

async function load() {
  try {
    render(await api('/api/health'));
  } catch {
    // api() already told the operator.
  }
}

await load();
setInterval(load, 15000);
