/**
 * Where alerts go: a WeCom group robot (群机器人, `{"msgtype":"text","text":{"content":…}}`, text at
 * most 2048 bytes, 20 messages a minute per robot), or any webhook taking a JSON POST
 * (`{"alert","state":"firing"|"resolved",…}`). The URL carries the robot's key: it is never logged
 * nor put in an error; only `maskWebhookUrl` of it is shown.
 */
import { undici } from '../../net/undici.js';
import { maskWebhookUrl } from '../../config/webhook-url.js';
import { errCode } from '../../net/tls-cert.js';
import { cutToBytes } from '../../pipeline/reply.js';

/** The robot refuses a longer text (errcode 40058, "text.content exceed max length 2048"). */
export const ROBOT_TEXT_MAX_BYTES = 2048;
/** The robot's limit is 20 a minute; alerts keep to half, leaving room for whoever else posts there. */
export const SENDS_PER_MINUTE = 10;
const TIMEOUT_MS = 10_000;

/** One alert message, as both formats carry it. */
export interface AlertMessage {
  alert: string;
  state: 'firing' | 'resolved' | 'test';
  /** "中文 / English". */
  title: string;
  /** The whole text, Chinese first: what the robot shows, and `text` of the JSON. */
  text: string;
  /** Extra fields for the JSON format (what, fix, since, lastedMs, instance …). */
  fields: Record<string, unknown>;
}

export type SendResult =
  | { ok: true }
  | {
      ok: false;
      /** What went wrong, in words, safe to log (never the URL). */
      reason: string;
      /** The robot's errcode, when it answered with one. */
      errcode?: number;
      /** At least this long before trying again (the robot's rate limit). */
      retryAfterMs?: number;
    };

/** What the robot's errcodes mean for an owner, and what to do. */
export const ROBOT_ERRORS: Record<number, { zh: string; en: string }> = {
  93000: {
    zh: '机器人的 key 无效：机器人可能已被删除或移出群。请在群设置 → 群机器人中复制 Webhook 地址，更新 WXCOZE_ALERT_WEBHOOK。',
    en: "the robot's key is invalid: it may have been removed from the group. Copy the Webhook address again (群设置 → 群机器人) into WXCOZE_ALERT_WEBHOOK.",
  },
  45009: {
    zh: '机器人发送太频繁（每分钟最多 20 条），稍后会重试。',
    en: 'the robot is sending too often (at most 20 a minute); wxcoze tries again later.',
  },
  40058: {
    zh: '消息内容超长或格式不对（文本最多 2048 字节）。',
    en: 'the message is too long or malformed (text holds at most 2048 bytes).',
  },
  44004: { zh: '消息内容为空。', en: 'the message is empty.' },
};

export interface AlertChannelOptions {
  url: string;
  format: 'wecom' | 'json';
  timeoutMs?: number;
}

export class AlertChannel {
  constructor(private readonly o: AlertChannelOptions) {}

  /** The webhook as it may be shown (key masked). */
  get shown(): string {
    return maskWebhookUrl(this.o.url);
  }

  get format(): 'wecom' | 'json' {
    return this.o.format;
  }

  /** The request body for this message, in the channel's format. */
  body(m: AlertMessage): Record<string, unknown> {
    if (this.o.format === 'wecom')
      return { msgtype: 'text', text: { content: cutToBytes(m.text, ROBOT_TEXT_MAX_BYTES) } };
    return { source: 'wxcoze', alert: m.alert, state: m.state, title: m.title, text: m.text, ...m.fields };
  }

  /** One POST; never throws. */
  async send(m: AlertMessage): Promise<SendResult> {
    let status: number;
    let text: string;
    try {
      const { request } = await undici();
      const res = await request(this.o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(this.body(m)),
        headersTimeout: this.o.timeoutMs ?? TIMEOUT_MS,
        bodyTimeout: this.o.timeoutMs ?? TIMEOUT_MS,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      // undici's messages name no URL; the code alone is enough and certainly safe.
      const code = errCode(err) || (err as Error).name;
      return { ok: false, reason: `the webhook did not answer (${code})` };
    }
    if (status === 429) return { ok: false, reason: 'HTTP 429 (rate limited)', retryAfterMs: 60_000 };
    if (status < 200 || status > 299) return { ok: false, reason: `the webhook answered HTTP ${status}` };
    if (this.o.format === 'json') return { ok: true };
    return robotVerdict(text);
  }
}

/** The robot answers HTTP 200 with `{errcode, errmsg}`: 0 is delivered, anything else is not. */
function robotVerdict(text: string): SendResult {
  let body: { errcode?: unknown; errmsg?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return { ok: false, reason: 'the webhook did not answer like a WeCom group robot (no JSON)' };
  }
  const errcode = typeof body.errcode === 'number' ? body.errcode : NaN;
  if (errcode === 0) return { ok: true };
  if (!Number.isFinite(errcode))
    return { ok: false, reason: 'the webhook did not answer like a WeCom group robot (no errcode)' };
  // errmsg names no key (only a hint id and the caller's IP): safe to show, cut short.
  const errmsg = typeof body.errmsg === 'string' ? body.errmsg.split(',')[0]!.slice(0, 120) : '';
  const known = ROBOT_ERRORS[errcode];
  return {
    ok: false,
    errcode,
    reason: `errcode ${errcode}${errmsg ? ` (${errmsg})` : ''}${known ? `: ${known.en}` : ''}`,
    ...(errcode === 45009 ? { retryAfterMs: 60_000 } : {}),
  };
}
