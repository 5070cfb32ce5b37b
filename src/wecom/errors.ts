/**
 * Error types for the WeCom HTTP API and readable meanings for its errcodes (docs/protocol.md §wecom-errcodes).
 * Callers branch on the class and on `errcode`; the errmsg text changes over time and is only for logs.
 */

/**
 * A reused send_msg `msgid` for the same open_kfid is refused by WeCom, but the errcode is not documented.
 * This is OUR choice (the fake answers it and the bridge treats it as "already sent"); if the real code
 * turns out different, change it here only.
 */
export const DUPLICATE_MSGID_ERRCODE = 95044;

/**
 * Everything wxcoze knows about a WeCom errcode, in one table:
 * - `meaning`: what it means and what to do, for logs and `wxcoze doctor`;
 * - `undeliverable`: send_msg answered it, so this reply can never be delivered (recorded with this
 *   reason, not retried);
 * - `alreadyHanded`: trans service_state refused because the session already left the AI;
 * - `tokenRejected`: the access_token was revoked or expired: invalidate, refresh, retry once (docs/protocol.md §access-token);
 * - `mediaGone`: media/get will never give this media_id's bytes again (ids live 3 days): say so, do not retry;
 * - `mediaTooLarge`: media/get refused to hand the whole file over in one response.
 */
interface ErrcodeInfo {
  meaning: string;
  /** The same for a shop owner, in Chinese (the console's health page), where an owner meets it. */
  meaningZh?: string;
  undeliverable?: string;
  alreadyHanded?: true;
  tokenRejected?: true;
  mediaGone?: true;
  mediaTooLarge?: true;
}

const ERRCODES: Record<number, ErrcodeInfo> = {
  [-1]: { meaning: 'WeCom is busy; retry shortly' },
  0: { meaning: 'ok' },
  40001: {
    meaning: 'invalid secret: check the app secret (repeated bad attempts can ban your IP for an hour)',
    meaningZh: 'Secret 不正确：请在企业微信管理后台核对自建应用的 Secret（多次错误会封禁 IP 一小时）',
  },
  40004: { meaning: 'invalid media type' },
  40005: { meaning: 'invalid media type parameter' },
  40006: { meaning: 'invalid file size' },
  40007: {
    meaning: 'invalid or expired media_id (media ids live 3 days)',
    meaningZh: '媒体文件已过期或不存在（企业微信只保留 3 天）',
    mediaGone: true,
  },
  40008: { meaning: 'invalid message type' },
  40009: { meaning: 'invalid image size' },
  40011: { meaning: 'invalid video size' },
  40013: { meaning: 'invalid corpid: check the corp id (starts with ww)' },
  40014: { meaning: 'invalid access_token (it will be refreshed)', tokenRejected: true },
  40033: { meaning: 'invalid characters (\\uXXXX escapes): send raw UTF-8 JSON' },
  40058: { meaning: 'invalid parameter: a field is missing, malformed or too long' },
  40096: {
    meaning: 'invalid external_userid: the customer id belongs to another corp or app',
    undeliverable: 'the external_userid is not valid for this app',
  },
  41001: { meaning: 'access_token missing', tokenRejected: true },
  42001: { meaning: 'access_token expired (it will be refreshed)', tokenRejected: true },
  44001: { meaning: 'empty media file' },
  44004: { meaning: 'empty text content' },
  45002: { meaning: 'content too large (text is limited to 2048 bytes)' },
  45009: { meaning: 'API frequency limit reached; slow down' },
  45033: { meaning: 'API concurrency limit reached; slow down' },
  47001: { meaning: 'malformed request body' },
  48002: {
    meaning: 'API not permitted for this token: bind the self-built app under 微信客服 → 可调用接口的应用',
    meaningZh:
      '接口无权限：请在企业微信管理后台「微信客服 → 可调用接口的应用」中选择本应用，并让它管理这个客服账号',
  },
  60020: {
    meaning:
      "caller IP is not in the app's trusted IPs (企业可信IP): add this server's egress IP in the WeCom admin console",
    meaningZh:
      '服务器 IP 不在企业可信 IP 中：请在企业微信管理后台「应用管理 → 本应用 → 企业可信IP」中添加本服务器的出口 IP',
  },
  95000: { meaning: 'invalid open_kfid', undeliverable: 'the open_kfid is not valid' },
  95001: {
    meaningZh: '发送条数已用完：客户每发一条消息，最多可回复 5 条，需等客户再次发言',
    meaning:
      'send quota exhausted: at most 5 messages per customer message; wait for the customer to write again',
    undeliverable: 'the 5-messages-per-customer-message quota is used up',
  },
  95002: {
    meaning: 'the 48-hour reply window has expired; wait for the customer to write again',
    meaningZh: '已超过 48 小时回复期限，需等客户再次发言',
    undeliverable: 'the 48-hour window to answer this customer has passed',
  },
  95003: { meaning: 'consultation capacity limit reached (corp not verified)' },
  95004: {
    meaning: 'open_kfid does not exist (deleted or belongs to another corp)',
    undeliverable: 'the open_kfid does not exist',
  },
  95005: { meaning: 'too many kf accounts (and at least one must remain)' },
  95006: { meaning: 'invalid kf account name' },
  95007: { meaning: 'invalid or expired sync_msg token (callback tokens live 10 minutes)' },
  95008: { meaning: 'menu has too many items (max 10)' },
  95009: { meaning: 'invalid menu item type' },
  95011: { meaning: 'kf is in joint mode but the token came from a standalone secret' },
  95012: { meaning: 'kf is in standalone mode but the token came from a joint-mode secret' },
  95013: {
    meaning: 'session already ended',
    undeliverable: 'the session has already ended',
    alreadyHanded: true,
  },
  95014: { meaning: 'user is not a receptionist (or not activated)' },
  95015: { meaning: 'admin console already configured 专属服务' },
  95016: { meaning: 'session state transition not allowed', alreadyHanded: true },
  95017: { meaning: 'API switch is off for this app' },
  95018: {
    meaning:
      'session state does not allow API replies (a human receptionist or the queue owns it, or it ended): move the session to state 1 or remove human receptionists',
    meaningZh:
      '会话当前不允许 API 回复（人工接待中、排队中或已结束）：请把客服账号的接待方式设为「智能助手接待」，或移除接待人员',
    undeliverable:
      'the session is not in a state the API may answer (a human servicer has it, or it is queued)',
  },
  95019: { meaning: 'receptionist stopped or suspended' },
  95022: { meaning: 'invalid location_type' },
  95023: { meaning: 'API switch granted to a 代开发 app' },
  95026: { meaning: 'low account utilisation; cannot create more accounts' },
  95027: { meaning: 'unverified corps may create only 10 kf accounts' },
  95030: { meaning: 'message type banned by the kf component' },
  95031: {
    meaning: 'the customer has not consulted within 48 hours',
    undeliverable: 'the customer has not written in 48 hours',
  },
  95032: { meaning: 'kf component chat-record permission expired' },
  [DUPLICATE_MSGID_ERRCODE]: {
    meaning: 'duplicate msgid: a message with this msgid was already sent to this kf account',
  },
  301002: { meaning: 'the access_token belongs to another app' },
  830002: { meaning: 'media too large; download it with Range requests', mediaTooLarge: true },
};

/** A readable meaning for an errcode; unknown codes point to WeCom's lookup page. */
/** The Chinese explanation an owner reads in the console, where the table has one. */
export function describeErrcodeZh(code: number): string | undefined {
  return ERRCODES[code]?.meaningZh;
}

/**
 * The address WeCom saw the call come from, as its 60020 message names it ("… from ip: 1.2.3.4, …"):
 * the egress IP to add to 企业可信IP. Undefined when the message names none.
 */
export function egressIpOf(errmsg: string): string | undefined {
  return /from ip:?\s*([0-9a-fA-F.:]+[0-9a-fA-F])/i.exec(errmsg)?.[1];
}

export function describeErrcode(code: number): string {
  return (
    ERRCODES[code]?.meaning ??
    `unknown WeCom error (see https://open.work.weixin.qq.com/devtool/query?e=${code})`
  );
}

/** Why a reply refused with this errcode can never be delivered; undefined when it may be worth another try. */
export function undeliverableReason(code: number): string | undefined {
  return ERRCODES[code]?.undeliverable;
}

/** Token errors that justify one invalidate-refresh-retry. */
export function isTokenErrcode(code: number): boolean {
  return ERRCODES[code]?.tokenRejected === true;
}

/** True when media/get refused because the media_id expired (3 days) or never existed: the bytes are gone. */
export function isMediaGone(code: number): boolean {
  return ERRCODES[code]?.mediaGone === true;
}

/** True when media/get refused because the file is too large to be sent whole. */
export function isMediaTooLarge(code: number): boolean {
  return ERRCODES[code]?.mediaTooLarge === true;
}

/** True when trans service_state refused because the session is already with a human or ended. */
export function isAlreadyHanded(code: number): boolean {
  return ERRCODES[code]?.alreadyHanded === true;
}

/** WeCom answered, and said no. Not retried (except token errors, handled inside WecomApi). */
export class WecomApiError extends Error {
  override name = 'WecomApiError';
  readonly meaning: string;
  constructor(
    readonly api: string,
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    const meaning = describeErrcode(errcode);
    // 60020: the IP WeCom saw is the one to add to 企业可信IP; kept in the message (and so in
    // accounts.last_error) for the console's health page. An IP is not a secret.
    const ip = errcode === 60020 ? egressIpOf(errmsg) : undefined;
    super(`${api}: errcode ${errcode} — ${meaning}${ip ? ` (WeCom saw the call from IP ${ip})` : ''}`);
    this.meaning = meaning;
  }
}

/**
 * media/get was given a cap (`maxBytes`) and the media is bigger: the download was stopped, nothing
 * is returned. Not a transport failure: asking again would be refused the same way.
 */
export class MediaTooLargeError extends Error {
  override name = 'MediaTooLargeError';
  constructor(
    readonly maxBytes: number,
    /** The size WeCom announced (content-length), when it did. */
    readonly size?: number,
  ) {
    super(`media/get: the media is larger than ${maxBytes} bytes${size ? ` (${size} bytes)` : ''}`);
  }
}

export type TransportFailure = 'network' | 'timeout' | 'http' | 'busy' | 'bad-response';

/**
 * We could not get a clear answer (network error, timeout, HTTP 5xx, errcode -1, unparsable body).
 * Retriable; for send_msg the outcome is unknown, which is why sends carry an idempotent msgid.
 */
export class WecomTransportError extends Error {
  override name = 'WecomTransportError';
  constructor(
    readonly api: string,
    readonly kind: TransportFailure,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(`${api}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
  }
  /** HTTP status when kind is 'http'. */
  readonly status?: number;
}

/** The errcode WeCom refused a call with, or undefined when there was no answer (transport failure, anything else). */
export function wecomErrcodeOf(err: unknown): number | undefined {
  return err instanceof WecomApiError ? err.errcode : undefined;
}

/** True when WeCom refused a msgid because it was already used: the message went out earlier. */
export function isDuplicateMsgid(err: unknown): boolean {
  return err instanceof WecomApiError && err.errcode === DUPLICATE_MSGID_ERRCODE;
}
