/** Conversation routes (docs/protocol.md §coze-conversations): create, retrieve, message list (top-level data/first_id/last_id/has_more). */
import type { FastifyInstance } from 'fastify';
import { fail, ok } from '../envelope.js';
import { wireMessage } from '../run.js';
import type { FakeState } from '../state.js';
import type { StoredConversation } from '../types.js';

function conversationObject(c: StoredConversation): Record<string, unknown> {
  return {
    id: c.id,
    created_at: c.created_at,
    updated_at: c.created_at,
    meta_data: {},
    last_section_id: c.id,
    connector_id: '1024',
    creator_id: '7300000000000000001',
  };
}

export function registerConversationRoutes(app: FastifyInstance, state: FakeState): void {
  app.post('/v1/conversation/create', async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const botId = typeof b.bot_id === 'string' ? b.bot_id : undefined;
    const conv = state.createConversation(botId, state.ownerOf(req));
    if (Array.isArray(b.messages)) {
      for (const m of b.messages as Record<string, unknown>[]) {
        conv.messages.push({
          id: state.nextId(),
          role: String(m.role ?? 'user'),
          type: m.role === 'assistant' ? 'answer' : 'question',
          content: String(m.content ?? ''),
          content_type: String(m.content_type ?? 'text'),
          created_at: state.now(),
        });
      }
    }
    return ok(reply, conversationObject(conv));
  });

  app.get('/v1/conversation/retrieve', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const conv = state.reachable(q.conversation_id, req);
    if (!conv) return fail(reply, 4002, 'conversation not found');
    return ok(reply, conversationObject(conv));
  });

  app.post('/v1/conversation/message/list', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const conv = state.reachable(q.conversation_id, req);
    if (!conv) return fail(reply, 4002, 'conversation not found');
    const b = (req.body ?? {}) as Record<string, unknown>;
    const limit = Math.min(50, Math.max(1, Number(b.limit ?? 50) || 50));
    const ordered = b.order === 'asc' ? [...conv.messages] : [...conv.messages].reverse();
    const page = ordered
      .slice(0, limit)
      .map((m) => wireMessage(m, { conversationId: conv.id, chatId: m.chat_id, botId: conv.botId }));
    // Top-level pagination fields, not under data (docs/protocol.md §coze-envelope).
    return ok(reply, page, {
      first_id: page[0]?.id ?? '',
      last_id: page.at(-1)?.id ?? '',
      has_more: ordered.length > limit,
    });
  });
}
