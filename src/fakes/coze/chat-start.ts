/**
 * The part of `/v3/chat` and `/v1/workflows/chat` that is the same once the request is
 * validated: record it, apply a queued failure, create the run, then stream it or (stream=false)
 * answer with the in-progress Chat and let it finish in the background.
 */
import type { FastifyReply } from 'fastify';
import { fail, logidOf, ok } from './envelope.js';
import { planOf } from './responder.js';
import { chatObject, executeRun } from './run.js';
import { nullSink, SseWriter } from './sse-writer.js';
import type { ChatRun, FakeState } from './state.js';
import type { RecordedChat } from './types.js';

const HTML_504 = `<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n`;

export async function startChat(
  state: FakeState,
  reply: FastifyReply,
  rec: RecordedChat,
): Promise<FastifyReply | void> {
  // Refused for load before anything else: such a request is not a chat (not recorded).
  const throttled = state.throttled();
  if (throttled === 'http429') return fail(reply, 4013, 'Too many requests, please try again later', 429);
  if (throttled === 'code4013') return fail(reply, 4013, 'The model is busy, please try again later');
  state.chats.push(rec);
  const failure = throttled === 'sse4013' ? 'rate_limit.sse' : state.takeFailure();
  switch (failure) {
    case 'http500':
      return reply.code(500).type('text/plain').send('Internal Server Error');
    case 'html504':
      return reply.code(504).type('text/html').send(HTML_504);
    case 'code5000':
      return fail(reply, 5000, 'internal server error');
    case 'rate_limit':
      return fail(reply, 4013, 'The model is busy, please try again later');
    default:
      break;
  }

  const conv = state.conversations.get(rec.conversationId);
  const inputs = rec.messages.map((m) => ({
    id: state.nextId(),
    role: m.role,
    type: m.type ?? (m.role === 'user' ? 'question' : 'answer'),
    content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content),
    content_type: m.content_type,
    chat_id: rec.chatId,
    created_at: state.now(),
  }));
  const run: ChatRun = {
    id: rec.chatId,
    conversationId: rec.conversationId,
    workflow: rec.endpoint === '/v1/workflows/chat',
    sectionId: conv?.id ?? rec.conversationId,
    createdAt: state.now(),
    status: 'created',
    lastError: { code: 0, msg: '' },
    usage: { token_count: 0, output_count: 0, input_count: 0 },
    messages: [],
    inputs,
    autoSaveHistory: rec.autoSaveHistory,
    stop: new AbortController(),
  };
  if (rec.botId) run.botId = rec.botId;
  if (rec.workflowId) run.workflowId = rec.workflowId;
  state.addRun(run);

  let plan;
  try {
    plan = planOf(await state.responder(rec));
  } catch (err) {
    state.finish(run, 'failed', { code: 5000, msg: `responder threw: ${(err as Error).message}` });
    return fail(reply, 5000, 'internal server error');
  }

  if (!rec.stream) {
    // The answer is not in this response (docs/protocol.md §coze-messages): return the Chat, finish in the background.
    const pending = chatObject(run);
    pending.status = 'in_progress';
    executeRun(state, run, plan, failure, nullSink).catch((err: unknown) => {
      run.stop.abort();
      console.error('fake coze: background run failed', err);
    });
    return ok(reply, pending);
  }

  reply.hijack();
  const sink = new SseWriter(reply.raw, run.workflow, logidOf(reply), () => run.stop.abort());
  await executeRun(state, run, plan, failure, sink);
}
