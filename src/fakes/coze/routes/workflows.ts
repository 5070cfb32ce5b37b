/**
 * Chatflow route `/v1/workflows/chat` (docs/protocol.md §coze-chatflow): stream only, conversation_id in the BODY,
 * exactly one of app_id / bot_id, chat SSE with a space after the colons, `done` = {debug_url}.
 */
import type { FastifyInstance } from 'fastify';
import { startChat } from '../chat-start.js';
import { fail } from '../envelope.js';
import { parseAdditionalMessages } from '../messages.js';
import type { FakeState } from '../state.js';
import type { RecordedChat } from '../types.js';
import { unknownFileId } from './chat.js';

export function registerWorkflowRoutes(app: FastifyInstance, state: FakeState): void {
  app.post('/v1/workflows/chat', async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const workflowId = typeof b.workflow_id === 'string' ? b.workflow_id : undefined;
    if (!workflowId) return fail(reply, 4000, 'workflow_id is required');
    if (state.workflowIds && !state.workflowIds.has(workflowId))
      return fail(reply, 4200, 'workflow not found or not published');
    const appId = typeof b.app_id === 'string' ? b.app_id : undefined;
    const botId = typeof b.bot_id === 'string' ? b.bot_id : undefined;
    if (appId && botId) return fail(reply, 4000, 'app_id and bot_id cannot both be set');
    if (!appId && !botId) return fail(reply, 4000, 'one of app_id or bot_id is required');
    const parsed = parseAdditionalMessages(b.additional_messages, 50, true);
    if (!parsed.ok) return fail(reply, parsed.code, parsed.msg);
    if (parsed.messages.length === 0) return fail(reply, 4000, 'additional_messages must not be empty');
    const missing = unknownFileId(state, parsed.messages);
    if (missing) return fail(reply, 4000, `file ${missing} not found`);

    const sent = typeof b.conversation_id === 'string' ? b.conversation_id : undefined;
    let conversationId = sent;
    if (conversationId) {
      if (!state.reachable(conversationId, req)) return fail(reply, 4002, 'conversation not found');
      if (state.activeRunIn(conversationId))
        return fail(reply, 4016, 'There is already a chat in progress in this conversation.');
    } else {
      conversationId = state.createConversation(botId, state.ownerOf(req)).id;
    }
    const ext = (typeof b.ext === 'object' && b.ext !== null ? b.ext : {}) as Record<string, unknown>;
    const rec: RecordedChat = {
      chatId: state.nextId(),
      endpoint: '/v1/workflows/chat',
      workflowId,
      userId: typeof ext.user_id === 'string' ? ext.user_id : '',
      conversationId,
      sentConversationId: {},
      stream: true,
      autoSaveHistory: true,
      messages: parsed.messages,
      at: Date.now(),
    };
    if (appId) rec.appId = appId;
    if (botId) rec.botId = botId;
    if (sent) rec.sentConversationId.body = sent;
    const q = req.query as Record<string, string | undefined>;
    if (q.conversation_id) rec.sentConversationId.query = q.conversation_id;
    return startChat(state, reply, rec);
  });
}
