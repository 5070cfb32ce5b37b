/**
 * Turns Coze chat SSE events (docs/protocol.md §coze-sse, same catalogue for `/v3/chat` and `/v1/workflows/chat`)
 * into the few ChatEvents wxcoze cares about. Only `answer` messages become text: verbose,
 * knowledge, function_call and tool output payloads are JSON meant for debugging and must never
 * reach a customer (a classic bridge bug, docs/protocol.md §coze-pitfalls 5). Failures are thrown as CozeError.
 */
import type { Logger } from '../log/logger.js';
import { CozeError, kindOf } from './errors.js';
import { isRecord, num, parseCozeJson, str } from './json.js';
import type { SseEvent } from './sse.js';
import type { ChatEvent, Usage, WireChat, WireMessage } from './types.js';

export function usageOf(chat: WireChat | undefined): Usage {
  const u = chat?.usage;
  return { input: num(u?.input_count), output: num(u?.output_count), total: num(u?.token_count) };
}

export class ChatEventInterpreter {
  chatId = '';
  conversationId = '';
  /** chat.completed / requires_action seen: the answer is complete. */
  finished = false;
  /** `done` seen (the server's last word). */
  done = false;
  /** Coze itself ended the chat (completed, failed, error event): nothing left to cancel. */
  ended = false;
  private announced = false;

  constructor(
    private readonly log: Logger,
    readonly logid?: string,
  ) {}

  /** Events to yield for one SSE event; throws CozeError for chat.failed and `error`. */
  handle(sse: SseEvent): ChatEvent[] {
    const name = sse.event;
    if (name === 'done' || name === 'Done') {
      // Payload varies ("[DONE]", [DONE], {debug_url}, {}), and carries nothing we need.
      this.done = true;
      return [];
    }
    if (this.finished) {
      this.log.debug({ event: name, logid: this.logid }, 'coze: event after chat end ignored');
      return [];
    }
    if (
      name === 'error' ||
      name === 'Error' ||
      name === 'conversation.chat.failed' ||
      name === 'conversation.chat.canceled'
    )
      this.ended = true;
    switch (name) {
      case 'error':
      case 'Error':
        throw this.errorEvent(sse.data);
      case 'conversation.chat.created':
      case 'conversation.chat.in_progress':
        return this.announce(this.parseChat(sse));
      case 'conversation.chat.completed': {
        const chat = this.parseChat(sse);
        this.finished = this.ended = true;
        return [...this.announce(chat), { type: 'completed', usage: usageOf(chat) }];
      }
      case 'conversation.chat.requires_action': {
        // Chatflow question/input nodes and client-side plugins stop here; the stream then ends
        // with `done`. What was answered so far is this turn's reply; the next user message continues.
        const chat = this.parseChat(sse);
        this.finished = this.ended = true;
        this.log.debug({ logid: this.logid, chatId: chat.id }, 'coze: chat stopped at requires_action');
        return [...this.announce(chat), { type: 'completed', usage: usageOf(chat), requiresAction: true }];
      }
      case 'conversation.chat.failed': {
        const chat = this.parseChat(sse);
        const err = chat.last_error;
        throw new CozeError({
          kind: 'failed',
          code: num(err?.code),
          msg: str(err?.msg) || 'chat failed without last_error',
          logid: this.logid,
        });
      }
      case 'conversation.chat.canceled':
        // Not in the documented catalogue (cancel only flips state), but if Coze ever reports it,
        // the turn is over and retrying would contradict whoever canceled it.
        throw new CozeError({ kind: 'other', retriable: false, msg: 'chat was canceled', logid: this.logid });
      case 'conversation.message.delta':
        return this.delta(this.parseMessage(sse));
      case 'conversation.message.completed':
        return this.completedMessage(this.parseMessage(sse));
      default:
        // conversation.audio.delta, PING, and whatever Coze adds later: unknown events are not fatal (docs/protocol.md §coze-sse).
        this.log.debug({ event: name, logid: this.logid }, 'coze: stream event ignored');
        return [];
    }
  }

  private announce(chat: WireChat): ChatEvent[] {
    if (chat.id) this.chatId = chat.id;
    if (chat.conversation_id) this.conversationId = chat.conversation_id;
    if (this.announced || !this.chatId) return [];
    this.announced = true;
    return [{ type: 'chat.created', chatId: this.chatId, conversationId: this.conversationId }];
  }

  private delta(m: WireMessage): ChatEvent[] {
    // Deltas are answers in practice; a missing type is read as answer rather than dropping text.
    if (m.type !== undefined && m.type !== 'answer') return [];
    if (m.content_type === 'card' || m.content_type === 'audio') return [];
    const content = m.content ?? '';
    const reasoning = m.reasoning_content ?? '';
    if (!content && !reasoning) return [];
    return [{ type: 'delta', messageId: m.id, content, reasoning }];
  }

  private completedMessage(m: WireMessage): ChatEvent[] {
    if (m.type === 'answer') {
      if (m.content_type && m.content_type !== 'text') {
        // Cards are JSON for Coze's card renderer; the API channel cannot show them (docs/protocol.md §coze-answer-content).
        this.log.debug(
          { logid: this.logid, messageId: m.id, contentType: m.content_type },
          'coze: non-text answer skipped',
        );
        return [];
      }
      const e: ChatEvent = { type: 'answer', messageId: m.id, content: m.content ?? '' };
      if (m.reasoning_content) e.reasoning = m.reasoning_content;
      return [e];
    }
    if (m.type === 'follow_up') return m.content ? [{ type: 'follow_up', content: m.content }] : [];
    // verbose, knowledge, function_call, tool_response, tool_output: not for the customer.
    this.log.debug({ logid: this.logid, messageType: m.type }, 'coze: non-answer message ignored');
    return [];
  }

  private errorEvent(data: string): CozeError {
    let body: unknown;
    try {
      body = parseCozeJson(data);
    } catch {
      body = undefined;
    }
    // Chat streams send {code,msg}; workflow streams {error_code,error_message}; coze-py's fixture has {}.
    const rec = isRecord(body) ? body : {};
    const code = num(rec.code ?? rec.error_code);
    const msg =
      str(rec.msg ?? rec.error_message) ||
      (typeof body === 'string' ? body : data) ||
      'error event without details';
    return new CozeError({ code, msg, logid: this.logid, kind: code ? kindOf(code) : 'server' });
  }

  private parseJson(sse: SseEvent): Record<string, unknown> {
    let v: unknown;
    try {
      v = parseCozeJson(sse.data);
    } catch (cause) {
      throw new CozeError({
        kind: 'other',
        msg: `unparsable ${sse.event} event data: ${sse.data.slice(0, 200)}`,
        logid: this.logid,
        cause,
      });
    }
    if (!isRecord(v))
      throw new CozeError({
        kind: 'other',
        msg: `${sse.event} event data is not an object`,
        logid: this.logid,
      });
    return v;
  }

  private parseChat(sse: SseEvent): WireChat {
    const r = this.parseJson(sse);
    const le = isRecord(r.last_error)
      ? { code: num(r.last_error.code), msg: str(r.last_error.msg) ?? '' }
      : null;
    return {
      id: str(r.id) ?? '',
      conversation_id: str(r.conversation_id) ?? '',
      bot_id: str(r.bot_id),
      status: str(r.status),
      last_error: le,
      usage: isRecord(r.usage) ? (r.usage as WireChat['usage']) : undefined,
    };
  }

  private parseMessage(sse: SseEvent): WireMessage {
    const r = this.parseJson(sse);
    return {
      id: str(r.id) ?? '',
      conversation_id: str(r.conversation_id),
      chat_id: str(r.chat_id),
      role: str(r.role),
      type: str(r.type),
      content: typeof r.content === 'string' ? r.content : undefined,
      content_type: str(r.content_type),
      reasoning_content: typeof r.reasoning_content === 'string' ? r.reasoning_content : undefined,
    };
  }
}
