/**
 * A local WeCom kf server faithful to docs/protocol.md (WeCom sections) and §fakes, plus a control API for tests and
 * `wxcoze demo`: play the customer, trigger callbacks, inject failures, inspect what was sent.
 */
import type { KfMessage } from '../../wecom/types.js';
import { WecomCrypto, generateEncodingAesKey, generateToken } from '../../wecom/crypto.js';
import { buildApp } from './app.js';
import { expireAllTokens } from './auth.js';
import {
  CALLBACK_TIMEOUT_MS,
  buildSignedCallback,
  kfEventXml,
  postWithRetries,
  verifyUrl,
} from './callbacks.js';
import { Faults, type FaultMode } from './faults.js';
import { newCallbackToken, newCorpId, newMsgId } from './ids.js';
import { registerControl } from './routes-control.js';
import { ROBOT_PATH, Robots, type RobotFault, type RobotMessage } from './routes-robot.js';
import { storeMedia } from './routes-media.js';
import {
  ACCESS_TOKEN_TTL_S,
  CALLBACK_TOKEN_TTL_MS,
  FakeState,
  wecomErrmsg,
  type CallRecord,
  type SentRecord,
} from './state.js';

/** errmsg texts of the setup-wall errors the fake can be switched to. */
const ERRMSG_TEXT: Record<number, string> = {
  60020: 'not allow to access from your ip',
  48002: 'api forbidden',
  40001: 'invalid credential',
  45009: 'reach max api daily quota limit',
};

export { buildSignedCallback, kfEventXml, postWithRetries } from './callbacks.js';
export { CONTROL_PREFIX, NEWCOMER_ID } from './routes-control.js';
export type { SentRecord, CallRecord } from './state.js';
export type { FaultMode } from './faults.js';
export type { RobotFault, RobotMessage } from './routes-robot.js';

export interface FakeWecomOptions {
  corpId?: string;
  secret?: string;
  /** Callback Token / EncodingAESKey configured "in the admin console"; generated when omitted. */
  callbackToken?: string;
  encodingAesKey?: string;
  agentId?: string;
  host?: string;
  port?: number;
  callbackUrl?: string;
  /** How long a callback may take before WeCom counts it as failed (5 s upstream). */
  callbackTimeoutMs?: number;
  /** Access-token lifetime in seconds (7200 upstream). */
  tokenTtlSec?: number;
  /** Upstream allows sync_msg without `token` (rate-limited); we refuse unless this is set. */
  allowSyncWithoutToken?: boolean;
  /** How long a 'timeout' fault holds a request (released early by close()). */
  hangMs?: number;
  /** Clock in epoch ms; inject to test expiries without waiting. */
  now?: () => number;
}

export type CustomerContent =
  | { text: string }
  | { image: Buffer; contentType: string }
  | { media: Buffer; msgtype: 'voice' | 'video' | 'file'; contentType: string; filename?: string }
  | { msgtype: string; payload: object };

export interface FakeWecom {
  url: string;
  corpId: string;
  secret: string;
  callbackToken: string;
  encodingAesKey: string;
  agentId: string;
  /** Crypto configured like the bridge should be (token, key, corp id). */
  crypto: WecomCrypto;
  sent: SentRecord[];
  calls: CallRecord[];
  close(): Promise<void>;
  setCallbackUrl(url: string): void;
  /** managePrivilege false: listed, but not managed by this app (manage_privilege false). */
  addAccount(openKfId: string, name: string, opts?: { managePrivilege?: boolean }): void;
  /** Setup walls: gettoken answers `errcode` (60020 carries "from ip: <fromIp>", like WeCom's errmsg); null restores. */
  failGettoken(errcode: number | null, opts?: { fromIp?: string }): void;
  /** kf/account/list answers `errcode` (e.g. 48002: the app may not manage kf accounts); null restores. */
  failAccountList(errcode: number | null, opts?: { fromIp?: string }): void;
  customerSends(
    openKfId: string,
    externalUserId: string,
    content: CustomerContent,
    opts?: { origin?: 3 | 5; notify?: boolean; sendTime?: number; servicerUserId?: string },
  ): Promise<string>;
  addEvent(openKfId: string, event: Record<string, unknown>, opts?: { notify?: boolean }): Promise<string>;
  deliverCallback(openKfId: string, opts?: { times?: number }): Promise<number[]>;
  /**
   * The same callback, signed and encrypted now and POSTed when `send` is called: a load generator
   * times the ack from the moment the request leaves, not from before its own crypto.
   */
  prepareCallback(openKfId: string): { send(opts?: { times?: number }): Promise<number[]> };
  urlVerification(): Promise<{ status: number; body: string; expected: string }>;
  sentTo(externalUserId: string): SentRecord[];
  failNextSends(n: number, mode: FaultMode): void;
  failNextSyncs(n: number, mode: FaultMode): void;
  expireAllTokens(): void;
  setLatency(ms: number): void;
  replayNextSync(): void;
  setSessionState(openKfId: string, externalUserId: string, state: number): void;
  getSessionState(openKfId: string, externalUserId: string): number;
  /** Issues a sync_msg Token without a callback (e.g. to test sync directly). */
  issueSyncToken(openKfId: string): string;
  /** WeCom forgets media as it does after 3 days: media/get then answers 40007. All media stored so far, or one id. */
  expireMedia(mediaId?: string): void;
  /** What media/upload stored under `mediaId` (a reply's image or voice), if anything. */
  uploaded(mediaId: string): { data: Buffer; contentType: string; type: string } | undefined;
  /** What customer/batchget answers for this customer (else a made-up nickname and avatar). */
  setProfile(externalUserId: string, profile: { nickname: string; avatar: string }): void;
  /** sync_msg answers `errcode` for every account (60020 carries "from ip: <fromIp>"); null restores. */
  failSync(errcode: number | null, opts?: { fromIp?: string }): void;
  /** Group robots (群机器人, where alerts go). */
  robots: {
    /** Creates a robot; returns its webhook URL (`…/cgi-bin/webhook/send?key=<key>`). */
    add(key?: string): string;
    /** Every message a robot accepted, oldest first. */
    received: RobotMessage[];
    /** The next n sends fail with this errcode, or HTTP 502. */
    failNext(n: number, fault: RobotFault): void;
  };
}

function toMessage(
  state: FakeState,
  openKfId: string,
  externalUserId: string,
  content: CustomerContent,
  origin: number,
  sendTime: number,
  servicer?: string,
): KfMessage {
  const base = {
    msgid: newMsgId(),
    open_kfid: openKfId,
    external_userid: externalUserId,
    send_time: sendTime,
    origin,
  };
  const withServicer = origin === 5 ? { servicer_userid: servicer ?? 'servicer' } : {};
  if ('text' in content)
    return { ...base, ...withServicer, msgtype: 'text', text: { content: content.text } };
  if ('image' in content) {
    const mediaId = storeMedia(state, 'image', content.image, content.contentType);
    return { ...base, ...withServicer, msgtype: 'image', image: { media_id: mediaId } };
  }
  if ('media' in content) {
    const mediaId = storeMedia(state, content.msgtype, content.media, content.contentType, content.filename);
    return { ...base, ...withServicer, msgtype: content.msgtype, [content.msgtype]: { media_id: mediaId } };
  }
  return { ...base, ...withServicer, msgtype: content.msgtype, [content.msgtype]: content.payload };
}

export async function startFakeWecom(opts: FakeWecomOptions = {}): Promise<FakeWecom> {
  const now = opts.now ?? Date.now;
  const state = new FakeState(now);
  const faults = new Faults(opts.hangMs ?? 30_000);
  const corpId = opts.corpId ?? newCorpId();
  const secret = opts.secret ?? generateToken() + generateToken().slice(0, 11);
  const callbackToken = opts.callbackToken ?? generateToken();
  const encodingAesKey = opts.encodingAesKey ?? generateEncodingAesKey();
  const agentId = opts.agentId ?? '1000002';
  const crypto = new WecomCrypto(callbackToken, encodingAesKey, corpId);
  const callbackTimeoutMs = opts.callbackTimeoutMs ?? CALLBACK_TIMEOUT_MS;
  state.callbackUrl = opts.callbackUrl;

  const robots = new Robots();
  const app = buildApp(
    state,
    faults,
    { corpId, secret, tokenTtlSec: opts.tokenTtlSec ?? ACCESS_TOKEN_TTL_S },
    {
      allowSyncWithoutToken: opts.allowSyncWithoutToken ?? false,
    },
    robots,
  );
  const issueSyncToken = (openKfId: string): string => {
    const token = newCallbackToken();
    state.callbackTokens.set(token, { expiresAt: now() + CALLBACK_TOKEN_TTL_MS, openKfId });
    return token;
  };

  /** The customer's message lands in the account's log; it opens the reply window like WeCom does. */
  const recordCustomerMessage = (
    openKfId: string,
    externalUserId: string,
    content: CustomerContent,
    o: { origin?: 3 | 5; sendTime?: number; servicerUserId?: string } = {},
  ): string => {
    if (!state.accounts.has(openKfId)) state.accounts.set(openKfId, { name: openKfId });
    const origin = o.origin ?? 3;
    const sendTimeS = o.sendTime ?? Math.floor(now() / 1000);
    const msg = toMessage(state, openKfId, externalUserId, content, origin, sendTimeS, o.servicerUserId);
    state.log(openKfId).push({ msg, at: sendTimeS * 1000 });
    if (origin === 3) {
      // The customer writing opens the reply window, resets the 5-message quota and reopens ended sessions.
      const session = state.ensureSession(openKfId, externalUserId);
      if (session.state === 4) session.state = 0;
      session.sendsSinceCustomer = 0;
      session.lastCustomerAt = sendTimeS * 1000;
    }
    return msg.msgid;
  };
  registerControl(app, state, {
    async customerWrites(openKfId, externalUserId, text) {
      return {
        msgid: recordCustomerMessage(openKfId, externalUserId, { text }),
        syncToken: issueSyncToken(openKfId),
      };
    },
  });
  // WeCom's API is a farm: 1,000 send_msg calls at once must not overflow a 511 backlog.
  const address = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0, backlog: 4096 });

  const prepareCallback = (openKfId: string) => {
    const url = state.callbackUrl;
    if (!url) throw new Error('fake wecom: no callback URL set (setCallbackUrl)');
    // One event, possibly delivered several times: duplicates must be harmless to the bridge.
    const signed = buildSignedCallback(
      crypto,
      corpId,
      kfEventXml(corpId, issueSyncToken(openKfId), openKfId, Math.floor(now() / 1000)),
      { agentId },
    );
    return {
      async send(o: { times?: number } = {}): Promise<number[]> {
        const statuses: number[] = [];
        for (let i = 0; i < (o.times ?? 1); i++)
          statuses.push(...(await postWithRetries(url, signed, callbackTimeoutMs)));
        return statuses;
      },
    };
  };
  const deliverCallback = async (openKfId: string, o: { times?: number } = {}): Promise<number[]> =>
    prepareCallback(openKfId).send(o);

  const addAccount = (openKfId: string, name: string, o: { managePrivilege?: boolean } = {}) => {
    state.accounts.set(openKfId, {
      name,
      ...(o.managePrivilege === undefined ? {} : { managePrivilege: o.managePrivilege }),
    });
  };
  const fault = (errcode: number | null, fromIp?: string) => {
    if (errcode === null) return undefined;
    const text = ERRMSG_TEXT[errcode] ?? 'error';
    return { errcode, errmsg: wecomErrmsg(errcode, text, fromIp) };
  };

  const fake: FakeWecom = {
    url: address,
    corpId,
    secret,
    callbackToken,
    encodingAesKey,
    agentId,
    crypto,
    sent: state.sent,
    calls: state.calls,
    async close() {
      faults.releaseAll();
      await app.close();
    },
    setCallbackUrl(url) {
      state.callbackUrl = url;
    },
    addAccount,
    failGettoken(errcode, o = {}) {
      state.gettokenError = fault(errcode, o.fromIp);
    },
    failAccountList(errcode, o = {}) {
      state.accountListError = fault(errcode, o.fromIp);
    },
    async customerSends(openKfId, externalUserId, content, o = {}) {
      const msgid = recordCustomerMessage(openKfId, externalUserId, content, o);
      if (o.notify !== false && state.callbackUrl) await deliverCallback(openKfId);
      return msgid;
    },
    async addEvent(openKfId, event, o = {}) {
      if (!state.accounts.has(openKfId)) addAccount(openKfId, openKfId);
      // Events carry open_kfid/external_userid only inside `event` (docs/protocol.md §sync_msg).
      const msg: KfMessage = {
        msgid: newMsgId(),
        send_time: Math.floor(now() / 1000),
        origin: 4,
        msgtype: 'event',
        event: event as KfMessage['event'],
      };
      state.log(openKfId).push({ msg, at: now() });
      const welcome = event.welcome_code;
      if (typeof welcome === 'string' && typeof event.external_userid === 'string') {
        state.msgCodes.set(welcome, {
          openKfId,
          externalUserId: event.external_userid,
          kind: 'welcome',
          expiresAt: now() + 20_000,
          allowMenu: true,
        });
      }
      // A servicer ending (3) or taking (1) a session: its msg_code answers once, in the state it
      // leaves the session in (ended: 20 s, a menu allowed; taken: 48 h, text only; §send_msg_on_event).
      const code = event.msg_code;
      const ct = Number(event.change_type);
      if (
        event.event_type === 'session_status_change' &&
        typeof code === 'string' &&
        typeof event.external_userid === 'string' &&
        (ct === 1 || ct === 3)
      ) {
        const target = ct === 3 ? 4 : 3;
        state.ensureSession(openKfId, event.external_userid).state = target;
        state.msgCodes.set(code, {
          openKfId,
          externalUserId: event.external_userid,
          state: target,
          kind: 'state',
          expiresAt: now() + (ct === 3 ? 20_000 : 48 * 3600_000),
          allowMenu: ct === 3,
        });
      }
      if (o.notify !== false && state.callbackUrl) await deliverCallback(openKfId);
      return msg.msgid;
    },
    deliverCallback,
    prepareCallback,
    async urlVerification() {
      if (!state.callbackUrl) throw new Error('fake wecom: no callback URL set (setCallbackUrl)');
      return verifyUrl(state.callbackUrl, crypto, callbackTimeoutMs);
    },
    sentTo: (externalUserId) => state.sent.filter((s) => s.touser === externalUserId),
    failNextSends: (n, mode) => faults.add('send', n, mode),
    failNextSyncs: (n, mode) => faults.add('sync', n, mode),
    expireAllTokens: () => expireAllTokens(state),
    setLatency(ms) {
      state.latencyMs = ms;
    },
    replayNextSync() {
      state.replayNext = true;
    },
    setSessionState(openKfId, externalUserId, s) {
      state.ensureSession(openKfId, externalUserId).state = s;
    },
    getSessionState: (openKfId, externalUserId) => state.session(openKfId, externalUserId)?.state ?? 4,
    issueSyncToken,
    expireMedia(mediaId) {
      for (const [id, m] of state.media) if (mediaId === undefined || id === mediaId) m.createdAt = -Infinity;
    },
    uploaded(mediaId) {
      const m = state.media.get(mediaId);
      return m && { data: m.data, contentType: m.contentType, type: m.type };
    },
    setProfile(externalUserId, profile) {
      state.profiles.set(externalUserId, profile);
    },
    failSync(errcode, o = {}) {
      state.syncError = fault(errcode, o.fromIp);
    },
    robots: {
      add(
        key = `${generateToken().slice(0, 8)}-${generateToken().slice(0, 4)}-${generateToken().slice(0, 12)}`,
      ) {
        robots.keys.add(key);
        return `${address}${ROBOT_PATH}?key=${encodeURIComponent(key)}`;
      },
      received: robots.received,
      failNext(n, f) {
        for (let i = 0; i < n; i++) robots.faults.push(f);
      },
    },
  };
  return fake;
}
