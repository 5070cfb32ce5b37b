/**
 * Drives one chat from created to done, in the event order real Coze uses (docs/protocol.md §coze-sse):
 * created → in_progress → [knowledge / function_call / tool_response] → (delta* → completed) per
 * answer → verbose generate_answer_finish → follow_up* → chat.completed → done. The same code
 * serves streams (events go to an SseWriter) and non-stream chats (events go nowhere, the state
 * is what /v3/chat/retrieve and message/list read). Scripted failures are injected here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnswerPlan } from './responder.js';
import type { RunSink } from './sse-writer.js';
import type { ChatRun, FakeState } from './state.js';
import type { FailMode, StoredMessage } from './types.js';

export function chatObject(run: ChatRun): Record<string, unknown> {
  const o: Record<string, unknown> = {
    id: run.id,
    conversation_id: run.conversationId,
    created_at: run.createdAt,
    last_error: run.lastError,
    meta_data: {},
    status: run.status,
    usage: run.usage,
    section_id: run.sectionId,
  };
  // Chatflow Chat objects carry no bot_id (docs/protocol.md §coze-chatflow).
  if (!run.workflow && run.botId) o.bot_id = run.botId;
  if (run.completedAt) o.completed_at = run.completedAt;
  if (run.failedAt) o.failed_at = run.failedAt;
  return o;
}

/** A stored message as Coze's Message object (stream events and message lists alike). */
export function wireMessage(
  m: StoredMessage,
  at: { conversationId: string; chatId?: string; sectionId?: string; botId?: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const o: Record<string, unknown> = {
    id: m.id,
    conversation_id: at.conversationId,
    ...(at.chatId !== undefined ? { chat_id: at.chatId } : {}),
    ...(at.sectionId !== undefined ? { section_id: at.sectionId } : {}),
    role: m.role,
    type: m.type,
    content: m.content,
    content_type: m.content_type,
    created_at: m.created_at,
    updated_at: m.created_at,
    meta_data: {},
    ...extra,
  };
  if (at.botId) o.bot_id = at.botId;
  return o;
}

export function messageObject(
  run: ChatRun,
  m: StoredMessage,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return wireMessage(
    m,
    {
      conversationId: run.conversationId,
      chatId: run.id,
      sectionId: run.sectionId,
      ...(!run.workflow && run.botId ? { botId: run.botId } : {}),
    },
    extra,
  );
}

/** Split text into small pieces by code point (never inside a UTF-16 surrogate pair), like token deltas. */
function chunks(text: string, size = 3): string[] {
  const cps = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < cps.length; i += size) out.push(cps.slice(i, i + size).join(''));
  return out;
}

export async function executeRun(
  state: FakeState,
  run: ChatRun,
  plan: AnswerPlan,
  failMode: FailMode | undefined,
  sink: RunSink,
): Promise<void> {
  const stopped = () => run.stop.signal.aborted || sink.closed;
  const wait = async (ms: number) => {
    if (ms > 0) await sleep(ms, undefined, { signal: run.stop.signal }).catch(() => undefined);
  };
  const doneData = run.workflow
    ? {
        debug_url: `https://www.coze.cn/work_flow?execute_id=${run.id}&space_id=7380000000000000000&workflow_id=${run.workflowId ?? ''}`,
      }
    : '[DONE]';
  // Canceled or abandoned: a stream that is still open just gets its terminal `done`.
  const halt = () => {
    state.finish(run, 'canceled');
    sink.event('done', doneData);
    sink.end();
  };
  const emitMessage = (
    type: string,
    content: string,
    contentType = 'text',
    extra: Record<string, unknown> = {},
  ) => {
    const m: StoredMessage = {
      id: state.nextId(),
      role: 'assistant',
      type,
      content,
      content_type: contentType,
      chat_id: run.id,
      created_at: state.now(),
    };
    run.messages.push(m);
    sink.event('conversation.message.completed', messageObject(run, m, extra));
    return m;
  };

  sink.event('conversation.chat.created', chatObject(run));
  run.status = 'in_progress';
  sink.event('conversation.chat.in_progress', chatObject(run));

  if (failMode === 'hang') {
    // Headers are out, nothing else ever comes: the client's inactivity timeout must fire.
    await new Promise<void>((resolve) =>
      run.stop.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    return halt();
  }
  if (failMode === 'chat.failed' || failMode === 'rate_limit.sse') {
    state.finish(
      run,
      'failed',
      failMode === 'chat.failed'
        ? { code: 5000, msg: 'event interval error' }
        : { code: 4013, msg: 'The model is busy, please try again later' },
    );
    sink.event('conversation.chat.failed', chatObject(run));
    sink.event('done', doneData);
    return sink.end();
  }

  for (const k of plan.knowledge) {
    emitMessage(
      'verbose',
      JSON.stringify({
        msg_type: 'knowledge_recall',
        data: JSON.stringify({ chunks: [{ slice: k }] }),
        from_module: null,
        from_unit: null,
      }),
    );
    emitMessage('knowledge', k);
  }
  if (plan.toolCall) {
    // A bare int64 inside JSON-in-a-string, as real function_call content has (docs/protocol.md §coze-messages).
    emitMessage(
      'function_call',
      `{"name":"${plan.toolCall.name}","arguments":{},"plugin_id":7281192623887548473,"plugin_name":"${plan.toolCall.name}","api_id":7281192623887564857,"plugin_type":1}`,
    );
    emitMessage('tool_response', plan.toolCall.output);
  }

  await wait(plan.delayMs);
  if (stopped()) return halt();

  let outputChars = 0;
  for (const [i, answer] of plan.answers.entries()) {
    const id = state.nextId();
    const base = {
      id,
      conversation_id: run.conversationId,
      role: 'assistant',
      type: 'answer',
      content_type: 'text',
      chat_id: run.id,
      section_id: run.sectionId,
      ...(run.workflow ? {} : { bot_id: run.botId }),
    };
    const reasoning = i === 0 ? plan.reasoning : '';
    // Reasoning models stream the chain of thought first, with empty content (docs/protocol.md §coze-answer-content).
    for (const piece of chunks(reasoning)) {
      sink.event('conversation.message.delta', { ...base, content: '', reasoning_content: piece });
      await wait(plan.chunkDelayMs);
      if (stopped()) return halt();
    }
    for (const [j, piece] of chunks(answer).entries()) {
      sink.event('conversation.message.delta', { ...base, content: piece });
      if (failMode === 'error-event-midstream' && j === 0) {
        // `error` is terminal: nothing follows it, not even `done`.
        state.finish(run, 'failed', { code: 5000, msg: 'internal error' });
        sink.event('error', { code: 5000, msg: 'internal error' });
        return sink.end();
      }
      await wait(plan.chunkDelayMs);
      if (stopped()) return halt();
    }
    const m: StoredMessage = {
      id,
      role: 'assistant',
      type: 'answer',
      content: answer,
      content_type: 'text',
      chat_id: run.id,
      created_at: state.now(),
    };
    run.messages.push(m);
    sink.event(
      'conversation.message.completed',
      messageObject(run, m, reasoning ? { reasoning_content: reasoning } : {}),
    );
    outputChars += answer.length + reasoning.length;
  }
  if (plan.card) {
    emitMessage(
      'answer',
      JSON.stringify({
        card_type: 3,
        template_url: 'https://example.invalid/card.json',
        response_type: 'card',
        data: '{}',
      }),
      'card',
    );
  }
  emitMessage(
    'verbose',
    JSON.stringify({ msg_type: 'generate_answer_finish', data: '', from_module: null, from_unit: null }),
  );
  for (const q of plan.followUps) emitMessage('follow_up', q);

  const inputChars = run.inputs.reduce((n, m) => n + m.content.length, 0);
  run.usage = { input_count: inputChars, output_count: outputChars, token_count: inputChars + outputChars };
  state.finish(run, 'completed');
  sink.event('conversation.chat.completed', chatObject(run));
  sink.event('done', doneData);
  sink.end();
}
