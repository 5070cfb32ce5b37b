/**
 * The words of an alert, its recovery, and `wxcoze alerts test`'s sample: Chinese first (owners
 * read Chinese), English after, what to do in both. Plain text, so a WeChat user in the group
 * reads it as well as a WeCom one (the robot's markdown shows only in WeCom).
 */
import type { AlertMessage } from './channel.js';
import type { AlertCondition, AlertText } from './conditions.js';

/** What the store keeps of a firing alert (alert_states.detail), for its recovery message. */
export interface StoredDetail {
  text: AlertText;
  /** When the condition was first seen (ms). */
  since: number;
  /** Set when it resolved: how long it lasted (ms). */
  lastedMs?: number;
}

export function parseDetail(json: string | null): StoredDetail | undefined {
  if (!json) return undefined;
  try {
    const d = JSON.parse(json) as StoredDetail;
    return d && typeof d === 'object' && d.text ? d : undefined;
  } catch {
    return undefined;
  }
}

function duration(ms: number): { zh: string; en: string } {
  const min = Math.round(ms / 60_000);
  if (min < 1) return { zh: '不到 1 分钟', en: 'under a minute' };
  if (min < 120) return { zh: `约 ${min} 分钟`, en: `about ${min} min` };
  const h = Math.round(min / 60);
  return { zh: `约 ${h} 小时`, en: `about ${h} h` };
}

export function firingMessage(c: AlertCondition, d: StoredDetail, instanceId: string): AlertMessage {
  const t = d.text;
  return {
    alert: c.id,
    state: 'firing',
    title: `${c.titleZh} / ${c.titleEn}`,
    text: [
      `【wxcoze 告警】${c.titleZh}`,
      t.zh,
      `处理：${t.fixZh}`,
      '',
      `[wxcoze alert] ${c.titleEn}`,
      t.en,
      `Fix: ${t.fixEn}`,
      '',
      `（${instanceId}）`,
    ].join('\n'),
    fields: {
      what: { zh: t.zh, en: t.en },
      fix: { zh: t.fixZh, en: t.fixEn },
      since: new Date(d.since).toISOString(),
      instance: instanceId,
    },
  };
}

export function resolvedMessage(
  c: AlertCondition,
  d: StoredDetail | undefined,
  instanceId: string,
): AlertMessage {
  const lasted = d?.lastedMs !== undefined ? duration(d.lastedMs) : undefined;
  return {
    alert: c.id,
    state: 'resolved',
    title: `${c.titleZh} / ${c.titleEn}`,
    text: [
      `【wxcoze 已恢复】${c.titleZh}`,
      `已恢复正常${lasted ? `（持续${lasted.zh}）` : ''}。`,
      '',
      `[wxcoze resolved] ${c.titleEn}`,
      `Back to normal${lasted ? ` after ${lasted.en}` : ''}.`,
      '',
      `（${instanceId}）`,
    ].join('\n'),
    fields: {
      ...(d ? { since: new Date(d.since).toISOString() } : {}),
      ...(d?.lastedMs !== undefined ? { lastedMs: d.lastedMs } : {}),
      instance: instanceId,
    },
  };
}

/** What `wxcoze alerts test` sends: it says it is a test and what real alerts look like. */
export function sampleMessage(instanceId: string): AlertMessage {
  return {
    alert: 'test',
    state: 'test',
    title: '测试告警 / Test alert',
    text: [
      '【wxcoze 测试】告警通道可用',
      '这是 `wxcoze alerts test` 发送的示例。出现问题时（Coze 鉴权失败或无法访问、企业微信 60020/48002、消息最终失败、消息处理停滞、证书或令牌即将过期、磁盘快满、客户转人工无人接待），这里会收到一条告警，恢复时再收到一条。',
      '',
      '[wxcoze test] The alert channel works',
      'A sample sent by `wxcoze alerts test`. When something goes wrong this group gets one alert, and one more when it clears.',
      '',
      `（${instanceId}）`,
    ].join('\n'),
    fields: { instance: instanceId },
  };
}
