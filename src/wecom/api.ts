/**
 * WeCom kf HTTP client (docs/protocol.md §wecom-http, §sync_msg, §send_msg, §send_msg_on_event, §service_state, §kf-accounts, §access-token, §media) on undici `request` with one keep-alive Agent per client:
 * the send/sync path is hot, and fetch() adds Web-stream overhead we don't need.
 *
 * Failure policy, applied to every call:
 * - errcode 40014/42001/41001 → the token was revoked/expired: invalidate it, refresh, retry once.
 * - network error, timeout, HTTP 5xx, errcode -1 → retry twice (50–100 ms, then 200–400 ms: `backoffMs`), then
 *   WecomTransportError. Safe for send_msg because sends carry an idempotent msgid.
 * - any other errcode ≠ 0 → WecomApiError (not retried).
 * The secret and access token never reach a log line: URLs are logged by path only.
 */
import type { Dispatcher } from 'undici';
import { undici } from '../net/undici.js';
import Keyv from 'keyv';
import { createHash } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { backoffMs, sleep } from '../util/backoff.js';
import type { KfMessage, MediaFile, OutboundMessage, SendMsgRequest, SyncMsgPage } from './types.js';
import { MediaTooLargeError, WecomApiError, WecomTransportError, isTokenErrcode } from './errors.js';

export interface WecomApiOptions {
  /** e.g. https://qyapi.weixin.qq.com (no trailing /cgi-bin). */
  baseUrl: string;
  corpId: string;
  secret: string;
  logger: Logger;
  /** Shared token cache (e.g. backed by the store); in-memory by default. */
  tokenCache?: Keyv;
  /** Across instances: one gettoken at a time (the others wait for the shared cache). */
  coordinator?: {
    tryWithLock<T>(
      key: string,
      ttlMs: number,
      fn: () => Promise<T>,
    ): Promise<{ acquired: true; value: T } | { acquired: false }>;
  };
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Inject a dispatcher (tests). When given, close() leaves it open. */
  dispatcher?: Dispatcher;
  /**
   * An HTTP proxy every call goes through (WXCOZE_WECOM_PROXY), so WeCom sees the proxy's fixed
   * address for its trusted-IP list (60020). May carry credentials: never logged.
   */
  proxy?: string;
  /**
   * Told the outcome of every call (after transport retries; each try of a refused token counts):
   * `errcode` is WeCom's ("0" ok) or how the transport failed (network, timeout, http, busy).
   * For /metrics: must be cheap and must not throw.
   */
  onCall?: (api: string, errcode: string) => void;
}

export type MediaType = 'image' | 'voice' | 'video' | 'file';

export interface KfAccount {
  open_kfid: string;
  name: string;
  avatar?: string;
  manage_privilege?: boolean;
}

interface CachedToken {
  token: string;
  /** Epoch ms after which we stop using it (already minus the safety margin). */
  expiresAt: number;
}

interface WecomReply {
  errcode?: number;
  errmsg?: string;
  [k: string]: unknown;
}

/** Refresh 5 min before WeCom's expiry so a token never dies mid-request. */
const TOKEN_MARGIN_MS = 5 * 60_000;
/** Transport retries: short, because a customer is waiting and the caller retries later anyway. */
const TRANSPORT_RETRIES = 2;
const TRANSPORT_BACKOFF = { baseMs: 100, capMs: 400, factor: 4 };
const SYNC_LIMIT_MAX = 1000;
const ACCOUNT_PAGE = 100;

type Attempt = (token: string, signal: AbortSignal) => Promise<Dispatcher.ResponseData>;

export class WecomApi {
  private readonly base: string;
  private readonly logger: Logger;
  private readonly cache: Keyv;
  private readonly cacheKey: string;
  private readonly timeoutMs: number;
  /** Made at the first call (undici loads then: src/net/undici.ts). */
  private dispatcher: Dispatcher | undefined;
  private readonly ownsDispatcher: boolean;
  /** Hot-path copy of the cached token, so most calls skip the (possibly remote) Keyv store. */
  private memo?: CachedToken;
  private inflight?: Promise<string>;
  /** Tokens WeCom rejected; a shared cache may still hand them out until it is overwritten. */
  private readonly revoked = new Set<string>();

  constructor(private readonly opts: WecomApiOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.logger = opts.logger.child({ component: 'wecom-api' });
    this.cache = opts.tokenCache ?? new Keyv();
    // One token per (corpid, secret) (docs/protocol.md §access-token); hash the secret so the key itself leaks nothing.
    const secretTag = createHash('sha256').update(opts.secret).digest('hex').slice(0, 16);
    this.cacheKey = `wecom:access_token:${opts.corpId}:${secretTag}`;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.ownsDispatcher = !opts.dispatcher;
    this.dispatcher = opts.dispatcher;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher?.close();
  }

  /** undici's `request` through this client's keep-alive agent (or proxy). */
  private async send(
    url: string,
    options: Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'dispatcher'>,
  ): Promise<Dispatcher.ResponseData> {
    const { request, Agent, ProxyAgent } = await undici();
    const proxy = this.opts.proxy;
    this.dispatcher ??= proxy
      ? new ProxyAgent({ uri: proxy, keepAliveTimeout: 30_000, connections: 64 })
      : new Agent({ keepAliveTimeout: 30_000, connections: 64 });
    return request(url, { ...options, dispatcher: this.dispatcher });
  }

  // ---------------------------------------------------------------- token

  /** Cached; concurrent callers share one gettoken request (single flight). */
  getAccessToken(): Promise<string> {
    const memo = this.memo;
    if (memo && memo.expiresAt > Date.now() && !this.revoked.has(memo.token))
      return Promise.resolve(memo.token);
    this.inflight ??= this.loadToken().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** When the token this instance holds stops being used (ms), if it holds one; never the token itself. */
  tokenValidUntil(): number | undefined {
    return this.memo && this.memo.expiresAt > Date.now() ? this.memo.expiresAt : undefined;
  }

  /** Drops `token` if it is still the current one; a newer token fetched meanwhile is kept. */
  async invalidateToken(token: string): Promise<void> {
    this.revoked.add(token);
    if (this.memo?.token === token) this.memo = undefined;
    const stored = (await this.cache.get(this.cacheKey)) as CachedToken | undefined;
    if (stored?.token === token) await this.cache.delete(this.cacheKey);
  }

  private async cachedToken(): Promise<string | undefined> {
    const stored = (await this.cache.get(this.cacheKey)) as CachedToken | undefined;
    if (stored && stored.expiresAt > Date.now() && !this.revoked.has(stored.token)) {
      this.memo = stored;
      return stored.token;
    }
    return undefined;
  }

  private async loadToken(): Promise<string> {
    const cached = await this.cachedToken();
    if (cached) return cached;
    const coordinator = this.opts.coordinator;
    if (!coordinator) return this.fetchToken();
    // Several instances: one refreshes, the others wait for its token to appear in the shared cache.
    for (let waited = 0; waited < 10_000; waited += 100) {
      const res = await coordinator.tryWithLock(
        `gettoken:${this.cacheKey}`,
        15_000,
        async () => (await this.cachedToken()) ?? this.fetchToken(),
      );
      if (res.acquired) return res.value;
      await sleep(100);
      const now = await this.cachedToken();
      if (now) return now;
    }
    return this.fetchToken();
  }

  private async fetchToken(): Promise<string> {
    const url = `${this.base}/cgi-bin/gettoken?corpid=${encodeURIComponent(this.opts.corpId)}&corpsecret=${encodeURIComponent(this.opts.secret)}`;
    const reply = await this.withTransportRetry('gettoken', (signal) =>
      this.send(url, { method: 'GET', signal }).then((res) => this.readJson('gettoken', res)),
    );
    this.opts.onCall?.('gettoken', String(reply.errcode ?? 0));
    if (reply.errcode !== undefined && reply.errcode !== 0) throw this.apiError('gettoken', reply);
    const token = reply.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new WecomTransportError('gettoken', 'bad-response', 'no access_token in reply');
    }
    const lifetimeMs = (Number(reply.expires_in) || 7200) * 1000;
    // Short-lived tokens (never seen in practice) keep half their life instead of going negative.
    const usableMs = lifetimeMs > TOKEN_MARGIN_MS * 2 ? lifetimeMs - TOKEN_MARGIN_MS : lifetimeMs / 2;
    const entry: CachedToken = { token, expiresAt: Date.now() + usableMs };
    this.revoked.clear(); // a fresh token supersedes every revoked one
    this.memo = entry;
    await this.cache.set(this.cacheKey, entry, usableMs);
    this.logger.info({ api: 'gettoken', errcode: 0 }, 'wecom access token refreshed');
    return token;
  }

  // ---------------------------------------------------------------- kf APIs

  /** One page of kf/sync_msg (docs/protocol.md §sync_msg). `token` is the callback Token; keep pulling while has_more. */
  async syncMsg(args: {
    openKfId: string;
    cursor?: string;
    token?: string;
    limit?: number;
  }): Promise<SyncMsgPage> {
    const body: Record<string, unknown> = {
      open_kfid: args.openKfId,
      limit: Math.min(args.limit ?? SYNC_LIMIT_MAX, SYNC_LIMIT_MAX),
    };
    if (args.cursor) body.cursor = args.cursor;
    if (args.token) body.token = args.token;
    const reply = await this.postJson('kf/sync_msg', body);
    return {
      next_cursor: typeof reply.next_cursor === 'string' ? reply.next_cursor : '',
      // The wire value is 0|1; normalise so callers can't get `if (page.has_more === true)` wrong.
      has_more: reply.has_more === true || Number(reply.has_more) === 1,
      msg_list: Array.isArray(reply.msg_list) ? (reply.msg_list as KfMessage[]) : [],
    };
  }

  /** kf/send_msg (docs/protocol.md §send_msg). The msgid is our idempotency key; WeCom echoes it back. */
  async sendMsg(req: SendMsgRequest): Promise<{ msgid: string }> {
    const reply = await this.postJson('kf/send_msg', {
      touser: req.touser,
      open_kfid: req.open_kfid,
      // Never send "msgid": "" — WeCom rejects it (docs/protocol.md §send_msg); omit it instead.
      ...(req.msgid ? { msgid: req.msgid } : {}),
      ...messageFields(req.message),
    });
    return { msgid: typeof reply.msgid === 'string' && reply.msgid ? reply.msgid : req.msgid };
  }

  /** kf/send_msg_on_event (docs/protocol.md §send_msg_on_event): one message per single-use code (welcome, goodbye, …). */
  async sendMsgOnEvent(code: string, msgid: string, message: OutboundMessage): Promise<{ msgid: string }> {
    const reply = await this.postJson('kf/send_msg_on_event', {
      code,
      ...(msgid ? { msgid } : {}),
      ...messageFields(message),
    });
    return { msgid: typeof reply.msgid === 'string' && reply.msgid ? reply.msgid : msgid };
  }

  /** kf/account/list, following offset/limit pages until a short page (docs/protocol.md §kf-accounts). */
  async listAccounts(): Promise<KfAccount[]> {
    const all: KfAccount[] = [];
    for (let offset = 0; ; offset += ACCOUNT_PAGE) {
      const reply = await this.postJson('kf/account/list', { offset, limit: ACCOUNT_PAGE });
      const page = Array.isArray(reply.account_list) ? (reply.account_list as KfAccount[]) : [];
      all.push(...page);
      if (page.length < ACCOUNT_PAGE) return all;
    }
  }

  /**
   * kf/add_contact_way: the link that opens a chat with the kf account (for a website, or as a
   * QR code on a poster). `scene` (≤ 32 of [0-9a-zA-Z_-]) comes back in enter_session, so an owner
   * can tell where customers came from (docs/protocol.md §kf-accounts).
   */
  async addContactWay(openKfId: string, scene?: string): Promise<string> {
    const reply = await this.postJson('kf/add_contact_way', {
      open_kfid: openKfId,
      ...(scene ? { scene } : {}),
    });
    if (typeof reply.url !== 'string' || !reply.url)
      throw new Error('kf/add_contact_way answered without a url');
    return reply.url;
  }

  async getServiceState(
    openKfId: string,
    externalUserId: string,
  ): Promise<{ service_state: number; servicer_userid?: string }> {
    const reply = await this.postJson('kf/service_state/get', {
      open_kfid: openKfId,
      external_userid: externalUserId,
    });
    const servicer = reply.servicer_userid ?? reply.service_userid; // silenceper/wechat spelling (docs/protocol.md §service_state)
    return {
      service_state: Number(reply.service_state),
      ...(typeof servicer === 'string' && servicer ? { servicer_userid: servicer } : {}),
    };
  }

  async transServiceState(
    openKfId: string,
    externalUserId: string,
    state: number,
    servicerUserId?: string,
  ): Promise<{ msg_code?: string }> {
    const reply = await this.postJson('kf/service_state/trans', {
      open_kfid: openKfId,
      external_userid: externalUserId,
      service_state: state,
      ...(servicerUserId ? { servicer_userid: servicerUserId } : {}),
    });
    return typeof reply.msg_code === 'string' && reply.msg_code ? { msg_code: reply.msg_code } : {};
  }

  /**
   * kf/customer/batchget (docs/protocol.md §customer-batchget), up to 100 ids per call: nickname and
   * avatar of customers active within 48 h; the others come back in `invalid`.
   */
  async batchGetCustomers(externalUserIds: string[]): Promise<{
    customers: { externalUserId: string; nickname: string; avatar: string }[];
    invalid: string[];
  }> {
    const reply = await this.postJson('kf/customer/batchget', {
      external_userid_list: externalUserIds.slice(0, 100),
      need_enter_session_context: 0,
    });
    const list = Array.isArray(reply.customer_list) ? (reply.customer_list as Record<string, unknown>[]) : [];
    return {
      customers: list
        .filter((c) => typeof c.external_userid === 'string')
        .map((c) => ({
          externalUserId: c.external_userid as string,
          nickname: typeof c.nickname === 'string' ? c.nickname : '',
          avatar: typeof c.avatar === 'string' ? c.avatar : '',
        })),
      invalid: Array.isArray(reply.invalid_external_userid)
        ? (reply.invalid_external_userid as unknown[]).filter((i): i is string => typeof i === 'string')
        : [],
    };
  }

  // ---------------------------------------------------------------- media

  /**
   * media/get (docs/protocol.md §media). Errors come back as HTTP 200 + JSON, so the content-type decides.
   * `maxBytes`: refuse a bigger file with `MediaTooLargeError`, before reading it when WeCom announces
   * its length, else as soon as more than that has arrived (the rest is never read).
   */
  async getMedia(mediaId: string, opts: { maxBytes?: number } = {}): Promise<MediaFile> {
    const max = opts.maxBytes ?? Infinity;
    return this.call<MediaFile>(
      'media/get',
      async (token, signal) => {
        const res = await this.send(this.url('media/get', token, { media_id: mediaId }), {
          method: 'GET',
          signal,
        });
        return res;
      },
      async (res) => {
        const contentType = headerValue(res.headers['content-type']) ?? 'application/octet-stream';
        const textual = /^(application\/json|text\/plain)/i.test(contentType);
        const announced = Number(headerValue(res.headers['content-length']) ?? NaN);
        if (!textual && announced > max) {
          stopReading(res.body);
          throw new MediaTooLargeError(max, announced);
        }
        const data = await readCapped(res.body, max);
        // A customer's .txt may come as text/plain too: only a JSON object with an errcode is an error.
        if (textual && (/^application\/json/i.test(contentType) || errorReply(data)))
          return { json: parseJson('media/get', data.toString('utf8')) };
        const filename = filenameFrom(headerValue(res.headers['content-disposition']));
        return { value: { data, contentType, ...(filename ? { filename } : {}) } };
      },
    );
  }

  /** media/upload (docs/protocol.md §media): multipart, part name `media`; returns the media_id (valid 3 days). */
  async uploadMedia(type: MediaType, filename: string, data: Buffer, contentType: string): Promise<string> {
    const reply = await this.call('media/upload', async (token, signal) => {
      // A fresh FormData per attempt: a consumed body cannot be re-sent.
      const form = new (await undici()).FormData();
      form.append('media', new Blob([data as Uint8Array<ArrayBuffer>], { type: contentType }), filename);
      return this.send(this.url('media/upload', token, { type }), { method: 'POST', body: form, signal });
    });
    if (typeof reply.media_id !== 'string' || !reply.media_id)
      throw new WecomTransportError('media/upload', 'bad-response', 'no media_id in reply');
    return reply.media_id;
  }

  // ---------------------------------------------------------------- plumbing

  private url(api: string, token: string, query: Record<string, string> = {}): string {
    const qs = new URLSearchParams({ access_token: token, ...query });
    return `${this.base}/cgi-bin/${api}?${qs.toString()}`;
  }

  private postJson(api: string, body: Record<string, unknown>): Promise<WecomReply> {
    // JSON.stringify keeps non-ASCII as raw UTF-8: `\uXXXX` escapes can be refused with 40033 (docs/protocol.md §wecom-http).
    const payload = JSON.stringify(body);
    this.logger.debug({ api, body }, 'wecom request');
    return this.call(api, (token, signal) =>
      this.send(this.url(api, token), {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: payload,
        signal,
      }),
    );
  }

  /**
   * One API call with both retry policies. `read` turns a 2xx response into either a JSON reply (checked
   * for errcode) or a final value (media download); by default the body is JSON.
   */
  private call(api: string, attempt: Attempt): Promise<WecomReply>;
  private call<T>(
    api: string,
    attempt: Attempt,
    read: (res: Dispatcher.ResponseData) => Promise<{ json: WecomReply } | { value: T }>,
  ): Promise<T>;
  private async call<T>(
    api: string,
    attempt: Attempt,
    read?: (res: Dispatcher.ResponseData) => Promise<{ json: WecomReply } | { value: T }>,
  ): Promise<T | WecomReply> {
    let tokenRetried = false;
    for (;;) {
      const token = await this.getAccessToken();
      const outcome = await this.withTransportRetry(api, async (signal) => {
        const res = await attempt(token, signal);
        if (res.statusCode >= 500) {
          await res.body.dump();
          throw new WecomTransportError(api, 'http', `HTTP ${res.statusCode}`, { status: res.statusCode });
        }
        const got = read && res.statusCode < 300 ? await read(res) : { json: await this.readJson(api, res) };
        // errcode -1 ("system busy") is transient by definition: retry like a 5xx.
        if ('json' in got && got.json.errcode === -1)
          throw new WecomTransportError(api, 'busy', 'errcode -1 (busy)');
        return got;
      });
      if ('value' in outcome) {
        this.opts.onCall?.(api, '0');
        return outcome.value;
      }
      const reply = outcome.json;
      const errcode = Number(reply.errcode ?? 0);
      this.opts.onCall?.(api, String(errcode));
      if (errcode === 0) {
        this.logger.debug({ api, reply }, 'wecom reply');
        return reply;
      }
      if (isTokenErrcode(errcode) && !tokenRetried) {
        tokenRetried = true;
        this.logger.info({ api, errcode }, 'wecom token rejected; refreshing once');
        await this.invalidateToken(token);
        continue;
      }
      throw this.apiError(api, reply);
    }
  }

  /** Up to 3 attempts for transport failures; each attempt gets its own timeout. */
  private async withTransportRetry<T>(api: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    for (let failures = 0; ; failures++) {
      const signal = AbortSignal.timeout(this.timeoutMs);
      try {
        return await fn(signal);
      } catch (err) {
        const transport = err instanceof WecomTransportError ? err : toTransportError(api, err, signal);
        if (!transport) throw err;
        // A 4xx comes from a proxy or a wrong base URL; repeating the request will not fix it.
        const retriable = !(transport.kind === 'http' && (transport.status ?? 500) < 500);
        if (!retriable || failures >= TRANSPORT_RETRIES) {
          this.opts.onCall?.(api, transport.kind);
          this.logger.warn(
            { api, kind: transport.kind, status: transport.status },
            'wecom call failed after retries',
          );
          throw transport;
        }
        this.logger.warn(
          { api, kind: transport.kind, status: transport.status, attempt: failures + 1 },
          'wecom call failed; retrying',
        );
        await sleep(backoffMs(failures + 1, TRANSPORT_BACKOFF));
      }
    }
  }

  private async readJson(api: string, res: Dispatcher.ResponseData): Promise<WecomReply> {
    const text = await res.body.text();
    if (res.statusCode >= 500)
      throw new WecomTransportError(api, 'http', `HTTP ${res.statusCode}`, { status: res.statusCode });
    if (res.statusCode >= 300) {
      // WeCom answers errors with HTTP 200; anything else is a proxy/gateway problem, not worth retrying.
      throw new WecomTransportError(api, 'http', `HTTP ${res.statusCode}`, { status: res.statusCode });
    }
    return parseJson(api, text);
  }

  private apiError(api: string, reply: WecomReply): WecomApiError {
    const errcode = Number(reply.errcode);
    const err = new WecomApiError(api, errcode, String(reply.errmsg ?? ''));
    this.logger.warn({ api, errcode }, 'wecom api error');
    return err;
  }
}

/** Flattens OutboundMessage into the wire shape `{msgtype, <msgtype>: payload}`. */
function messageFields(message: OutboundMessage): Record<string, unknown> {
  const { msgtype } = message;
  return { msgtype, [msgtype]: (message as Record<string, unknown>)[msgtype] };
}

function parseJson(api: string, text: string): WecomReply {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as WecomReply;
  } catch {
    /* fall through */
  }
  throw new WecomTransportError(api, 'bad-response', 'reply is not a JSON object');
}

/** Maps undici/abort failures to transport errors; anything else (our own bugs) is rethrown as is. */
function toTransportError(api: string, err: unknown, signal: AbortSignal): WecomTransportError | undefined {
  if (signal.aborted) return new WecomTransportError(api, 'timeout', 'timed out', { cause: err });
  const code = (err as { code?: unknown })?.code;
  if (
    typeof code === 'string' &&
    code !== 'UND_ERR_INVALID_ARG' &&
    (code.startsWith('UND_ERR') || code.startsWith('E'))
  ) {
    return new WecomTransportError(api, 'network', `network error (${code})`, { cause: err });
  }
  if (err instanceof TypeError && /fetch failed|socket|network/i.test(err.message)) {
    return new WecomTransportError(api, 'network', 'network error', { cause: err });
  }
  return undefined;
}

/** True when a text/plain media/get body is WeCom's JSON error rather than a file. */
function errorReply(data: Buffer): boolean {
  try {
    const v: unknown = JSON.parse(data.toString('utf8'));
    return typeof v === 'object' && v !== null && 'errcode' in v;
  } catch {
    return false;
  }
}

/** Closes a body we will not read: the connection is dropped, the abort it reports is expected. */
function stopReading(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

/** The body, at most `max` bytes: more than that stops the download with MediaTooLargeError. */
async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > max) {
      stopReading(body);
      throw new MediaTooLargeError(max);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

/** `attachment; filename="MEDIA_ID.jpg"` or RFC 5987 `filename*=UTF-8''…`. */
function filenameFrom(disposition: string | undefined): string | undefined {
  if (!disposition) return undefined;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[1]!.trim());
    } catch {
      /* fall back to the plain form */
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/.exec(disposition);
  return plain ? (plain[1] ?? plain[2])!.trim() : undefined;
}
