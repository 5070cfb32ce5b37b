/**
 * Shapes of the Coze client's public API (what callers pass and get back) and of the
 * wire objects it reads (docs/protocol.md §coze-chat, §coze-messages, §coze-sse). Wire types list only the fields we use; Coze adds
 * fields freely, so nothing here is exhaustive.
 */
import type { Logger } from '../log/logger.js';
import type { CozeAuth } from './auth.js';

/** Which Coze runnable answers: a published bot (`/v3/chat`) or a chatflow (`/v1/workflows/chat`). */
export type ChatTarget =
  | { kind: 'bot'; botId: string }
  /** A chatflow inside an app (appId) or attached to a bot (botId); Coze rejects both at once (4000). */
  | { kind: 'chatflow'; workflowId: string; appId?: string; botId?: string };

/** One item of `additional_messages` (docs/protocol.md §coze-chat). object_string content is the JSON string of the item array (docs/protocol.md §coze-files). */
export interface EnterMessage {
  role: 'user' | 'assistant';
  type?: 'question' | 'answer';
  content: string;
  content_type: 'text' | 'object_string';
}

/** One element of an object_string array (docs/protocol.md §coze-files). */
export interface ObjectStringItem {
  type: 'text' | 'image' | 'file' | 'audio';
  text?: string;
  file_id?: string;
  file_url?: string;
}

export interface ChatRequest {
  target: ChatTarget;
  /** Caller-defined end-user id; Coze isolates bot memory/variables per user_id. */
  userId: string;
  /** Continue this conversation; omitted → Coze creates a new one (reported in `chat.created`). */
  conversationId?: string;
  messages: EnterMessage[];
  /** Persist query + answer in the conversation. Default true. */
  autoSaveHistory?: boolean;
  /** Aborts the HTTP request; the stream then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface Usage {
  input: number;
  output: number;
  total: number;
}

/** What `CozeClient.stream` yields. Failures are thrown as CozeError, never yielded. */
export type ChatEvent =
  | { type: 'chat.created'; chatId: string; conversationId: string }
  /** An increment of an answer message; `reasoning` is the reasoning_content increment ('' when none). */
  | { type: 'delta'; messageId: string; content: string; reasoning: string }
  /** A finished answer message (text only; card answers are skipped). */
  | { type: 'answer'; messageId: string; content: string; reasoning?: string }
  | { type: 'follow_up'; content: string }
  /**
   * Terminal success. `requiresAction` is set when the chat stopped at `requires_action`
   * (chatflow question node, client-side plugin): the answers so far are all there is this turn.
   */
  | { type: 'completed'; usage: Usage; requiresAction?: boolean };

export interface ChatResult {
  /** The answer messages' contents joined by a blank line, in the order they started. */
  text: string;
  answers: string[];
  /** Reasoning ("deep thinking") text of all answers, joined by a blank line. */
  reasoning: string;
  followUps: string[];
  chatId: string;
  conversationId: string;
  usage: Usage;
  requiresAction?: boolean;
}

export interface CozeClientOptions {
  /** e.g. https://api.coze.cn (no trailing path). */
  baseUrl: string;
  /** A personal or service access token; or `auth`, which hands out tokens (an OAuth app's). */
  token?: string;
  auth?: CozeAuth;
  logger?: Logger;
  /** Longest silence allowed while waiting on Coze (headers, or between stream chunks). Default 60000. */
  timeoutMs?: number;
  /** TCP+TLS connect timeout. Default 10000. */
  connectTimeoutMs?: number;
  /**
   * Told the outcome of every call (`codeOfOutcome`): for /metrics; must be cheap and must not throw.
   * `call` is the endpoint (chat, workflow_chat, or the path without ids).
   */
  onCall?: (call: string, code: string) => void;
}

export interface UploadedFile {
  id: string;
  bytes: number;
  fileName: string;
}

export interface CozeUser {
  user_id: string;
  user_name?: string;
  nick_name?: string;
  avatar_url?: string;
}

export interface CozeBotInfo {
  bot_id: string;
  name: string;
  description?: string;
}

// ---- wire objects -------------------------------------------------------------------------

export interface WireUsage {
  token_count?: number;
  output_count?: number;
  input_count?: number;
}

/** The Chat object: `/v3/chat` data and the payload of `conversation.chat.*` events. */
export interface WireChat {
  id: string;
  conversation_id: string;
  bot_id?: string;
  status?: string;
  last_error?: { code: number; msg: string } | null;
  usage?: WireUsage;
  section_id?: string;
}

/** The Message object: list items and the payload of `conversation.message.*` events. */
export interface WireMessage {
  id: string;
  conversation_id?: string;
  chat_id?: string;
  role?: string;
  type?: string;
  content?: string;
  content_type?: string;
  reasoning_content?: string;
}
