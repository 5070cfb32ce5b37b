/**
 * What is worth waking an owner for, each as a condition over facts wxcoze already has (the
 * probes, the store, the accounts' last pull errors, the disk, the public certificate). A
 * condition only says whether it holds now and, if so, what an owner reads: Chinese first (owners
 * read Chinese), English after, each with what to do. When to alert is the evaluator's business.
 */
import type { AlertsConfig } from '../../config/types.js';
import type { AlertInboxFacts } from '../../store/alert-types.js';
import type { ExplainedError } from '../health.js';

export type AlertId =
  | 'coze_auth'
  | 'coze_down'
  | 'wecom_ip'
  | 'wecom_forbidden'
  | 'failed_messages'
  | 'stalled'
  | 'handoff_waiting'
  | 'cert_expiry'
  | 'coze_token_expiry'
  | 'disk_full';

/** What a firing alert says: what is wrong and what to do, in both languages. */
export interface AlertText {
  zh: string;
  en: string;
  fixZh: string;
  fixEn: string;
}

/** How the Coze API answered its probe (GET /v1/users/me) this round. */
export type CozeProbe = { ok: true } | { ok: false; code?: number; kind?: string; message: string };

export interface CertReading {
  domain: string;
  issuer: string;
  validTo: Date;
  msLeft: number;
  /** Publicly trusted (Node's verdict with the system CAs only): Caddy's internal CA is not. */
  authorized: boolean;
}

export interface DiskReading {
  dir: string;
  usedPercent: number;
  freeBytes: number;
}

/**
 * Everything one round looks at. A field left undefined could not be read this round: the
 * conditions that need it say nothing (their state stays as it was).
 */
export interface AlertFacts {
  now: number;
  inbox?: AlertInboxFacts;
  cozeProbe?: CozeProbe;
  /** Kf accounts whose last pull failed, with the error explained. */
  accountErrors?: { openKfId: string; name?: string; error: ExplainedError }[];
  /** Customers handed to the console and waiting for an operator. */
  waiting?: { count: number; oldestSince: number | null };
  /** When a console page was last open on any instance (ms), null when not lately. */
  consoleSeenAt?: number | null;
  /** Null: no publicly trusted certificate to watch (no domain, plain HTTP, Caddy's internal CA). */
  cert?: CertReading | null;
  /** Null: the token's end is not known. */
  cozeTokenExpiresAt?: number | null;
  disk?: DiskReading;
  /** Where the console is, for the texts. */
  consoleUrl: string;
}

/** Holds with this text, does not hold, or cannot be told this round (undefined). */
export type Observation = { active: true; text: AlertText } | { active: false } | undefined;

export interface AlertCondition {
  id: AlertId;
  /** A short name, Chinese / English. */
  titleZh: string;
  titleEn: string;
  /** How long it must hold before it fires (0: at once); the thresholds in `observe` come on top. */
  holdMs(c: AlertsConfig): number;
  observe(f: AlertFacts, c: AlertsConfig): Observation;
}

/** Failed messages count within this window; the alert clears when it has seen none for as long. */
export const FAILED_WINDOW_MS = 30 * 60_000;
/** A Coze outcome this recent still tells whether Coze works. */
export const COZE_OUTCOME_WINDOW_MS = 10 * 60_000;
/** A console page that wrote its "seen" mark within this is open. */
export const CONSOLE_SEEN_FRESH_MS = 45_000;

const COZE_AUTH_KINDS = new Set(['auth', 'permission', 'not_published']);
const COZE_AUTH_CODES = new Set([4100, 4101, 4015]);
/** `failed: coze <kind> <code>: <message>` as ask-coze writes a Coze failure into the message's note. */
const COZE_NOTE = /^failed: coze (\w+)(?: (\d+))?: ?(.*)$/s;

/** A wait as an owner reads it: "5 分钟" / "5 min" (seconds below a minute, for short thresholds). */
const waitZh = (ms: number) =>
  ms < 60_000 ? `${Math.round(ms / 1000)} 秒` : `${Math.round(ms / 60_000)} 分钟`;
const waitEn = (ms: number) =>
  ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
const days = (ms: number) => Math.max(0, Math.floor(ms / 86_400_000));
const date = (d: Date | number) => new Date(d).toISOString().slice(0, 10);
const short = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;

/** The Coze failure this round: the probe's, else the newest failed message's (when it failed on Coze). */
function cozeFailure(f: AlertFacts): { kind: string; code?: number; message: string } | undefined {
  if (f.cozeProbe && !f.cozeProbe.ok)
    return {
      kind: f.cozeProbe.kind ?? 'error',
      ...(f.cozeProbe.code ? { code: f.cozeProbe.code } : {}),
      message: f.cozeProbe.message,
    };
  const o = f.inbox?.cozeOutcome;
  if (o && !o.ok && o.note) {
    const m = COZE_NOTE.exec(o.note);
    if (m) return { kind: m[1]!, ...(m[2] ? { code: Number(m[2]) } : {}), message: m[3] ?? '' };
  }
  return undefined;
}

const isAuth = (e: { kind: string; code?: number }) =>
  COZE_AUTH_KINDS.has(e.kind) || (e.code !== undefined && COZE_AUTH_CODES.has(e.code));

const what = (e: { code?: number; message: string }) =>
  short(`${e.code ? `${e.code} ` : ''}${e.message}`.trim() || 'no answer');

/** Coze's answer only counts when both the probe and the messages could be read. */
const cozeKnown = (f: AlertFacts) => f.cozeProbe !== undefined && f.inbox !== undefined;

function accountsWith(f: AlertFacts, errcode: number) {
  return (f.accountErrors ?? []).filter((a) => a.error.errcode === errcode);
}
const accountNames = (list: { openKfId: string; name?: string }[]) =>
  list.map((a) => (a.name ? `${a.name} (${a.openKfId})` : a.openKfId)).join(', ');

export const CONDITIONS: AlertCondition[] = [
  {
    id: 'coze_auth',
    titleZh: 'Coze 拒绝了令牌',
    titleEn: 'Coze refuses the token',
    holdMs: () => 0,
    observe(f) {
      if (!cozeKnown(f)) return undefined;
      const e = cozeFailure(f);
      if (!e || !isAuth(e)) return { active: false };
      return {
        active: true,
        text: {
          zh: `Coze 拒绝了 wxcoze 的调用（${what(e)}）：客户的消息得不到回答。`,
          en: `Coze refuses wxcoze's calls (${what(e)}): customers get no answers.`,
          fixZh:
            '4100：令牌无效、已过期或不属于该区域——在 Coze「API 管理 → 个人访问令牌」新建令牌，更新 COZE_API_TOKEN 后重启；4101：令牌缺少权限或工作空间；4015：机器人未发布到 API 渠道。然后运行 `wxcoze doctor`。',
          fixEn:
            '4100: the token is invalid, expired or from the other region — create a new one (Coze → API 管理 → 个人访问令牌), set COZE_API_TOKEN and restart; 4101: the token lacks a permission or workspace; 4015: the bot is not published to the API channel. Then run `wxcoze doctor`.',
        },
      };
    },
  },
  {
    id: 'coze_down',
    titleZh: 'Coze 无法访问或持续出错',
    titleEn: 'Coze unreachable or failing',
    holdMs: (c) => c.cozeDownMs,
    observe(f, c) {
      if (!cozeKnown(f)) return undefined;
      const e = cozeFailure(f);
      if (!e || isAuth(e)) return { active: false };
      return {
        active: true,
        text: {
          zh: `Coze 无法访问或持续出错已超过 ${waitZh(c.cozeDownMs)}（${what(e)}）：客户收到的是致歉消息。`,
          en: `Coze has been unreachable or failing for more than ${waitEn(c.cozeDownMs)} (${what(e)}): customers get the apology.`,
          fixZh:
            '检查本机到 Coze 的网络（COZE_API_BASE）与 Coze 的服务状态、账户余额；运行 `wxcoze doctor`；控制台「健康」页显示最近一次检查。',
          fixEn:
            "Check this server's network to Coze (COZE_API_BASE), Coze's status and the account's balance; run `wxcoze doctor`; the console's Health page shows the latest check.",
        },
      };
    },
  },
  {
    id: 'wecom_ip',
    titleZh: '企业微信拒绝了本机 IP（60020）',
    titleEn: 'WeCom refuses this server’s IP (60020)',
    holdMs: () => 0,
    observe(f) {
      if (!f.accountErrors) return undefined;
      const hit = accountsWith(f, 60020);
      if (!hit.length) return { active: false };
      const ips = [...new Set(hit.map((a) => a.error.egressIp).filter(Boolean))] as string[];
      const ip = ips.length ? ips.join(', ') : '（企业微信未给出）';
      return {
        active: true,
        text: {
          zh: `企业微信拒绝了来自 IP ${ip} 的调用（60020），消息无法拉取和回复。客服账号：${accountNames(hit)}。`,
          en: `WeCom refuses calls from IP ${ips.join(', ') || '(not given)'} (60020): messages are neither pulled nor answered. Accounts: ${accountNames(hit)}.`,
          fixZh: `在企业微信管理后台「应用管理 → 本应用 → 企业可信IP」中加入 ${ip}；之后会自动恢复。\`wxcoze doctor\` 可复查。`,
          fixEn: `Add ${ips.join(', ') || "this server's egress IP"} under 应用管理 → your app → 企业可信IP in the WeCom admin console; wxcoze recovers by itself. \`wxcoze doctor\` checks it.`,
        },
      };
    },
  },
  {
    id: 'wecom_forbidden',
    titleZh: '企业微信接口无权限（48002）',
    titleEn: 'WeCom API not permitted (48002)',
    holdMs: () => 0,
    observe(f) {
      if (!f.accountErrors) return undefined;
      const hit = accountsWith(f, 48002);
      if (!hit.length) return { active: false };
      return {
        active: true,
        text: {
          zh: `企业微信不允许本应用调用微信客服接口（48002），消息无法拉取和回复。客服账号：${accountNames(hit)}。`,
          en: `WeCom does not let this app call the customer-service API (48002): messages are neither pulled nor answered. Accounts: ${accountNames(hit)}.`,
          fixZh:
            '在企业微信管理后台「微信客服 → 可调用接口的应用」中选择本应用，并让它管理这些客服账号；然后运行 `wxcoze doctor`。',
          fixEn:
            'In the WeCom admin console pick this app under 微信客服 → 可调用接口的应用 and let it manage these kf accounts; then run `wxcoze doctor`.',
        },
      };
    },
  },
  {
    id: 'failed_messages',
    titleZh: '有客户消息最终失败',
    titleEn: 'Customer messages failed',
    holdMs: () => 0,
    observe(f, c) {
      if (!f.inbox) return undefined;
      const { count, lastNote } = f.inbox.failed;
      if (count < c.failedMessages) return { active: false };
      const why = lastNote ? short(lastNote) : '';
      return {
        active: true,
        text: {
          zh: `近 30 分钟有 ${count} 条客户消息最终失败${why ? `（最近一条：${why}）` : ''}。`,
          en: `${count} customer message${count === 1 ? '' : 's'} failed for good in the last 30 min${why ? ` (latest: ${why})` : ''}.`,
          fixZh: `在控制台「失败消息」页查看原因、重试或忽略：${f.consoleUrl}/failed`,
          fixEn: `See why, retry or dismiss them on the console's Failed page: ${f.consoleUrl}/failed`,
        },
      };
    },
  },
  {
    id: 'stalled',
    titleZh: '消息处理停滞',
    titleEn: 'Message pipeline stalled',
    holdMs: () => 0,
    observe(f, c) {
      if (!f.inbox) return undefined;
      const at = f.inbox.oldestPendingAt;
      if (at === null || f.now - at < c.pendingMs) return { active: false };
      return {
        active: true,
        text: {
          zh: `最早一条未回复的客户消息已等待 ${waitZh(f.now - at)}：消息处理可能卡住了。`,
          en: `The oldest unanswered customer message has waited ${waitEn(f.now - at)}: the pipeline may be stuck.`,
          fixZh: '运行 `wxcoze status` 和 `wxcoze doctor`，查看 `wxcoze logs`；控制台「健康」页显示积压。',
          fixEn:
            "Run `wxcoze status` and `wxcoze doctor`, read `wxcoze logs`; the console's Health page shows the backlog.",
        },
      };
    },
  },
  {
    id: 'handoff_waiting',
    titleZh: '客户在等人工，控制台无人在线',
    titleEn: 'Customers wait for an operator, nobody is in the console',
    holdMs: () => 0,
    observe(f, c) {
      if (!f.waiting || f.consoleSeenAt === undefined) return undefined;
      const { count, oldestSince } = f.waiting;
      const watched = f.consoleSeenAt !== null && f.now - f.consoleSeenAt < CONSOLE_SEEN_FRESH_MS;
      if (!count || oldestSince === null || f.now - oldestSince < c.handoffMs || watched)
        return { active: false };
      return {
        active: true,
        text: {
          zh: `${count} 位客户转人工后在等待（最早的已等 ${waitZh(f.now - oldestSince)}），目前没有人打开控制台。`,
          en: `${count} customer${count === 1 ? '' : 's'} handed over ${count === 1 ? 'is' : 'are'} waiting (the first for ${waitEn(f.now - oldestSince)}) and nobody has the console open.`,
          fixZh: `打开控制台接待：${f.consoleUrl}`,
          fixEn: `Open the console to take them: ${f.consoleUrl}`,
        },
      };
    },
  },
  {
    id: 'cert_expiry',
    titleZh: 'HTTPS 证书即将过期',
    titleEn: 'HTTPS certificate expiring',
    holdMs: () => 0,
    observe(f, c) {
      if (f.cert === undefined) return undefined;
      // Only a publicly trusted certificate: Caddy's internal CA renews its 12-hour ones itself.
      if (f.cert === null || !f.cert.authorized || f.cert.msLeft >= c.certMs) return { active: false };
      const { domain, issuer, validTo, msLeft } = f.cert;
      return {
        active: true,
        text: {
          zh: `${domain} 的证书（${issuer}）将在 ${days(msLeft)} 天后（${date(validTo)}）过期，Caddy 没有按时续期。过期后企业微信无法回调。`,
          en: `The certificate of ${domain} (${issuer}) expires in ${days(msLeft)} days (${date(validTo)}) and Caddy has not renewed it. WeCom cannot call back once it expires.`,
          fixZh:
            '查看 `journalctl -u caddy`（常见原因：80/443 端口不通、DNS 不再指向本机）；`wxcoze doctor` 的 TLS 检查可复查。',
          fixEn:
            "Read `journalctl -u caddy` (usually ports 80/443 are closed or DNS no longer points here); doctor's TLS check confirms the fix.",
        },
      };
    },
  },
  {
    id: 'coze_token_expiry',
    titleZh: 'Coze 令牌即将过期',
    titleEn: 'Coze token expiring',
    holdMs: () => 0,
    observe(f, c) {
      if (f.cozeTokenExpiresAt === undefined) return undefined;
      const at = f.cozeTokenExpiresAt;
      if (at === null || at - f.now >= c.tokenMs) return { active: false };
      return {
        active: true,
        text: {
          zh: `Coze 令牌将在 ${days(at - f.now)} 天后（${date(at)}）过期，过期后客户的消息得不到回答。`,
          en: `The Coze token expires in ${days(at - f.now)} days (${date(at)}); after that customers get no answers.`,
          fixZh:
            '在 Coze「API 管理 → 个人访问令牌」新建令牌，更新 COZE_API_TOKEN 后重启，再运行 `wxcoze doctor`。',
          fixEn:
            'Create a new token (Coze → API 管理 → 个人访问令牌), set COZE_API_TOKEN, restart, then run `wxcoze doctor`.',
        },
      };
    },
  },
  {
    id: 'disk_full',
    titleZh: '磁盘快满了',
    titleEn: 'Disk nearly full',
    holdMs: () => 0,
    observe(f, c) {
      if (!f.disk) return undefined;
      const { dir, usedPercent, freeBytes } = f.disk;
      if (usedPercent < c.diskPercent) return { active: false };
      return {
        active: true,
        text: {
          zh: `数据目录 ${dir} 所在磁盘已用 ${usedPercent}%（剩余 ${gib(freeBytes)}）。写满后新消息无法保存。`,
          en: `The disk of the data directory ${dir} is ${usedPercent}% full (${gib(freeBytes)} free). Once full, new messages cannot be stored.`,
          fixZh: '清理旧日志和备份（`wxcoze logs` 显示日志位置），或扩容磁盘。',
          fixEn: 'Remove old logs and backups (`wxcoze logs` shows where the logs are), or grow the disk.',
        },
      };
    },
  },
];
