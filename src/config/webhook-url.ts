/**
 * The alert webhook's URL (WXCOZE_ALERT_WEBHOOK): which format it takes, and how it is shown. The
 * URL is a secret — a group robot's key lets anyone post into the group — so logs, doctor and the
 * console only ever show it masked.
 */

/** The path of WeCom's group robot (群机器人) webhook. */
export const WECOM_ROBOT_PATH = '/cgi-bin/webhook/send';

/**
 * `auto`: the group robot's text message for qyapi.weixin.qq.com or the robot's path (a proxy in
 * front of it, the fakes), else JSON.
 */
export function webhookFormat(url: string | undefined, setting: 'auto' | 'wecom' | 'json'): 'wecom' | 'json' {
  if (setting !== 'auto') return setting;
  if (!url) return 'wecom';
  try {
    const u = new URL(url);
    return u.hostname === 'qyapi.weixin.qq.com' || u.pathname === WECOM_ROBOT_PATH ? 'wecom' : 'json';
  } catch {
    return 'json';
  }
}

/**
 * What may be printed of the URL: the robot's address with its key reduced to the last 4
 * characters (enough to tell two robots apart, never enough to post), or another webhook's origin
 * alone (its path or query may carry the token, as Slack's and Feishu's do).
 */
export function maskWebhookUrl(url: string | undefined): string {
  if (!url) return '';
  try {
    const u = new URL(url);
    if (u.pathname === WECOM_ROBOT_PATH) {
      const key = u.searchParams.get('key') ?? '';
      return `${u.origin}${u.pathname}?key=••••••${key.length >= 16 ? key.slice(-4) : ''}`;
    }
    return `${u.origin}/••••••`;
  } catch {
    return '••••••';
  }
}
