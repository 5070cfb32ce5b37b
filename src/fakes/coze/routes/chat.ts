/**
 * Chat v3 routes (docs/protocol.md §coze-chat, §coze-messages): `/v3/chat` (stream and non-stream), retrieve (GET and POST: the SDKs
 * send POST), message list, cancel. conversation_id is read from the QUERY only, like the real
 * service, which silently ignores it in the body and starts a new conversation.
 */
import type { FastifyInstance } from 'fastify';
import { startChat } from '../chat-start.js';
import { fail, ok } from '../envelope.js';
import { parseAdditionalMessages } from '../messages.js';
import { chatObject, messageObject } from '../run.js';
import type { FakeState } from '../state.js';
import type { RecordedChat, RecordedMessage } from '../types.js';

type Query = Record<string, string | undefined>;
type Body = Record<string, unknown> | undefined;

/** A file_id must name a file this account uploaded (docs/protocol.md §coze-files). */
export function unknownFileId(state: FakeState, messages: RecordedMessage[]): string | undefined {
  for (const m of messages) {
    if (typeof m.content === 'string') continue;
    for (const it of m.content) if (it.file_id && !state.files.has(it.file_id)) return it.file_id;
  }
  return undefined;
}

export function registerChatRoutes(app: FastifyInstance, state: FakeState): void {
  app.post('/v3/chat', async (req, reply) => {
    const q = req.query as Query;
    const b = (req.body ?? {}) as Record<string, unknown>;
    const botId = typeof b.bot_id === 'string' ? b.bot_id : undefined;
    if (!botId) return fail(reply, 4000, 'bot_id is required');
    if (state.unpublishedBotIds.has(botId))
      return fail(reply, 4015, 'The Bot is not currently published to the corresponding platform');
    if (state.botIds && !state.botIds.has(botId))
      return fail(reply, 4006, 'invalid bot: bot not found or no access');
    const userId = typeof b.user_id === 'string' ? b.user_id : undefined;
    if (!userId) return fail(reply, 4000, 'user_id is required');
    const stream = b.stream === true;
    const autoSave = b.auto_save_history !== false;
    if (!stream && !autoSave) return fail(reply, 4007, 'auto_save_history must be true when stream is false');
    const parsed = parseAdditionalMessages(b.additional_messages, 100, false);
    if (!parsed.ok) return fail(reply, parsed.code, parsed.msg);
    const missing = unknownFileId(state, parsed.messages);
    if (missing) return fail(reply, 4000, `file ${missing} not found`);

    let conversationId = q.conversation_id;
    if (conversationId) {
      if (!state.reachable(conversationId, req)) return fail(reply, 4002, 'conversation not found');
      if (state.activeRunIn(conversationId))
        return fail(
          reply,
          4016,
          'There is already a chat in progress in this conversation. Please wait for it to finish or cancel it.',
        );
    } else {
      conversationId = state.createConversation(botId, state.ownerOf(req)).id;
    }

    const rec: RecordedChat = {
      chatId: state.nextId(),
      endpoint: '/v3/chat',
      botId,
      userId,
      conversationId,
      sentConversationId: {},
      stream,
      autoSaveHistory: autoSave,
      messages: parsed.messages,
      at: Date.now(),
    };
    if (q.conversation_id) rec.sentConversationId.query = q.conversation_id;
    if (typeof b.conversation_id === 'string') rec.sentConversationId.body = b.conversation_id;
    return startChat(state, reply, rec);
  });

  const retrieve = async (req: { query: unknown }, reply: Parameters<typeof fail>[0]) => {
    const q = req.query as Query;
    const run = q.chat_id ? state.runs.get(q.chat_id) : undefined;
    if (!run || run.conversationId !== q.conversation_id || !state.reachable(run.conversationId, req))
      return fail(reply, 4001, 'chat not found');
    return ok(reply, chatObject(run));
  };
  app.get('/v3/chat/retrieve', retrieve);
  app.post('/v3/chat/retrieve', retrieve);

  const listChatMessages = async (req: { query: unknown }, reply: Parameters<typeof fail>[0]) => {
    const q = req.query as Query;
    const run = q.chat_id ? state.runs.get(q.chat_id) : undefined;
    if (!run || run.conversationId !== q.conversation_id || !state.reachable(run.conversationId, req))
      return fail(reply, 4001, 'chat not found');
    return ok(
      reply,
      run.messages.map((m) => messageObject(run, m)),
    );
  };
  app.get('/v3/chat/message/list', listChatMessages);
  app.post('/v3/chat/message/list', listChatMessages);

  app.post('/v3/chat/cancel', async (req, reply) => {
    const b = (req.body ?? {}) as Body;
    const run = typeof b?.chat_id === 'string' ? state.runs.get(b.chat_id) : undefined;
    if (!run || run.conversationId !== b?.conversation_id || !state.reachable(run.conversationId, req))
      return fail(reply, 4001, 'chat not found');
    if (!state.isActive(run)) return fail(reply, 4104, 'chat cannot be canceled: it is no longer running');
    state.finish(run, 'canceled');
    return ok(reply, chatObject(run));
  });
}
