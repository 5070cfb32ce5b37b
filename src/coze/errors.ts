/**
 * One error type for everything that can go wrong talking to Coze, classified so callers can
 * decide without knowing Coze's code table: retry (`retriable`), tell the operator what to fix
 * (`describeCozeError`), or give up. Codes come from docs/protocol.md §coze-errors; HTTP statuses only matter when
 * there is no code (gateway pages, proxies), because Coze reports business errors with HTTP 200.
 */

export type CozeErrorKind =
  | 'auth'
  | 'permission'
  | 'not_published'
  | 'bot_invalid'
  | 'conversation_gone'
  | 'chat_running'
  | 'rate_limit'
  | 'overloaded'
  | 'quota'
  | 'bad_request'
  | 'server'
  | 'timeout'
  | 'network'
  | 'failed'
  | 'other';

const KIND_BY_CODE: Record<number, CozeErrorKind> = {
  4100: 'auth',
  700012006: 'auth',
  4101: 'permission',
  4015: 'not_published',
  4006: 'bot_invalid',
  4002: 'conversation_gone',
  4016: 'chat_running',
  4013: 'rate_limit',
  4020: 'rate_limit',
  4028: 'rate_limit',
  4009: 'overloaded',
  4008: 'quota',
  4011: 'quota',
  4019: 'quota',
  4022: 'quota',
  4000: 'bad_request',
  4001: 'bad_request',
  4003: 'bad_request',
  4004: 'bad_request',
  4005: 'bad_request',
  4007: 'bad_request',
  4010: 'bad_request',
  4300: 'bad_request',
  4301: 'bad_request',
  4302: 'bad_request',
  4303: 'bad_request',
  4304: 'bad_request',
  5000: 'server',
};

const RETRIABLE_KINDS = new Set<CozeErrorKind>(['rate_limit', 'overloaded', 'server', 'timeout', 'network']);

/** Kind of a Coze business code, falling back to the HTTP status when the code says nothing. */
export function kindOf(code: number | undefined, httpStatus?: number): CozeErrorKind {
  if (code !== undefined && code !== 0) {
    const known = KIND_BY_CODE[code];
    if (known) return known;
  }
  if (httpStatus !== undefined) {
    if (httpStatus === 401) return 'auth';
    if (httpStatus === 403) return 'permission';
    if (httpStatus === 429) return 'rate_limit';
    if (httpStatus === 408) return 'timeout';
    if (httpStatus >= 500) return 'server';
    if (httpStatus === 400) return 'bad_request';
  }
  return 'other';
}

export interface CozeErrorInit {
  code?: number;
  msg: string;
  httpStatus?: number;
  logid?: string;
  kind?: CozeErrorKind;
  retriable?: boolean;
  cause?: unknown;
  /** The OAuth token endpoint's `error_code` (invalid_client, access_deny, …): set only for its errors. */
  oauthError?: string;
}

export class CozeError extends Error {
  /** Coze business code (last_error.code for chat.failed); 0 when there was none (network, timeout, HTML pages). */
  readonly code: number;
  /** Coze's own text, untranslated. */
  readonly msg: string;
  readonly httpStatus?: number;
  /** X-Tt-Logid / detail.logid: quote it to Coze support. */
  readonly logid?: string;
  readonly kind: CozeErrorKind;
  /** Whether trying the same call again later can succeed. */
  readonly retriable: boolean;
  /** The OAuth token endpoint's `error_code` (docs/protocol.md §coze-oauth-jwt), when it refused. */
  readonly oauthError?: string;
  /** Set when the failure happened inside a chat Coze had already started (cancel it, or log it). */
  chatId?: string;
  conversationId?: string;

  constructor(init: CozeErrorInit) {
    const code = init.code ?? 0;
    const kind = init.kind ?? kindOf(code, init.httpStatus);
    super(
      `Coze ${kind} error${code ? ` ${code}` : ''}${init.httpStatus ? ` (HTTP ${init.httpStatus})` : ''}: ${init.msg}`,
      { cause: init.cause },
    );
    this.name = 'CozeError';
    this.code = code;
    this.msg = init.msg;
    this.httpStatus = init.httpStatus;
    this.logid = init.logid;
    this.kind = kind;
    if (init.oauthError !== undefined) this.oauthError = init.oauthError;
    // chat.failed is retriable only when its last_error is transient (5000 "event interval error", overload, model hiccup).
    this.retriable =
      init.retriable ?? (kind === 'failed' ? RETRIABLE_KINDS.has(kindOf(code)) : RETRIABLE_KINDS.has(kind));
  }
}

/**
 * Codes by which Coze says "too much, slow down" rather than "this failed": 4013 (coze-js treats it
 * as its rate limit), 4020 (RPM above the purchased peak), 4028 (requests over quota) and 4019
 * (pay-as-you-go balance exhausted: it clears when the account is topped up); docs/protocol.md
 * §coze-errors. With HTTP 429 these make the pipeline wait and send less, not fail the message.
 */
const THROTTLE_CODES = new Set([4013, 4019, 4020, 4028]);

/** Whether Coze refused because of load or quota, so the same chat should wait and be sent again. */
export function isThrottling(e: unknown): boolean {
  if (!(e instanceof CozeError)) return false;
  return THROTTLE_CODES.has(e.code) || e.httpStatus === 429 || e.kind === 'rate_limit';
}

export function isCozeError(e: unknown): e is CozeError {
  return e instanceof CozeError;
}

/**
 * The token endpoint refused the OAuth app's signed JWT. Coze documents the `error_code`s, not their
 * messages; the one message seen in the wild, "invalid jwt: kid not been registred", means the key
 * id is unknown to this region (coze-py #123, #148, #230; coze-go #43).
 */
function describeOAuthRefusal(e: CozeError, said: string, ref: string): string {
  if (e.oauthError === 'invalid_client' && /kid/i.test(e.msg))
    return `Coze does not know the OAuth app's public key id (invalid_client): COZE_JWT_OAUTH_PUBLIC_KEY_ID must be the 公钥指纹 shown next to the key in the app, and the app must belong to this region (a coze.cn app is unknown to api.coze.com, and the reverse).${said}${ref}`;
  if (e.oauthError === 'invalid_client')
    return `Coze refused the JWT signed with the OAuth app's private key (invalid_client): the private key file is not the one of COZE_JWT_OAUTH_PUBLIC_KEY_ID, or COZE_JWT_OAUTH_CLIENT_ID is not the app that key belongs to. Check both in Coze → API 管理 → 授权 → OAuth 应用, or create a new key there and use its private_key.pem.${said}${ref}`;
  if (e.oauthError === 'access_deny' || e.oauthError === 'access_denied')
    return `Coze says the OAuth app is disabled or was not authorized: enable it (and click 授权) in Coze → API 管理 → 授权 → OAuth 应用.${said}${ref}`;
  if (e.retriable)
    return `Coze's OAuth token endpoint had an error (${e.oauthError}); retrying usually helps.${said}${ref}`;
  return `Coze's OAuth token endpoint refused the request (${e.oauthError}).${said}${ref}`;
}

/** What an operator should do about the error, in one or two sentences. */
export function describeCozeError(e: unknown): string {
  if (!(e instanceof CozeError))
    return `Unexpected error talking to Coze: ${e instanceof Error ? e.message : String(e)}`;
  const ref = e.logid ? ` (logid ${e.logid})` : '';
  const said = e.msg ? ` Coze said: "${e.msg}".` : '';
  if (e.oauthError) return describeOAuthRefusal(e, said, ref);
  switch (e.kind) {
    case 'auth':
      return `The Coze token was rejected: it is invalid or expired, or belongs to the other region (a coze.cn token only works with https://api.coze.cn, a coze.com token with https://api.coze.com). Create a new token and check COZE_API_BASE.${said}${ref}`;
    case 'permission':
      return `The Coze token lacks a permission or workspace for this call: edit the personal access token and tick the needed permissions (chat, uploadFile, getMetadata, …) and the bot's workspace. A token from the other region can also cause this.${said}${ref}`;
    case 'not_published':
      return `The bot is not published to the API channel: in Coze open the bot → 发布 (Publish) and tick "API" / "Bot as API", then publish again. Also check the bot id belongs to this region.${said}${ref}`;
    case 'bot_invalid':
      return `Coze does not know this bot id or the token cannot reach it: check COZE_BOT_ID, the region (coze.cn vs coze.com) and the token's workspaces.${said}${ref}`;
    case 'conversation_gone':
      return `The Coze conversation no longer exists or belongs to another token; start a new conversation.${said}${ref}`;
    case 'chat_running':
      return `Another answer is still being generated in this Coze conversation; wait for it or cancel it before sending the next message.${said}${ref}`;
    case 'rate_limit':
      return `Coze is rate limiting or the model failed upstream; retry after a pause, and lower concurrency if it persists.${said}${ref}`;
    case 'overloaded':
      return `Coze is overloaded; retry later.${said}${ref}`;
    case 'quota':
      return `The Coze account is out of quota or balance (daily per-user limit, token balance, or pay-as-you-go arrears); top up or wait for the limit to reset. Free accounts stop after 500 API calls in total.${said}${ref}`;
    case 'bad_request':
      return `Coze rejected the request as malformed (code ${e.code}); this is a bug or an unsupported message (e.g. an image without accompanying text).${said}${ref}`;
    case 'server':
      return `Coze had an internal or gateway error${e.httpStatus ? ` (HTTP ${e.httpStatus})` : ''}; retrying usually helps.${said}${ref}`;
    case 'timeout':
      return `Coze sent nothing for too long; the answer was abandoned. Retrying usually helps; raise the timeout if the bot runs slow plugins or workflows.${said}${ref}`;
    case 'network':
      return `The connection to Coze failed or closed before the answer finished; check network access to the Coze API host.${said}${ref}`;
    case 'failed':
      return `Coze could not finish the answer (last_error ${e.code}).${e.retriable ? ' It is usually transient; retrying helps.' : ' Check the bot (model, plugins, workflow) in the Coze console.'}${said}${ref}`;
    default:
      return `Coze returned an unexpected error${e.code ? ` ${e.code}` : ''}.${said}${ref}`;
  }
}
