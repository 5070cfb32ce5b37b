/**
 * Error types for the WeCom HTTP API and readable meanings for its errcodes (spec §6).
 * Callers branch on the class and on `errcode`; the errmsg text changes over time and is only for logs.
 */

/**
 * A reused send_msg `msgid` for the same open_kfid is refused by WeCom, but the errcode is not documented.
 * This is OUR choice (the fake answers it and the bridge treats it as "already sent"); if the real code
 * turns out different, change it here only.
 */
export const DUPLICATE_MSGID_ERRCODE = 95044;

/** Token errors that justify one invalidate-refresh-retry (spec §7). */
const TOKEN_ERRCODES = new Set([40014, 42001, 41001]);

export function isTokenErrcode(code: number): boolean {
  return TOKEN_ERRCODES.has(code);
}

const MEANINGS: Record<number, string> = {
  [-1]: 'WeCom is busy; retry shortly',
  0: 'ok',
  40001: 'invalid secret: check the app secret (repeated bad attempts can ban your IP for an hour)',
  40004: 'invalid media type',
  40005: 'invalid media type parameter',
  40006: 'invalid file size',
  40007: 'invalid or expired media_id (media ids live 3 days)',
  40008: 'invalid message type',
  40009: 'invalid image size',
  40011: 'invalid video size',
  40013: 'invalid corpid: check the corp id (starts with ww)',
  40014: 'invalid access_token (it will be refreshed)',
  40033: 'invalid characters (\\uXXXX escapes): send raw UTF-8 JSON',
  40058: 'invalid parameter: a field is missing, malformed or too long',
  40096: 'invalid external_userid: the customer id belongs to another corp or app',
  41001: 'access_token missing',
  42001: 'access_token expired (it will be refreshed)',
  44001: 'empty media file',
  44004: 'empty text content',
  45002: 'content too large (text is limited to 2048 bytes)',
  45009: 'API frequency limit reached; slow down',
  45033: 'API concurrency limit reached; slow down',
  47001: 'malformed request body',
  48002: 'API not permitted for this token: bind the self-built app under 微信客服 → 可调用接口的应用',
  60020: 'caller IP is not in the app\'s trusted IPs (企业可信IP): add this server\'s egress IP in the WeCom admin console',
  95000: 'invalid open_kfid',
  95001: 'send quota exhausted: at most 5 messages per customer message; wait for the customer to write again',
  95002: 'the 48-hour reply window has expired; wait for the customer to write again',
  95003: 'consultation capacity limit reached (corp not verified)',
  95004: 'open_kfid does not exist (deleted or belongs to another corp)',
  95005: 'too many kf accounts (and at least one must remain)',
  95006: 'invalid kf account name',
  95007: 'invalid or expired sync_msg token (callback tokens live 10 minutes)',
  95008: 'menu has too many items (max 10)',
  95009: 'invalid menu item type',
  95011: 'kf is in joint mode but the token came from a standalone secret',
  95012: 'kf is in standalone mode but the token came from a joint-mode secret',
  95013: 'session already ended',
  95014: 'user is not a receptionist (or not activated)',
  95015: 'admin console already configured 专属服务',
  95016: 'session state transition not allowed',
  95017: 'API switch is off for this app',
  95018: 'session state does not allow API replies (a human receptionist or the queue owns it, or it ended): move the session to state 1 or remove human receptionists',
  95019: 'receptionist stopped or suspended',
  95022: 'invalid location_type',
  95023: 'API switch granted to a 代开发 app',
  95026: 'low account utilisation; cannot create more accounts',
  95027: 'unverified corps may create only 10 kf accounts',
  95030: 'message type banned by the kf component',
  95031: 'the customer has not consulted within 48 hours',
  95032: 'kf component chat-record permission expired',
  [DUPLICATE_MSGID_ERRCODE]: 'duplicate msgid: a message with this msgid was already sent to this kf account',
  301002: 'the access_token belongs to another app',
  830002: 'media too large; download it with Range requests',
};

/** A readable meaning for an errcode; unknown codes point to WeCom's lookup page. */
export function describeErrcode(code: number): string {
  return MEANINGS[code] ?? `unknown WeCom error (see https://open.work.weixin.qq.com/devtool/query?e=${code})`;
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
    super(`${api}: errcode ${errcode} — ${meaning}`);
    this.meaning = meaning;
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

/** True when WeCom refused a msgid because it was already used: the message went out earlier. */
export function isDuplicateMsgid(err: unknown): boolean {
  return err instanceof WecomApiError && err.errcode === DUPLICATE_MSGID_ERRCODE;
}
