/**
 * Everything the fake Coze remembers: conversations, chats (runs), files, recorded requests and
 * the test's scripted behaviour (responder, queued failures, latency). Routes read and mutate it;
 * the control API in index.ts exposes it.
 */
import type { FakeOAuthApp } from './oauth.js';
import { defaultResponder } from './responder.js';
import { FAKE_VOICE_ID } from './routes/speech.js';
import type {
  FailMode,
  ThrottleAs,
  ThrottleRule,
  RecordedChat,
  Responder,
  StoredConversation,
  StoredFile,
  StoredMessage,
} from './types.js';

export type ChatStatus = 'created' | 'in_progress' | 'completed' | 'failed' | 'requires_action' | 'canceled';

/** One chat as Coze tracks it (the Chat object of docs/protocol.md §coze-chat) plus what the fake needs to drive it. */
export interface ChatRun {
  id: string;
  conversationId: string;
  botId?: string;
  workflowId?: string;
  workflow: boolean;
  sectionId: string;
  createdAt: number;
  completedAt?: number;
  failedAt?: number;
  status: ChatStatus;
  lastError: { code: number; msg: string };
  usage: { token_count: number; output_count: number; input_count: number };
  /** Output messages of the chat (answers, verbose, follow_up, …) for /v3/chat/message/list. */
  messages: StoredMessage[];
  /** The query messages, persisted with the answers when auto_save_history is on. */
  inputs: StoredMessage[];
  autoSaveHistory: boolean;
  /** Aborted on cancel, client disconnect or server close: the run stops at its next step. */
  stop: AbortController;
}

const ACTIVE: ReadonlySet<ChatStatus> = new Set(['created', 'in_progress']);

export class FakeState {
  readonly chats: RecordedChat[] = [];
  readonly conversations = new Map<string, StoredConversation>();
  readonly files = new Map<string, StoredFile>();
  readonly runs = new Map<string, ChatRun>();
  maxConcurrentSeen = 0;
  latencyMs = 0;
  responder: Responder = defaultResponder;
  /** /v1/audio/transcriptions: text for a file, or null for "unsupported format" (4303). Coze takes ogg, mp3 and wav. */
  transcriber: (file: { name: string; data: Buffer }) => string | null = (f) =>
    /^(OggS|ID3|RIFF)/.test(f.data.subarray(0, 4).toString('latin1')) ? `（语音转写）${f.name}` : null;
  /** /v1/audio/speech: the voices this account has (voice_id), and each text spoken. */
  readonly voiceIds = new Set<string>([FAKE_VOICE_ID]);
  readonly speeches: { input: string; voiceId: string }[] = [];
  private readonly failQueue: FailMode[] = [];
  private throttle?: { as: ThrottleAs; forMs?: number; until?: number; aboveConcurrent?: number };
  throttledChats = 0;
  // 19-digit snowflake-like ids, as strings (docs/protocol.md §coze-chat); start near real ones.
  private seq = 7382159487131697202n;

  /** Every request answers HTTP 502 from the gateway (Coze down) while set. */
  outage = false;
  /** Who made each request (the onRequest hook decides): the owner its conversations get. */
  private readonly owners = new WeakMap<object, string>();
  /** Requests refused for a bad or expired token (HTTP 401 / 4100). */
  authRefusals = 0;

  constructor(
    /** The accepted Bearer token; a test may change it (the owner's token revoked or expired). */
    public token: string | undefined,
    readonly botIds: ReadonlySet<string> | undefined,
    readonly unpublishedBotIds: ReadonlySet<string>,
    readonly workflowIds: ReadonlySet<string> | undefined,
    readonly oauth: FakeOAuthApp | undefined = undefined,
    readonly conversationOwner: 'account' | 'credential' = 'account',
  ) {}

  /**
   * Who an Authorization header is: 'token' (the personal access token), 'oauth:<app id>' (a live
   * token the app was issued), or undefined (refused).
   */
  principalOf(authorization: string | undefined): string | undefined {
    const bearer = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    if (!bearer) return undefined;
    if (this.token && bearer === this.token) return 'token';
    if (this.oauth?.accepts(bearer)) return `oauth:${this.oauth.appId}`;
    return undefined;
  }

  /**
   * The owner a principal's conversations get. 'account': one Coze account made the token and
   * authorized the app, and Coze keys conversations by account (docs/protocol.md
   * §coze-oauth-conversations), so either reaches the other's; 'credential': each only its own.
   */
  setRequestPrincipal(req: object, principal: string): void {
    this.owners.set(req, this.conversationOwner === 'account' ? 'account' : principal);
  }

  ownerOf(req: object): string {
    return this.owners.get(req) ?? 'account';
  }

  /** The conversation, if it exists and the request's credential may use it (else Coze says 4002). */
  reachable(conversationId: string | undefined, req: object): StoredConversation | undefined {
    const conv = conversationId ? this.conversations.get(conversationId) : undefined;
    return conv && (conv.owner ?? 'account') === this.ownerOf(req) ? conv : undefined;
  }

  nextId(): string {
    this.seq += BigInt(1 + Math.floor(Math.random() * 4096));
    return this.seq.toString();
  }

  /** A log id shaped like Coze's: yyyymmddHHMMSSmmm + 12 hex digits. */
  logid(): string {
    const d = new Date();
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}${p(d.getMilliseconds(), 3)}`;
    const hex = Array.from({ length: 12 }, () => Math.floor(Math.random() * 16).toString(16))
      .join('')
      .toUpperCase();
    return stamp + hex;
  }

  now(): number {
    return Math.floor(Date.now() / 1000);
  }

  createConversation(botId: string | undefined, owner: string): StoredConversation {
    const conv: StoredConversation = { id: this.nextId(), created_at: this.now(), messages: [], owner };
    if (botId) conv.botId = botId;
    this.conversations.set(conv.id, conv);
    return conv;
  }

  failNext(n: number, mode: FailMode): void {
    for (let i = 0; i < n; i++) this.failQueue.push(mode);
  }

  setThrottle(rule: ThrottleRule | null): void {
    this.throttle = rule
      ? {
          as: rule.as,
          ...(rule.forMs !== undefined ? { forMs: rule.forMs } : {}),
          ...(rule.aboveConcurrent !== undefined ? { aboveConcurrent: rule.aboveConcurrent } : {}),
        }
      : undefined;
  }

  /** How this chat request is refused for load now, if it is (counted). */
  throttled(): ThrottleAs | undefined {
    const t = this.throttle;
    if (!t) return undefined;
    if (t.until !== undefined && Date.now() >= t.until) {
      this.throttle = undefined;
      return undefined;
    }
    if (t.aboveConcurrent !== undefined && this.runningChats() < t.aboveConcurrent) return undefined;
    if (t.forMs !== undefined && t.until === undefined) t.until = Date.now() + t.forMs;
    this.throttledChats++;
    return t.as;
  }

  takeFailure(): FailMode | undefined {
    return this.failQueue.shift();
  }

  /** The chat currently running in a conversation, if any (4016 guard). */
  activeRunIn(conversationId: string): ChatRun | undefined {
    for (const run of this.runs.values()) {
      if (run.conversationId === conversationId && ACTIVE.has(run.status)) return run;
    }
    return undefined;
  }

  isActive(run: ChatRun): boolean {
    return ACTIVE.has(run.status);
  }

  runningChats(): number {
    let n = 0;
    for (const run of this.runs.values()) if (ACTIVE.has(run.status)) n++;
    return n;
  }

  addRun(run: ChatRun): void {
    this.runs.set(run.id, run);
    this.maxConcurrentSeen = Math.max(this.maxConcurrentSeen, this.runningChats());
  }

  /** End a run. Only a completed run with auto_save_history leaves its turn in the conversation. */
  finish(
    run: ChatRun,
    status: Exclude<ChatStatus, 'created' | 'in_progress'>,
    lastError?: { code: number; msg: string },
  ): void {
    if (!ACTIVE.has(run.status)) return;
    run.status = status;
    if (status === 'failed') run.failedAt = this.now();
    else run.completedAt = this.now();
    if (lastError) run.lastError = lastError;
    if (status === 'completed' && run.autoSaveHistory) {
      const conv = this.conversations.get(run.conversationId);
      conv?.messages.push(...run.inputs, ...run.messages.filter((m) => m.type === 'answer'));
    }
    run.stop.abort();
  }

  /** Server shutdown: stop every run so no timer outlives the server. */
  stopAll(): void {
    for (const run of this.runs.values()) if (ACTIVE.has(run.status)) this.finish(run, 'canceled');
  }
}
