// CozeClient against the fake Coze: streaming, error mapping, conversation placement, cancel, files.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CozeClient } from '../../src/coze/client.js';
import { CozeError } from '../../src/coze/errors.js';
import type { ChatEvent, ChatRequest } from '../../src/coze/types.js';
import { defaultResponder, startFakeCoze, type FakeCoze } from '../../src/fakes/coze/index.js';

const TOKEN = 'pat_test_token';
const BOT = '7379462189365198898';
const UNPUBLISHED = '7379462189365190000';
const WORKFLOW = '7400000000000000001';
const APP = '7400000000000000002';

let fake: FakeCoze;
let client: CozeClient;

const ask = (text: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  target: { kind: 'bot', botId: BOT },
  userId: 'user-1',
  messages: [{ role: 'user', content: text, content_type: 'text' }],
  ...extra,
});

async function rejects(p: Promise<unknown>, check: (e: CozeError) => void): Promise<CozeError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CozeError, `expected CozeError, got ${String(e)}`);
    check(e);
    return e;
  }
  assert.fail('expected a rejection');
}

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

before(async () => {
  fake = await startFakeCoze({
    token: TOKEN,
    botIds: [BOT],
    unpublishedBotIds: [UNPUBLISHED],
    workflowIds: [WORKFLOW],
  });
  client = new CozeClient({ baseUrl: fake.url, token: TOKEN, timeoutMs: 5000 });
});
after(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.setResponder(defaultResponder);
});

describe('CozeClient chat', () => {
  it('streams an answer as deltas then the full message', async () => {
    const events: ChatEvent[] = [];
    for await (const e of client.stream(ask('你好，世界'))) events.push(e);
    assert.equal(events[0]?.type, 'chat.created');
    const deltas = events.filter((e) => e.type === 'delta');
    assert.ok(deltas.length > 1, 'several deltas');
    assert.equal(deltas.map((e) => (e.type === 'delta' ? e.content : '')).join(''), '收到：你好，世界');
    const answer = events.find((e) => e.type === 'answer');
    assert.deepEqual(answer && answer.type === 'answer' ? answer.content : undefined, '收到：你好，世界');
    const last = events.at(-1);
    assert.equal(last?.type, 'completed');
    if (last?.type === 'completed')
      assert.ok(last.usage.total > 0 && last.usage.total === last.usage.input + last.usage.output);
    const created = events[0];
    if (created?.type === 'chat.created') {
      assert.match(created.chatId, /^\d{19}$/);
      assert.match(created.conversationId, /^\d{19}$/);
    }
  });

  it('joins multiple answers with a blank line and keeps verbose/knowledge/tool/follow-up/card out of the text', async () => {
    fake.setResponder(() => ({
      answers: ['第一段', 'second part'],
      knowledge: ['KNOWLEDGE SLICE'],
      toolCall: { name: 'search', output: '{"response_for_model":"TOOL OUTPUT"}' },
      followUps: ['还有吗？', 'What else?'],
      card: true,
    }));
    const seen: ChatEvent[] = [];
    const r = await client.chat({ ...ask('hi'), onEvent: (e) => seen.push(e) });
    assert.equal(r.text, '第一段\n\nsecond part');
    assert.deepEqual(r.answers, ['第一段', 'second part']);
    assert.deepEqual(r.followUps, ['还有吗？', 'What else?']);
    for (const bad of [
      'KNOWLEDGE',
      'TOOL OUTPUT',
      'generate_answer_finish',
      'card_type',
      '还有吗',
      'plugin_id',
    ]) {
      assert.ok(!r.text.includes(bad), `text must not contain ${bad}`);
    }
    assert.match(r.chatId, /^\d{19}$/);
    assert.ok(seen.some((e) => e.type === 'follow_up'));
    assert.equal(seen.at(-1)?.type, 'completed');
  });

  it('accumulates reasoning separately from the answer', async () => {
    fake.setResponder(() => ({ text: '答案是 42。', reasoning: '先想一想，再回答。' }));
    const events: ChatEvent[] = [];
    const r = await client.chat({ ...ask('why'), onEvent: (e) => events.push(e) });
    assert.equal(r.text, '答案是 42。');
    assert.equal(r.reasoning, '先想一想，再回答。');
    const reasoningDeltas = events.filter((e) => e.type === 'delta' && e.reasoning !== '');
    assert.ok(reasoningDeltas.length > 1);
    assert.ok(reasoningDeltas.every((e) => e.type === 'delta' && e.content === ''));
  });

  it('sends conversation_id in the query for bots, continuing the conversation', async () => {
    const conv = await client.createConversation(BOT);
    assert.match(conv, /^\d{19}$/);
    const r = await client.chat(ask('first', { conversationId: conv }));
    assert.equal(r.conversationId, conv);
    const rec = fake.chats.at(-1)!;
    assert.equal(rec.endpoint, '/v3/chat');
    assert.deepEqual(rec.sentConversationId, { query: conv });
    assert.equal(rec.conversationId, conv);
    assert.equal(rec.userId, 'user-1');
    // auto_save_history persisted the query and the answer.
    const stored = fake.conversations.get(conv)!.messages.map((m) => [m.role, m.content]);
    assert.deepEqual(stored, [
      ['user', 'first'],
      ['assistant', '收到：first'],
    ]);
  });

  it('sends conversation_id in the body for chatflows, with app_id', async () => {
    const conv = await client.createConversation();
    const r = await client.chat({
      target: { kind: 'chatflow', workflowId: WORKFLOW, appId: APP },
      userId: 'user-2',
      conversationId: conv,
      messages: [{ role: 'user', content: 'flow?', content_type: 'text' }],
    });
    assert.equal(r.text, '收到：flow?');
    assert.equal(r.conversationId, conv);
    const rec = fake.chats.at(-1)!;
    assert.equal(rec.endpoint, '/v1/workflows/chat');
    assert.deepEqual(rec.sentConversationId, { body: conv });
    assert.equal(rec.workflowId, WORKFLOW);
    assert.equal(rec.appId, APP);
    assert.equal(rec.botId, undefined);
    assert.equal(rec.userId, 'user-2');
  });

  it('starts a new conversation when none is given', async () => {
    const r = await client.chat(ask('new'));
    assert.ok(fake.conversations.has(r.conversationId));
    assert.deepEqual(fake.chats.at(-1)!.sentConversationId, {});
  });

  it('sends object_string messages that the fake parses', async () => {
    const up = await client.uploadFile(
      'cat.png',
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]),
      'image/png',
    );
    const content = JSON.stringify([
      { type: 'text', text: '看看这张图' },
      { type: 'image', file_id: up.id },
    ]);
    const r = await client.chat({
      ...ask(''),
      messages: [{ role: 'user', content, content_type: 'object_string' }],
    });
    assert.equal(r.text, `收到：看看这张图 [image file_id=${up.id}]`);
    assert.deepEqual(fake.chats.at(-1)!.messages[0]!.content, [
      { type: 'text', text: '看看这张图' },
      { type: 'image', file_id: up.id },
    ]);
  });
});

describe('CozeClient errors', () => {
  it('4100 with a wrong token: kind auth, HTTP 401, not retriable, logid kept', async () => {
    const bad = new CozeClient({ baseUrl: fake.url, token: 'pat_wrong' });
    const e = await rejects(bad.chat(ask('x')), (e) => {
      assert.equal(e.code, 4100);
      assert.equal(e.kind, 'auth');
      assert.equal(e.httpStatus, 401);
      assert.equal(e.retriable, false);
      assert.match(e.logid ?? '', /^\d{17}[0-9A-F]{12}$/);
    });
    assert.ok(!e.message.includes('pat_wrong'), 'the token never appears in errors');
    await rejects(bad.getMe(), (e) => assert.equal(e.kind, 'auth'));
  });

  it('4015 for a bot not published to the API channel, 4006 for an unknown bot', async () => {
    await rejects(client.chat({ ...ask('x'), target: { kind: 'bot', botId: UNPUBLISHED } }), (e) => {
      assert.equal(e.code, 4015);
      assert.equal(e.kind, 'not_published');
      assert.equal(e.retriable, false);
    });
    await rejects(client.chat({ ...ask('x'), target: { kind: 'bot', botId: '1' } }), (e) =>
      assert.equal(e.kind, 'bot_invalid'),
    );
  });

  it('pre-stream code 5000 is retriable and nothing is yielded', async () => {
    fake.failNext(1, 'code5000');
    const events: ChatEvent[] = [];
    await rejects(
      (async () => {
        for await (const e of client.stream(ask('x'))) events.push(e);
      })(),
      (e) => {
        assert.equal(e.code, 5000);
        assert.equal(e.kind, 'server');
        assert.equal(e.retriable, true);
      },
    );
    assert.equal(events.length, 0);
  });

  it('HTML 504 gateway page and bare HTTP 500 are server errors', async () => {
    fake.failNext(1, 'html504');
    await rejects(client.chat(ask('x')), (e) => {
      assert.equal(e.kind, 'server');
      assert.equal(e.httpStatus, 504);
      assert.equal(e.retriable, true);
      assert.match(e.msg, /504 Gateway Time-out/);
    });
    fake.failNext(1, 'http500');
    await rejects(client.chat(ask('x')), (e) =>
      assert.ok(e.kind === 'server' && e.httpStatus === 500 && e.retriable),
    );
  });

  it('4013 is a retriable rate limit', async () => {
    fake.failNext(1, 'rate_limit');
    await rejects(client.chat(ask('x')), (e) =>
      assert.ok(e.code === 4013 && e.kind === 'rate_limit' && e.retriable),
    );
  });

  it('chat.failed becomes kind failed with last_error', async () => {
    fake.failNext(1, 'chat.failed');
    await rejects(client.chat(ask('x')), (e) => {
      assert.equal(e.kind, 'failed');
      assert.equal(e.code, 5000);
      assert.equal(e.msg, 'event interval error');
      assert.equal(e.retriable, true);
      assert.match(e.chatId ?? '', /^\d{19}$/);
    });
  });

  it('a mid-stream error event throws after the first deltas', async () => {
    fake.failNext(1, 'error-event-midstream');
    const events: ChatEvent[] = [];
    await rejects(
      (async () => {
        for await (const e of client.stream(ask('a long enough question'))) events.push(e);
      })(),
      (e) => assert.ok(e.code === 5000 && e.kind === 'server'),
    );
    assert.ok(events.some((e) => e.type === 'delta'));
  });

  it('a hung stream times out after timeoutMs of silence and the chat is canceled', async () => {
    fake.failNext(1, 'hang');
    const quick = new CozeClient({ baseUrl: fake.url, token: TOKEN, timeoutMs: 200 });
    const t0 = Date.now();
    await rejects(quick.chat(ask('x')), (e) => {
      assert.equal(e.kind, 'timeout');
      assert.equal(e.retriable, true);
    });
    assert.ok(Date.now() - t0 < 2000);
    await waitFor(() => fake.runningChats() === 0);
  });

  it('a slow consumer is not mistaken for a silent Coze', async () => {
    fake.setResponder(() => ({ text: 'abcdefghi' }));
    const quick = new CozeClient({ baseUrl: fake.url, token: TOKEN, timeoutMs: 150 });
    let n = 0;
    for await (const e of quick.stream(ask('x'))) {
      if (e.type === 'delta' && n++ === 0) await new Promise((r) => setTimeout(r, 400));
    }
    assert.ok(n > 1);
  });

  it('4016 when a second chat starts in a running conversation; cancel frees it', async () => {
    const conv = await client.createConversation(BOT);
    fake.setResponder(() => ({ text: 'slow answer here', delayMs: 10_000 }));
    const it1 = client.stream(ask('one', { conversationId: conv }));
    const first = await it1.next();
    assert.equal(first.value?.type, 'chat.created');
    const chatId = first.value?.type === 'chat.created' ? first.value.chatId : '';
    await rejects(client.chat(ask('two', { conversationId: conv })), (e) => {
      assert.equal(e.code, 4016);
      assert.equal(e.kind, 'chat_running');
      assert.equal(e.retriable, false);
    });
    await client.cancelChat(conv, chatId);
    // The canceled stream ends without chat.completed: the client reports it as cut short.
    await rejects(
      (async () => {
        for await (const _ of it1) void _;
      })(),
      (e) => assert.equal(e.kind, 'network'),
    );
    // Cancelling again (already finished) is quiet; the conversation accepts chats again.
    await client.cancelChat(conv, chatId);
    fake.setResponder(defaultResponder);
    const r = await client.chat(ask('three', { conversationId: conv }));
    assert.equal(r.text, '收到：three');
    // The canceled turn is not kept as context.
    assert.deepEqual(
      fake.conversations.get(conv)!.messages.map((m) => m.content),
      ['three', '收到：three'],
    );
  });

  it('a deleted conversation gives 4002', async () => {
    const conv = await client.createConversation(BOT);
    fake.deleteConversation(conv);
    await rejects(client.chat(ask('x', { conversationId: conv })), (e) =>
      assert.ok(e.code === 4002 && e.kind === 'conversation_gone'),
    );
  });

  it('an abort signal stops the stream with the signal reason', async () => {
    fake.setResponder(() => ({ text: 'abcdefghijklmnop', chunkDelayMs: 50 }));
    const ac = new AbortController();
    const reason = new Error('caller gave up');
    const events: ChatEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of client.stream({ ...ask('x'), signal: ac.signal })) {
          events.push(e);
          if (e.type === 'delta') ac.abort(reason);
        }
      })(),
      (e: unknown) => e === reason,
    );
    await waitFor(() => fake.runningChats() === 0);
  });
});

describe('CozeClient REST calls', () => {
  it('uploads a file as multipart part "file"', async () => {
    const data = Buffer.from('%PDF-1.4 fake pdf 文档');
    const up = await client.uploadFile('报告.pdf', data, 'application/pdf');
    assert.match(up.id, /^\d{19}$/);
    assert.equal(up.bytes, data.length);
    assert.equal(up.fileName, '报告.pdf');
    const stored = fake.files.get(up.id)!;
    assert.equal(stored.name, '报告.pdf');
    assert.equal(stored.contentType, 'application/pdf');
    assert.deepEqual(stored.data, data);
  });

  it('getMe and getBot', async () => {
    const me = await client.getMe();
    assert.match(me.user_id, /^\d+$/);
    const bot = await client.getBot(BOT);
    assert.equal(bot.bot_id, BOT);
    assert.ok(bot.name.length > 0);
    await rejects(client.getBot('123'), (e) => assert.equal(e.kind, 'bot_invalid'));
  });

  it('a refused connection is a retriable network error', async () => {
    const dead = new CozeClient({ baseUrl: 'http://127.0.0.1:9', token: TOKEN });
    await rejects(dead.chat(ask('x')), (e) => assert.ok(e.kind === 'network' && e.retriable));
    await rejects(dead.getMe(), (e) => assert.ok(e.kind === 'network' && e.retriable));
  });

  it('runs many streams at once over the shared agent', async () => {
    // Each chat holds its stream 1 s, so the 50 overlap even on a loaded machine (at 50 ms they did not).
    fake.setResponder((c) => ({ text: `ok ${c.userId}`, delayMs: 1000, chunkDelayMs: 5 }));
    const before = fake.maxConcurrentSeen;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.chat({ ...ask('x'), userId: `u${i}` })),
    );
    results.forEach((r, i) => assert.equal(r.text, `ok u${i}`));
    assert.ok(fake.maxConcurrentSeen >= Math.max(before, 10), `concurrency seen ${fake.maxConcurrentSeen}`);
  });

  it('a server that keeps the stream open after done does not turn a finished chat into a timeout', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        'event:conversation.chat.created\ndata:{"id":"1","conversation_id":"2","status":"created"}\n\n',
      );
      res.write(
        'event:conversation.message.completed\ndata:{"id":"3","type":"answer","content":"hi","content_type":"text"}\n\n',
      );
      res.write(
        'event:conversation.chat.completed\ndata:{"id":"1","conversation_id":"2","status":"completed","usage":{"token_count":2,"output_count":1,"input_count":1}}\n\n',
      );
      res.write('event:done\ndata:"[DONE]"\n\n');
      // never res.end()
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    try {
      const c = new CozeClient({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN, timeoutMs: 300 });
      const r = await c.chat(ask('x'));
      assert.equal(r.text, 'hi');
      assert.equal(r.chatId, '1');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
