/** Public shapes of the fake Coze server (see index.ts) and what it records. */
import type { ObjectStringItem } from '../../coze/types.js';
import type { TokenRequest } from './oauth.js';

export interface FakeCozeOptions {
  /** The personal access token accepted (besides the OAuth app's tokens); anything else gets HTTP 401 / 4100. */
  token?: string;
  /**
   * An OAuth service app (docs/protocol.md §coze-oauth-jwt): the token endpoint accepts JWTs signed
   * with the private key of `publicKey` (PEM) under `keyId`, issued by `appId`, and its tokens work
   * until they expire. `tokenLifetimeS` fixes their lifetime (else the duration_seconds asked for).
   */
  oauth?: { appId: string; keyId: string; publicKey: string; tokenLifetimeS?: number };
  /**
   * Whose conversations a credential reaches: 'account' (default: the token and the app belong to one
   * Coze account, which owns the conversations) or 'credential' (each only those it made; 4002 otherwise).
   */
  conversationOwner?: 'account' | 'credential';
  /** Published bots. Omitted → any bot id is accepted. */
  botIds?: string[];
  /** Bots that exist but are not published to the API channel → 4015. */
  unpublishedBotIds?: string[];
  /** Bots whose metadata the token may not read (GET /v1/bots/:id → 4101); chat still works. */
  metadataDeniedBotIds?: string[];
  /** Known chatflows. Omitted → any workflow id is accepted. */
  workflowIds?: string[];
  port?: number;
  host?: string;
}

/** One additional_messages item as received; object_string content is parsed into its items. */
export interface RecordedMessage {
  role: string;
  type?: string;
  content: string | ObjectStringItem[];
  content_type: string;
}

/** One accepted chat request (passed validation; failNext modes still record). */
export interface RecordedChat {
  chatId: string;
  endpoint: '/v3/chat' | '/v1/workflows/chat';
  botId?: string;
  workflowId?: string;
  appId?: string;
  userId: string;
  /** The conversation the chat ran in (created when none was given). */
  conversationId: string;
  /** Where the caller put conversation_id, exactly as sent: lets tests check query vs body placement. */
  sentConversationId: { query?: string; body?: string };
  stream: boolean;
  autoSaveHistory: boolean;
  messages: RecordedMessage[];
  /** ms since epoch. */
  at: number;
}

export type FakeAnswer =
  | string
  | {
      /** Several answer messages (workflow output nodes); `text` is a single one. */
      answers?: string[];
      text?: string;
      /** Reasoning ("deep thinking") streamed as reasoning_content before the first answer. */
      reasoning?: string;
      followUps?: string[];
      /** knowledge-recall messages emitted before the answer (must never reach the customer). */
      knowledge?: string[];
      /** A plugin call (function_call + tool_response messages) before the answer. */
      toolCall?: { name: string; output: string };
      /** A card answer (content_type card) after the text answers. */
      card?: boolean;
      /** Wait before the first delta (slow first token). */
      delayMs?: number;
      /** Wait between deltas. */
      chunkDelayMs?: number;
    };

export type Responder = (chat: RecordedChat) => FakeAnswer | Promise<FakeAnswer>;

export type FailMode =
  | 'http500'
  | 'code5000'
  | 'chat.failed'
  | 'error-event-midstream'
  | 'hang'
  | 'html504'
  | 'rate_limit'
  /** The stream starts, then chat.failed with last_error 4013 (the model refused for load). */
  | 'rate_limit.sse';

/**
 * How a throttled chat is refused: 4013 in a JSON body before any stream (HTTP 200, as Coze reports
 * business errors), 4013 as the chat's last_error inside the SSE stream, or HTTP 429.
 */
export type ThrottleAs = 'code4013' | 'sse4013' | 'http429';

/** Coze throttling for a while: every chat request while it lasts, or only those above a number running. */
export interface ThrottleRule {
  as: ThrottleAs;
  /**
   * Lasts this long from the first chat it refuses (a loaded test machine may take seconds to send
   * the first one); omitted → until cleared.
   */
  forMs?: number;
  /** Only refuse a chat when at least this many chats are already running (a plan's concurrency cap). */
  aboveConcurrent?: number;
}

export interface StoredMessage {
  id: string;
  role: string;
  type: string;
  content: string;
  content_type: string;
  chat_id?: string;
  created_at: number;
}

export interface StoredConversation {
  id: string;
  botId?: string;
  /** Whose it is: 'account', or the credential that made it ('token', 'oauth:<app id>'). */
  owner?: string;
  created_at: number;
  messages: StoredMessage[];
}

export interface StoredFile {
  id: string;
  name: string;
  bytes: number;
  contentType?: string;
  data: Buffer;
  created_at: number;
}

export interface FakeCoze {
  url: string;
  close(): Promise<void>;
  chats: RecordedChat[];
  conversations: Map<string, StoredConversation>;
  files: Map<string, StoredFile>;
  setResponder(fn: Responder): void;
  failNext(n: number, mode: FailMode): void;
  setLatency(ms: number): void;
  /** Speech to text: return the text, or null to refuse the format (4303). */
  setTranscriber(fn: (file: { name: string; data: Buffer }) => string | null): void;
  /** Every text /v1/audio/speech spoke, with the voice asked for. */
  readonly speeches: readonly { input: string; voiceId: string }[];
  deleteConversation(id: string): void;
  runningChats(): number;
  readonly maxConcurrentSeen: number;
  /** Refuse chats for load (see ThrottleRule); null ends the throttling at once. */
  setThrottle(rule: ThrottleRule | null): void;
  /** Chat requests refused by the throttle so far. */
  readonly throttledChats: number;
  /** Accept only this Bearer token from now on (anything else: HTTP 401 / 4100, as for a revoked token). */
  setToken(token: string): void;
  /** While on, every request gets the gateway's HTTP 502 page (Coze down). */
  setOutage(on: boolean): void;
  /** Requests refused for a bad or expired Bearer token (HTTP 401 / 4100). */
  readonly authRefusals: number;
  /** OAuth: access tokens issued so far. */
  readonly oauthTokensIssued: number;
  /** OAuth: every token endpoint request, with the JWT it carried decoded and the outcome. */
  readonly tokenRequests: TokenRequest[];
  /** OAuth: issued tokens live this long from now on (s); undefined: what each request asks. */
  setTokenLifetime(seconds: number | undefined): void;
  /** OAuth: every token issued so far stops working now (Coze answers 4100 to it). */
  expireOAuthTokens(): void;
}
