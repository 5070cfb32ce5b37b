// The SSE decoder and event interpreter fed the exact bytes of the spec's §2.3 capture, cut at
// every awkward place (mid-line, mid-field, inside a multi-byte UTF-8 character).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CozeError } from '../../src/coze/errors.js';
import { ChatEventInterpreter } from '../../src/coze/events.js';
import { decodeSse, SseDecoder, type SseEvent } from '../../src/coze/sse.js';
import type { ChatEvent } from '../../src/coze/types.js';
import { silentLogger } from '../../src/log/logger.js';

const CHAT =
  '{"id":"7382159487131697202","conversation_id":"7381473525342978089","bot_id":"7379462189365198898","completed_at":1718792949,"last_error":{"code":0,"msg":""},"status":"created","usage":{"token_count":0,"output_count":0,"input_count":0}}';
const SPEC_CAPTURE = [
  'event:conversation.chat.created',
  `data:${CHAT}`,
  '',
  'event:conversation.chat.in_progress',
  `data:${CHAT.replace('"created"', '"in_progress"')}`,
  '',
  'event:conversation.message.delta',
  'data:{"id":"7382159494123470858","conversation_id":"7381473525342978089","bot_id":"7379462189365198898","role":"assistant","type":"answer","content":"2","content_type":"text","chat_id":"7382159487131697202"}',
  '',
  'event:conversation.message.delta',
  'data:{"id":"7382159494123470858","conversation_id":"7381473525342978089","bot_id":"7379462189365198898","role":"assistant","type":"answer","content":"024 年 10 月 1 日是星期三。","content_type":"text","chat_id":"7382159487131697202"}',
  '',
  'event:conversation.message.completed',
  'data:{"id":"7382159494123470858","conversation_id":"7381473525342978089","bot_id":"7379462189365198898","role":"assistant","type":"answer","content":"2024 年 10 月 1 日是星期三。","content_type":"text","chat_id":"7382159487131697202"}',
  '',
  'event:conversation.message.completed',
  'data:{"id":"7382159494123552778","conversation_id":"7381473525342978089","bot_id":"7379462189365198898","role":"assistant","type":"verbose","content":"{\\"msg_type\\":\\"generate_answer_finish\\",\\"data\\":\\"\\",\\"from_module\\":null,\\"from_unit\\":null}","content_type":"text","chat_id":"7382159487131697202"}',
  '',
  'event:conversation.chat.completed',
  `data:${CHAT.replace('"created"', '"completed"').replace('"usage":{"token_count":0,"output_count":0,"input_count":0}', '"usage":{"token_count":633,"output_count":19,"input_count":614}')}`,
  '',
  'event:done',
  'data:"[DONE]"',
  '',
  '',
].join('\n');

const EXPECTED_NAMES = [
  'conversation.chat.created',
  'conversation.chat.in_progress',
  'conversation.message.delta',
  'conversation.message.delta',
  'conversation.message.completed',
  'conversation.message.completed',
  'conversation.chat.completed',
  'done',
];

const EXPECTED_EVENTS: ChatEvent[] = [
  { type: 'chat.created', chatId: '7382159487131697202', conversationId: '7381473525342978089' },
  { type: 'delta', messageId: '7382159494123470858', content: '2', reasoning: '' },
  { type: 'delta', messageId: '7382159494123470858', content: '024 年 10 月 1 日是星期三。', reasoning: '' },
  { type: 'answer', messageId: '7382159494123470858', content: '2024 年 10 月 1 日是星期三。' },
  { type: 'completed', usage: { input: 614, output: 19, total: 633 } },
];

function decodeChunks(chunks: Uint8Array[]): SseEvent[] {
  const d = new SseDecoder();
  const out: SseEvent[] = [];
  for (const c of chunks) out.push(...d.push(c));
  out.push(...d.end());
  return out;
}

function interpret(events: SseEvent[]): ChatEvent[] {
  const i = new ChatEventInterpreter(silentLogger());
  const out = events.flatMap((e) => i.handle(e));
  assert.equal(i.finished, true);
  assert.equal(i.done, true);
  return out;
}

describe('coze SSE decoding (docs/protocol.md §coze-sse capture)', () => {
  const bytes = Buffer.from(SPEC_CAPTURE, 'utf8');

  it('decodes the capture in one chunk into the expected events', () => {
    const events = decodeChunks([bytes]);
    assert.deepEqual(
      events.map((e) => e.event),
      EXPECTED_NAMES,
    );
    assert.equal(events.at(-1)?.data, '"[DONE]"');
    assert.deepEqual(interpret(events), EXPECTED_EVENTS);
  });

  it('gives identical events for every two-chunk split, including inside multi-byte characters', () => {
    const whole = decodeChunks([bytes]);
    // Make sure the sweep really crosses UTF-8 continuation bytes.
    const mid = bytes.indexOf(Buffer.from('星', 'utf8')) + 1;
    assert.ok(mid > 0 && (bytes[mid]! & 0xc0) === 0x80);
    for (let cut = 1; cut < bytes.length; cut++) {
      const events = decodeChunks([bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.deepEqual(events, whole, `split at byte ${cut}`);
    }
  });

  it('survives one-byte chunks and three-way cuts at line and field boundaries', async () => {
    const one = Array.from(bytes, (b) => Uint8Array.of(b));
    assert.deepEqual(interpret(decodeChunks(one)), EXPECTED_EVENTS);
    const a = bytes.indexOf(Buffer.from('data:', 'utf8')) + 3; // inside "data:"
    const b = bytes.indexOf(Buffer.from('\n\n', 'utf8')) + 1; // between the two newlines
    const c = bytes.indexOf(Buffer.from('月', 'utf8')) + 2; // inside 月
    async function* gen() {
      yield bytes.subarray(0, a);
      yield bytes.subarray(a, b);
      yield bytes.subarray(b, c);
      yield bytes.subarray(c);
    }
    const got: SseEvent[] = [];
    for await (const e of decodeSse(gen())) got.push(e);
    assert.deepEqual(interpret(got), EXPECTED_EVENTS);
  });

  it('accepts a space after the colon, CRLF line ends, and every done variant', () => {
    const spaced = SPEC_CAPTURE.replace(/^(event|data):/gm, '$1: ').replace(/\n/g, '\r\n');
    for (const done of [
      '"[DONE]"',
      '[DONE]',
      '{"debug_url":"https://www.coze.cn/work_flow?execute_id=1&space_id=2&workflow_id=3"}',
      '{}',
      '',
    ]) {
      const text = spaced.replace('data: "[DONE]"', `data: ${done}`);
      assert.deepEqual(interpret(decodeChunks([Buffer.from(text)])), EXPECTED_EVENTS, `done=${done}`);
    }
  });

  it('flushes a final event whose blank line never arrived', () => {
    const cut = SPEC_CAPTURE.replace(/\n\n$/, '');
    const events = decodeChunks([Buffer.from(cut)]);
    assert.equal(events.at(-1)?.event, 'done');
  });
});

describe('coze chat event interpretation', () => {
  const ev = (event: string, data: unknown): SseEvent => ({
    event,
    data: typeof data === 'string' ? data : JSON.stringify(data),
  });
  const msg = (type: string, content: string, extra: Record<string, unknown> = {}) =>
    ev('conversation.message.completed', {
      id: `m-${type}`,
      role: 'assistant',
      type,
      content,
      content_type: 'text',
      ...extra,
    });

  it('keeps verbose, knowledge, function_call, tool output and unknown events out of the answer', () => {
    const i = new ChatEventInterpreter(silentLogger());
    const out = [
      ev('conversation.chat.created', { id: 'c1', conversation_id: 'v1', status: 'created' }),
      msg('knowledge', 'recalled text'),
      msg('function_call', '{"name":"x","plugin_id":7281192623887548473}'),
      msg('tool_response', '{"content_type":1}'),
      msg('tool_output', 'x'),
      msg('verbose', '{"msg_type":"knowledge_recall"}'),
      ev('conversation.audio.delta', { id: 'a', content: 'AAAA' }),
      ev('some.future.event', { whatever: true }),
      msg('answer', 'hello'),
      msg('answer', '{"card_type":3}', { id: 'card', content_type: 'card' }),
      msg('follow_up', 'and then?'),
      ev('conversation.chat.completed', {
        id: 'c1',
        conversation_id: 'v1',
        status: 'completed',
        usage: { token_count: 3, output_count: 1, input_count: 2 },
      }),
    ].flatMap((e) => i.handle(e));
    assert.deepEqual(out, [
      { type: 'chat.created', chatId: 'c1', conversationId: 'v1' },
      { type: 'answer', messageId: 'm-answer', content: 'hello' },
      { type: 'follow_up', content: 'and then?' },
      { type: 'completed', usage: { input: 2, output: 1, total: 3 } },
    ]);
  });

  it('keeps bare 19-digit ids as exact strings', () => {
    const i = new ChatEventInterpreter(silentLogger());
    const out = i.handle(
      ev(
        'conversation.chat.created',
        '{"id":7382159487131697202,"conversation_id":7381473525342978089,"status":"created"}',
      ),
    );
    assert.deepEqual(out, [
      { type: 'chat.created', chatId: '7382159487131697202', conversationId: '7381473525342978089' },
    ]);
  });

  it('throws chat.failed as kind failed, retriable for 5000', () => {
    const i = new ChatEventInterpreter(silentLogger());
    assert.throws(
      () =>
        i.handle(
          ev('conversation.chat.failed', {
            id: 'c',
            conversation_id: 'v',
            status: 'failed',
            last_error: { code: 5000, msg: 'event interval error' },
          }),
        ),
      (e: unknown) =>
        e instanceof CozeError &&
        e.kind === 'failed' &&
        e.code === 5000 &&
        e.retriable &&
        e.msg === 'event interval error',
    );
    assert.throws(
      () =>
        new ChatEventInterpreter(silentLogger()).handle(
          ev('conversation.chat.failed', {
            id: 'c',
            conversation_id: 'v',
            last_error: { code: 4010, msg: 'too long' },
          }),
        ),
      (e: unknown) => e instanceof CozeError && e.kind === 'failed' && !e.retriable,
    );
  });

  it('throws error events with their code, including workflow-style and empty ones', () => {
    const i = () => new ChatEventInterpreter(silentLogger());
    assert.throws(
      () => i().handle(ev('error', { code: 4009, msg: 'busy' })),
      (e: unknown) => e instanceof CozeError && e.code === 4009 && e.kind === 'overloaded',
    );
    assert.throws(
      () => i().handle(ev('Error', { error_code: 4000, error_message: 'bad' })),
      (e: unknown) => e instanceof CozeError && e.code === 4000 && e.kind === 'bad_request',
    );
    assert.throws(
      () => i().handle(ev('error', {})),
      (e: unknown) => e instanceof CozeError && e.kind === 'server' && e.retriable,
    );
  });

  it('treats requires_action as the end of the turn', () => {
    const i = new ChatEventInterpreter(silentLogger());
    const out = i.handle(
      ev('conversation.chat.requires_action', { id: 'c', conversation_id: 'v', status: 'requires_action' }),
    );
    assert.equal(i.finished, true);
    assert.deepEqual(out.at(-1), {
      type: 'completed',
      usage: { input: 0, output: 0, total: 0 },
      requiresAction: true,
    });
  });

  it('streams reasoning deltas with empty content', () => {
    const i = new ChatEventInterpreter(silentLogger());
    const out = i.handle(
      ev('conversation.message.delta', { id: 'm', type: 'answer', content: '', reasoning_content: '想' }),
    );
    assert.deepEqual(out, [{ type: 'delta', messageId: 'm', content: '', reasoning: '想' }]);
  });
});
