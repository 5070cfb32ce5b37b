// The fake Coze itself, read raw: SSE framing rules of docs/protocol.md §coze-sse, §fakes, envelopes, non-stream flow.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { defaultResponder, startFakeCoze, type FakeCoze } from '../../src/fakes/coze/index.js';

const TOKEN = 'pat_fake';
const BOT = '7379462189365198898';
let fake: FakeCoze;

before(async () => {
  fake = await startFakeCoze({ token: TOKEN, botIds: [BOT], workflowIds: ['wf1'] });
});
after(async () => {
  await fake.close();
});
beforeEach(() => fake.setResponder(defaultResponder));

const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
  fetch(`${fake.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
const userMsg = (content: string) => [{ role: 'user', content, content_type: 'text' }];

/** Split a raw stream into events, asserting the framing rules on the way. */
function framedEvents(raw: string, spaced: boolean): { event: string; data: string }[] {
  assert.ok(raw.endsWith('\n\n'), 'stream ends with a blank line');
  const blocks = raw.slice(0, -2).split('\n\n');
  const sp = spaced ? ' ' : '';
  return blocks.map((block, i) => {
    const lines = block.split('\n');
    assert.equal(lines.length, 2, `event ${i} is exactly two lines: ${JSON.stringify(block)}`);
    assert.ok(
      lines[0]!.startsWith(`event:${sp}`) && !lines[0]!.startsWith(`event:${sp} `),
      `event line: ${lines[0]}`,
    );
    assert.ok(
      lines[1]!.startsWith(`data:${sp}`) && !lines[1]!.startsWith(`data:${sp} `),
      `data line: ${lines[1]}`,
    );
    const event = lines[0]!.slice(6 + sp.length);
    const data = lines[1]!.slice(5 + sp.length);
    JSON.parse(data); // every data line is valid single-line JSON, done included
    return { event, data };
  });
}

describe('fake Coze SSE framing', () => {
  it('/v3/chat: event/data pairs without spaces, in Coze order, ending with done "[DONE]"', async () => {
    fake.setResponder(() => ({
      text: '多字节答案✓',
      reasoning: '想',
      followUps: ['next?'],
      chunkDelayMs: 15,
    }));
    const res = await post('/v3/chat', {
      bot_id: BOT,
      user_id: 'u',
      stream: true,
      additional_messages: userMsg('hi'),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.match(res.headers.get('x-tt-logid') ?? '', /^\d{17}[0-9A-F]{12}$/);
    // Events arrive one write at a time (flushed), not in one lump at the end.
    const arrivals: number[] = [];
    let raw = '';
    const dec = new TextDecoder();
    for await (const chunk of res.body!) {
      arrivals.push(Date.now());
      raw += dec.decode(chunk, { stream: true });
    }
    assert.ok(arrivals.length > 3 && arrivals.at(-1)! - arrivals[0]! >= 30, 'streamed incrementally');
    const events = framedEvents(raw, false);
    const names = events.map((e) => e.event);
    assert.deepEqual(names.slice(0, 2), ['conversation.chat.created', 'conversation.chat.in_progress']);
    assert.deepEqual(names.slice(-4), [
      'conversation.message.completed',
      'conversation.message.completed',
      'conversation.chat.completed',
      'done',
    ]);
    assert.equal(events.at(-1)!.data, '"[DONE]"');
    const completed = events
      .filter((e) => e.event === 'conversation.message.completed')
      .map((e) => JSON.parse(e.data) as Record<string, unknown>);
    assert.deepEqual(
      completed.map((m) => m.type),
      ['answer', 'verbose', 'follow_up'],
    );
    assert.equal(completed[0]!.content, '多字节答案✓');
    assert.equal(completed[0]!.reasoning_content, '想');
    assert.match(String(JSON.parse(completed[1]!.content as string).msg_type), /generate_answer_finish/);
    const chat = JSON.parse(events.at(-2)!.data) as Record<string, unknown>;
    assert.equal(chat.status, 'completed');
    assert.equal(typeof chat.id, 'string');
    assert.ok((chat.usage as { token_count: number }).token_count > 0);
  });

  it('/v1/workflows/chat: a space after the colons and done = {debug_url}', async () => {
    const res = await post('/v1/workflows/chat', {
      workflow_id: 'wf1',
      app_id: 'app1',
      additional_messages: userMsg('flow'),
      parameters: {},
    });
    const events = framedEvents(await res.text(), true);
    assert.equal(events[0]!.event, 'conversation.chat.created');
    const created = JSON.parse(events[0]!.data) as Record<string, unknown>;
    assert.equal(created.bot_id, undefined);
    assert.equal(typeof created.section_id, 'string');
    assert.match(
      String((JSON.parse(events.at(-1)!.data) as { debug_url: string }).debug_url),
      /^https:\/\/www\.coze\.cn\/work_flow\?execute_id=/,
    );
  });

  it('an error event is terminal: nothing follows it', async () => {
    fake.failNext(1, 'error-event-midstream');
    const res = await post('/v3/chat', {
      bot_id: BOT,
      user_id: 'u',
      stream: true,
      additional_messages: userMsg('some question'),
    });
    const events = framedEvents(await res.text(), false);
    assert.equal(events.at(-1)!.event, 'error');
    assert.deepEqual(JSON.parse(events.at(-1)!.data), { code: 5000, msg: 'internal error' });
  });
});

describe('fake Coze envelopes and rules', () => {
  it('wrong token: HTTP 401 JSON 4100 with logid in header and body', async () => {
    const res = await post(
      '/v3/chat',
      { bot_id: BOT },
      { authorization: 'Bearer nope', 'content-type': 'application/json' },
    );
    assert.equal(res.status, 401);
    const body = (await res.json()) as { code: number; msg: string; detail: { logid: string } };
    assert.equal(body.code, 4100);
    assert.equal(body.msg, 'authentication is invalid');
    assert.equal(body.detail.logid, res.headers.get('x-tt-logid'));
  });

  it('conversation_id in the /v3/chat body is ignored: a new conversation is made', async () => {
    const conv = (await (await post('/v1/conversation/create', { bot_id: BOT })).json()) as {
      data: { id: string };
    };
    const res = await post('/v3/chat', {
      bot_id: BOT,
      user_id: 'u',
      stream: true,
      conversation_id: conv.data.id,
      additional_messages: userMsg('x'),
    });
    await res.text();
    const rec = fake.chats.at(-1)!;
    assert.notEqual(rec.conversationId, conv.data.id);
    assert.deepEqual(rec.sentConversationId, { body: conv.data.id });
  });

  it('stream=false: Chat in_progress, then retrieve (GET and POST) and message/list', async () => {
    fake.setResponder(() => ({ answers: ['a1', 'a2'], followUps: ['f'] }));
    assert.equal(
      (
        (await (
          await post('/v3/chat', {
            bot_id: BOT,
            user_id: 'u',
            stream: false,
            auto_save_history: false,
            additional_messages: userMsg('x'),
          })
        ).json()) as { code: number }
      ).code,
      4007,
    );
    const started = (await (
      await post('/v3/chat', { bot_id: BOT, user_id: 'u', stream: false, additional_messages: userMsg('q') })
    ).json()) as { code: number; data: { id: string; conversation_id: string; status: string } };
    assert.equal(started.code, 0);
    assert.equal(started.data.status, 'in_progress');
    const qs = `conversation_id=${started.data.conversation_id}&chat_id=${started.data.id}`;
    let status = '';
    for (let i = 0; i < 100 && status !== 'completed'; i++) {
      const viaPost = i % 2 === 0;
      const r = await fetch(`${fake.url}/v3/chat/retrieve?${qs}`, {
        method: viaPost ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      status = ((await r.json()) as { data: { status: string } }).data.status;
      if (status !== 'completed') await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(status, 'completed');
    const list = (await (
      await fetch(`${fake.url}/v3/chat/message/list?${qs}`, { headers: auth })
    ).json()) as { data: { type: string; content: string }[] };
    assert.deepEqual(
      list.data.filter((m) => m.type === 'answer').map((m) => m.content),
      ['a1', 'a2'],
    );
    assert.ok(list.data.some((m) => m.type === 'verbose') && list.data.some((m) => m.type === 'follow_up'));
    // Cancel after completion → 4104.
    const cancel = (await (
      await post('/v3/chat/cancel', {
        conversation_id: started.data.conversation_id,
        chat_id: started.data.id,
      })
    ).json()) as { code: number };
    assert.equal(cancel.code, 4104);
    // Conversation message list: top-level pagination fields, queries and answers only.
    const msgs = (await (
      await post(`/v1/conversation/message/list?conversation_id=${started.data.conversation_id}`, {
        order: 'asc',
      })
    ).json()) as { data: { content: string }[]; first_id: string; last_id: string; has_more: boolean };
    assert.deepEqual(
      msgs.data.map((m) => m.content),
      ['q', 'a1', 'a2'],
    );
    assert.equal(msgs.has_more, false);
    assert.equal(typeof msgs.first_id, 'string');
  });

  it('object_string rules and unknown file ids are refused with 4000', async () => {
    const only = JSON.stringify([{ type: 'text', text: 'x' }]);
    const r1 = (await (
      await post('/v3/chat', {
        bot_id: BOT,
        user_id: 'u',
        stream: true,
        additional_messages: [{ role: 'user', content: only, content_type: 'object_string' }],
      })
    ).json()) as { code: number };
    assert.equal(r1.code, 4000);
    const ghost = JSON.stringify([{ type: 'image', file_id: '123' }]);
    const r2 = (await (
      await post('/v3/chat', {
        bot_id: BOT,
        user_id: 'u',
        stream: true,
        additional_messages: [{ role: 'user', content: ghost, content_type: 'object_string' }],
      })
    ).json()) as { code: number };
    assert.equal(r2.code, 4000);
  });

  it('upload without a "file" part → 4300', async () => {
    const form = new FormData();
    form.append('other', new Blob(['x']), 'x.txt');
    const r = await fetch(`${fake.url}/v1/files/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: form,
    });
    assert.equal(((await r.json()) as { code: number }).code, 4300);
  });

  it('counts running chats and the peak', async () => {
    fake.setResponder(() => ({ text: 'x', delayMs: 100 }));
    const streams = await Promise.all(
      [1, 2, 3].map(() =>
        post('/v3/chat', { bot_id: BOT, user_id: 'u', stream: true, additional_messages: userMsg('x') }),
      ),
    );
    assert.equal(fake.runningChats(), 3);
    assert.ok(fake.maxConcurrentSeen >= 3);
    await Promise.all(streams.map((r) => r.text()));
    assert.equal(fake.runningChats(), 0);
  });
});
