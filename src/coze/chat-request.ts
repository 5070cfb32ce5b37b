/**
 * The HTTP shape of a chat turn. The two modes differ in exactly the way bridges get wrong
 * (docs/protocol.md §coze-pitfalls 2): `/v3/chat` takes conversation_id in the QUERY (in the body it is silently
 * ignored and every turn starts a new conversation), `/v1/workflows/chat` takes it in the BODY.
 */
import type { ChatRequest } from './types.js';

export interface ChatHttpRequest {
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown>;
}

export function buildChatRequest(req: ChatRequest): ChatHttpRequest {
  const additional_messages = req.messages.map((m) => {
    const out: Record<string, unknown> = { role: m.role, content: m.content, content_type: m.content_type };
    if (m.type) out.type = m.type;
    return out;
  });
  if (req.target.kind === 'bot') {
    const query: Record<string, string> = {};
    if (req.conversationId) query.conversation_id = req.conversationId;
    return {
      path: '/v3/chat',
      query,
      body: {
        bot_id: req.target.botId,
        user_id: req.userId,
        stream: true,
        auto_save_history: req.autoSaveHistory ?? true,
        additional_messages,
      },
    };
  }
  const t = req.target;
  const body: Record<string, unknown> = {
    workflow_id: t.workflowId,
    additional_messages,
    parameters: {},
    // user_id is one of the few ext keys Coze accepts; it isolates memory per end user as on /v3/chat.
    ext: { user_id: req.userId },
  };
  // Coze refuses app_id and bot_id together (4000); an app chatflow is identified by its app.
  if (t.appId) body.app_id = t.appId;
  else if (t.botId) body.bot_id = t.botId;
  if (req.conversationId) body.conversation_id = req.conversationId;
  return { path: '/v1/workflows/chat', query: {}, body };
}
