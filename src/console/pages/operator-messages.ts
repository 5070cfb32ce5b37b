import type { RefusalCode } from '../../operator/refusal.js';
import type { Lang } from '../i18n.js';

/** How the console says each refusal of an operator's action: what went wrong and what to do. */
export const REFUSALS: Record<RefusalCode, { status: number; zh: string; en: string }> = {
  human_mode: {
    status: 409,
    zh: '该会话已转给企业微信的人工客服（service_state/trans），已离开接口的服务范围，控制台无法发送。请在企业微信客户端里回复；那边的会话结束后，AI 会自动恢复接待。',
    en: "This chat was handed to a WeCom servicer (service_state/trans): it left the API's reach, so the console cannot send to it. Reply in the WeCom app; the AI serves the customer again once that session ends.",
  },
  not_taken_over: {
    status: 409,
    zh: '当前由 AI 接待这位客户。请先点击“接管”，再发送回复。',
    en: 'The AI is serving this customer. Click "Take over" first, then send your reply.',
  },
  taken_over: {
    status: 409,
    zh: '这个会话已由人工接管，而重试需要 AI 回答。请先“交还 AI”，或者直接自己回复客户。',
    en: 'An operator has this chat, and a retry needs the AI to answer. Hand it back to the AI first, or reply to the customer yourself.',
  },
  budget_spent: {
    status: 409,
    zh: '客户最后一条消息之后可发的 5 条消息已经用完（企业微信的限制）。客户再发来消息后才能继续回复。',
    en: "The 5 messages WeCom allows after the customer's last message are used. You can reply again once the customer writes.",
  },
  window_closed: {
    status: 409,
    zh: '距客户最后一条消息已超过 48 小时（或客户从未发过消息），企业微信不再允许发送。客户再发来消息后才能回复。',
    en: "48 hours have passed since the customer's last message (or they never wrote), so WeCom allows no more messages. You can reply once the customer writes again.",
  },
  empty_text: {
    status: 400,
    zh: '回复内容是空的，请先输入内容。',
    en: 'The reply is empty. Type something first.',
  },
  too_long: {
    status: 400,
    zh: '回复太长：一条消息最多 2048 字节（约 680 个汉字）。请分成几条发送。',
    en: 'The reply is too long: one message holds at most 2,048 bytes (about 680 Chinese characters). Send it in several parts.',
  },
  bad_action_id: {
    status: 400,
    zh: '这个请求无效。请刷新页面后再试。',
    en: 'This request is not valid. Reload the page and try again.',
  },
  not_found: {
    status: 404,
    zh: '找不到这条消息。请刷新页面。',
    en: 'That message was not found. Reload the page.',
  },
  not_failed: {
    status: 409,
    zh: '这条消息已经不是失败状态（可能刚被重试过）。请刷新页面查看。',
    en: 'That message is no longer failed (it may have just been retried). Reload the page to see it.',
  },
  welcome_expired: {
    status: 409,
    zh: '欢迎语只能在客户进入会话后 20 秒内发送，无法重试。可以忽略这条。',
    en: 'A welcome can only be sent within 20 seconds of the customer entering, so it cannot be retried. Dismiss it.',
  },
};

export function refusalText(code: RefusalCode, lang: Lang): string {
  return REFUSALS[code][lang];
}
