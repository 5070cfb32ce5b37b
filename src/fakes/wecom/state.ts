/**
 * Everything the fake remembers, in plain maps. Route files read and mutate it; the control API in
 * index.ts exposes parts of it to tests. One clock (`now`) drives every expiry so tests can time-travel.
 */
import type { KfMessage } from '../../wecom/types.js';

export const ACCESS_TOKEN_TTL_S = 7200;
export const CALLBACK_TOKEN_TTL_MS = 10 * 60_000;
export const REPLY_WINDOW_MS = 48 * 3600_000;
export const RETENTION_MS = 3 * 24 * 3600_000;
export const SENDS_PER_CUSTOMER_MESSAGE = 5;

export interface SentRecord {
  msgid: string;
  open_kfid: string;
  touser: string;
  msgtype: string;
  /** text content, for convenience in assertions. */
  content?: string;
  /** The msgtype payload object as received. */
  payload: unknown;
  at: number;
  via: 'send_msg' | 'send_msg_on_event';
}

export interface CallRecord {
  path: string;
  /** Query without access_token/corpsecret (the fake never echoes credentials either). */
  query?: Record<string, string>;
  body?: any;
  at: number;
}

export interface Session {
  state: number;
  servicerUserId?: string;
  /** Sends since the customer's last message (quota: 5). */
  sendsSinceCustomer: number;
  /** Epoch ms of the customer's last message (48-h window). */
  lastCustomerAt?: number;
}

export interface StoredMedia {
  data: Buffer;
  contentType: string;
  filename: string;
  type: string;
  createdAt: number;
}

export interface MsgCode {
  openKfId: string;
  externalUserId: string;
  /** Session state the code belongs to; undefined for welcome codes (docs/protocol.md §send_msg_on_event). */
  state?: number;
  kind: 'welcome' | 'state';
  expiresAt: number;
  allowMenu: boolean;
}

export interface LogEntry {
  msg: KfMessage;
  /** When appended (epoch ms), for the 3-day retention. */
  at: number;
}

export class FakeState {
  readonly accessTokens = new Map<string, { expiresAt: number; expired: boolean }>();
  readonly callbackTokens = new Map<string, { expiresAt: number; openKfId: string }>();
  readonly accounts = new Map<string, { name: string; managePrivilege?: boolean }>();
  /** Per open_kfid, append-only; the cursor is an index into it. */
  readonly logs = new Map<string, LogEntry[]>();
  readonly sessions = new Map<string, Session>();
  readonly media = new Map<string, StoredMedia>();
  /** Used send msgids per open_kfid (duplicate detection). */
  readonly usedMsgids = new Map<string, Set<string>>();
  readonly msgCodes = new Map<string, MsgCode>();
  readonly sent: SentRecord[] = [];
  readonly calls: CallRecord[] = [];
  /** Profiles customer/batchget answers (tests set them; others get a made-up one). */
  readonly profiles = new Map<string, { nickname: string; avatar: string }>();
  callbackUrl?: string;
  latencyMs = 0;
  replayNext = false;
  /** Setup-wall switches: gettoken / kf/account/list answer this error instead (60020 trusted IP, 48002, …). */
  gettokenError?: { errcode: number; errmsg: string };
  accountListError?: { errcode: number; errmsg: string };
  /** sync_msg answers this error for every account (60020 trusted IP, 48002, …). */
  syncError?: { errcode: number; errmsg: string };

  constructor(readonly now: () => number) {}

  log(openKfId: string): LogEntry[] {
    let log = this.logs.get(openKfId);
    if (!log) this.logs.set(openKfId, (log = []));
    return log;
  }

  session(openKfId: string, externalUserId: string): Session | undefined {
    return this.sessions.get(sessionKey(openKfId, externalUserId));
  }

  /** A customer who never wrote is in state 4 ("ended / not started", docs/protocol.md §service_state). */
  ensureSession(openKfId: string, externalUserId: string): Session {
    const key = sessionKey(openKfId, externalUserId);
    let s = this.sessions.get(key);
    if (!s) this.sessions.set(key, (s = { state: 4, sendsSinceCustomer: 0 }));
    return s;
  }

  msgidsOf(openKfId: string): Set<string> {
    let set = this.usedMsgids.get(openKfId);
    if (!set) this.usedMsgids.set(openKfId, (set = new Set()));
    return set;
  }
}

export function sessionKey(openKfId: string, externalUserId: string): string {
  return `${openKfId}\u0000${externalUserId}`;
}

/** An errmsg shaped like WeCom's: text, hint, the caller's IP, the lookup link (docs/protocol.md §wecom-http). */
export function wecomErrmsg(errcode: number, text: string, fromIp = '203.0.113.7'): string {
  return `${text}, hint: [${Date.now()}000123456], from ip: ${fromIp}, more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`;
}
