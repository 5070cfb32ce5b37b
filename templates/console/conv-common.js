// What the conversations list and a thread share: how a customer, a mode, a flag and a message
// read. Everything becomes text nodes (el() from app.js): a message like <img src=x onerror=…>
// is shown as those characters, never parsed.
import { el, t } from './app.js';

export const COMMON_STRINGS = {
  zh: {
    mode_ai: 'AI 接待',
    mode_human: '企业微信人工',
    mode_console: '控制台人工',
    mode_waiting: '等待人工',
    flag_handoff: '要求人工',
    flag_failed: '有失败消息',
    flag_budget: '回复条数已用完',
    m_image: '[图片]',
    m_voice: '[语音]',
    m_video: '[视频]',
    m_file: '[文件]',
    m_location: '[位置]',
    m_link: '[链接]',
    m_miniprogram: '[小程序]',
    m_card: '[名片]',
    m_erased: '[内容已按保留期限删除]',
    m_menu: '[菜单]',
    m_event: '[事件]',
    m_other: '[{type} 消息]',
    ev_enter_session: '客户进入会话',
    ev_msg_send_fail: '消息发送失败（企业微信通知）',
    ev_servicer_status_change: '接待人员状态变更',
    ev_session_status_change: '会话状态变更',
    ev_user_recall_msg: '客户撤回了一条消息',
    ev_servicer_recall_msg: '接待人员撤回了一条消息',
    ev_other: '事件：{type}',
  },
  en: {
    mode_ai: 'AI',
    mode_human: 'WeCom servicer',
    mode_console: 'Console operator',
    mode_waiting: 'Waiting for a human',
    flag_handoff: 'Asked for a human',
    flag_failed: 'Failed message',
    flag_budget: 'Replies used up',
    m_image: '[image]',
    m_voice: '[voice]',
    m_video: '[video]',
    m_file: '[file]',
    m_location: '[location]',
    m_link: '[link]',
    m_miniprogram: '[mini program]',
    m_card: '[contact card]',
    m_erased: '[content erased: older than the retention period]',
    m_menu: '[menu]',
    m_event: '[event]',
    m_other: '[{type} message]',
    ev_enter_session: 'Customer entered the session',
    ev_msg_send_fail: 'A reply was not delivered (WeCom notice)',
    ev_servicer_status_change: 'Servicer status changed',
    ev_session_status_change: 'Session status changed',
    ev_user_recall_msg: 'The customer recalled a message',
    ev_servicer_recall_msg: 'A servicer recalled a message',
    ev_other: 'Event: {type}',
  },
};

/** The customer's name as shown: the WeChat nickname, else the id. */
export const displayName = (c) => c.nickname || c.externalUserId;

/**
 * The avatar: WeChat's https image (no referrer sent), else the name's first letter. The URL was
 * checked to be https when stored; it is checked again here before it becomes a src.
 */
export function avatar(c, size = 40) {
  const initial = el('span', { class: 'avatar initial', 'aria-hidden': 'true', style: `width:${size}px;height:${size}px` }, [...displayName(c)][0] ?? '?');
  if (typeof c.avatar !== 'string' || !c.avatar.startsWith('https://')) return initial;
  const img = el('img', { class: 'avatar', src: c.avatar, alt: '', width: size, height: size, referrerpolicy: 'no-referrer', loading: 'lazy', decoding: 'async' });
  img.addEventListener('error', () => img.replaceWith(initial));
  return img;
}

export const modeBadge = (mode) => el('span', { class: `badge mode-${mode}` }, t(`mode_${mode}`));
export const flagBadge = (flag) => el('span', { class: `badge flag flag-${flag}` }, t(`flag_${flag}`));

/** A sync_msg item (the stored payload) as one line of text. */
export function messageText(item) {
  const p = item.payload ?? {};
  // Retention (WXCOZE_RETENTION_DAYS) erased what was said; the row stays for the charts.
  if (p.erased === true) return t('m_erased');
  const type = item.msgtype;
  const body = p[type] ?? {};
  switch (type) {
    case 'text':
      return String(body.content ?? '');
    case 'image':
    case 'video':
      return t(`m_${type}`);
    case 'voice':
      // Its transcript, once the pipeline has it (inbox.transcript).
      return `${t('m_voice')} ${item.transcript ?? ''}`.trim();
    case 'file':
      // WeCom's message carries no name: the pipeline keeps the one media/get gave (inbox.media_filename).
      return `${t('m_file')} ${item.mediaFilename ?? body.filename ?? ''}`.trim();
    case 'location':
      return `${t('m_location')} ${[body.name, body.address].filter(Boolean).join(' ')}`.trim();
    case 'link':
      return `${t('m_link')} ${body.title ?? ''} ${body.url ?? ''}`.trim();
    case 'miniprogram':
      return `${t('m_miniprogram')} ${body.title ?? ''}`.trim();
    case 'business_card':
      return t('m_card');
    case 'msgmenu':
      return `${t('m_menu')} ${body.head_content ?? ''}`.trim();
    case 'event':
      return eventText(p.event ?? {});
    default:
      return t('m_other', { type });
  }
}

export function eventText(ev) {
  const type = String(ev.event_type ?? '');
  const label = t(`ev_${type}`);
  return label === `ev_${type}` ? t('ev_other', { type }) : label;
}

/** The newest thing said, for the list: an answer's first part when the row carries one. */
export function previewText(item) {
  if (item.parts?.length && item.origin !== 3) return item.parts.map((p) => p.content).join(' ');
  return messageText(item);
}
