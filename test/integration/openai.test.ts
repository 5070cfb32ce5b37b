/**
 * The OpenAI-compatible API through the official `openai` npm client, against the real server
 * and the Coze fake: what Open-WebUI and SDK users see (models, answers, streams, usage, images,
 * typed errors, identity, background tasks, disconnects).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, test } from 'node:test';
import OpenAI, {
  APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
} from 'openai';
import { request } from 'undici';
import { BOT_ID, settle, startHarness, waitFor, type Harness } from '../helpers/harness.js';

const KEY = 'sk-test-plain-0001';
const TRUSTED = 'sk-test-owui-0002';
const MODEL = `coze-bot-${BOT_ID}`;
const KEYS = { WXCOZE_API_KEYS: `${KEY},${TRUSTED}:trust-headers` };
// A 1×1 PNG.
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The scope of a key without a tenant (src/openai/auth.ts): identities are `<scope>/…`. */
const scopeOf = (key: string) => `k:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;

function client(key = KEY, extra: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${h!.server.url}/v1`, maxRetries: 0, ...extra });
}

/** The raw bytes of a streamed request (to check the wire, not the SDK's reading of it). */
async function rawStream(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await request(`${h!.server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: MODEL, stream: true, ...body }),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

function dataLines(wire: string): string[] {
  return wire
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6));
}

test('models.list serves the configured bot from config, without asking Coze', async () => {
  h = await startHarness(KEYS);
  h.coze.setLatency(3000); // a Coze call on this path would make the listing slow
  const started = Date.now();
  const page = await client().models.list();
  assert.ok(Date.now() - started < 1000, 'listing models must not wait on Coze');
  assert.equal(page.data.length, 1);
  const m = page.data[0]! as OpenAI.Models.Model & { name?: string };
  assert.equal(m.id, MODEL);
  assert.match(m.id, /^[A-Za-z0-9._:-]+$/);
  assert.equal(m.object, 'model');
  assert.ok(Number.isInteger(m.created) && m.created > 1_600_000_000);
  assert.equal(typeof m.owned_by, 'string');
  assert.equal(m.name, `Coze bot ${BOT_ID}`);
});

test('WXCOZE_MODEL_ID and WXCOZE_MODEL_NAME name the model; retrieve finds it, an unknown id is model_not_found', async () => {
  h = await startHarness({ ...KEYS, WXCOZE_MODEL_ID: 'travel-bot', WXCOZE_MODEL_NAME: '旅行助手' });
  const m = (await client().models.retrieve('travel-bot')) as OpenAI.Models.Model & { name?: string };
  assert.equal(m.id, 'travel-bot');
  assert.equal(m.name, '旅行助手');
  await assert.rejects(client().models.retrieve('gpt-4o'), (e: unknown) => {
    assert.ok(e instanceof NotFoundError);
    assert.equal(e.code, 'model_not_found');
    return true;
  });
  // Chatting with an unknown model is the same 404, with param "model".
  await assert.rejects(
    client().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.equal(e.code, 'model_not_found');
      assert.equal(e.param, 'model');
      return true;
    },
  );
  assert.equal(h.coze.chats.length, 0);
});

test('auth: a wrong key is an AuthenticationError, tried once; with no key configured the API is off (403 that says how to turn it on)', async () => {
  h = await startHarness(KEYS);
  let calls = 0;
  const counting: typeof fetch = (input, init) => {
    calls++;
    return fetch(input, init);
  };
  const bad = client('sk-wrong-key-123', { maxRetries: 2, fetch: counting });
  await assert.rejects(
    bad.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
    (e: unknown) => {
      assert.ok(e instanceof AuthenticationError);
      assert.equal(e.status, 401);
      assert.match(e.message, /API key/);
      return true;
    },
  );
  assert.equal(calls, 1);
  await assert.rejects(client('sk-wrong-key-123').models.list(), AuthenticationError);
  // No Authorization header at all.
  const res = await request(`${h.server.url}/v1/models`);
  assert.equal(res.statusCode, 401);
  assert.equal(((await res.body.json()) as { error: { code: string } }).error.code, 'invalid_api_key');
  assert.equal(h.coze.chats.length, 0);
  await h.close();

  h = await startHarness({});
  await assert.rejects(client().models.list(), (e: unknown) => {
    assert.ok(e instanceof PermissionDeniedError);
    assert.match(e.message, /WXCOZE_API_KEYS/);
    return true;
  });
  await assert.rejects(
    client().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
    PermissionDeniedError,
  );
  assert.equal(h.coze.chats.length, 0);
});

test('non-streaming create: the bot answer, role, finish_reason and real Coze usage; Coze gets a stateless chat', async () => {
  h = await startHarness(KEYS);
  h.coze.setResponder(() => '北京今天晴。');
  const r = await client().chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: '北京天气？' }],
    temperature: 0.2,
    max_tokens: 100,
    seed: 1,
    stop: ['x'],
    user: 'alice',
    metadata: { a: 'b' },
    foo: 'bar',
  } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming);
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, MODEL);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0]!.message.role, 'assistant');
  assert.equal(r.choices[0]!.message.content, '北京今天晴。');
  assert.equal(r.choices[0]!.finish_reason, 'stop');
  assert.equal(h.coze.chats.length, 1);
  const chat = h.coze.chats[0]!;
  // The fake's usage: input = characters sent, output = characters answered.
  assert.deepEqual(r.usage, {
    prompt_tokens: '北京天气？'.length,
    completion_tokens: '北京今天晴。'.length,
    total_tokens: '北京天气？'.length + '北京今天晴。'.length,
  });
  assert.equal(chat.autoSaveHistory, false);
  assert.deepEqual(chat.sentConversationId, {});
  assert.deepEqual(chat.messages, [
    { role: 'user', type: 'question', content: '北京天气？', content_type: 'text' },
  ]);
});

test('streaming iterator: one id, role only first, exactly one empty-delta finish chunk, [DONE] on the wire, no event: lines', async () => {
  h = await startHarness(KEYS);
  h.coze.setResponder(() => '你好，我是旅行助手，很高兴为您服务。');
  const stream = await client().chat.completions.create({
    model: MODEL,
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
  });
  const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  assert.ok(chunks.length >= 3);
  assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
  assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === MODEL));
  assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
  assert.ok(chunks.slice(1).every((c) => c.choices[0]?.delta.role === undefined));
  const finals = chunks.filter((c) => c.choices[0]?.finish_reason);
  assert.equal(finals.length, 1);
  assert.equal(finals[0]!.choices[0]!.finish_reason, 'stop');
  assert.deepEqual(finals[0]!.choices[0]!.delta, {});
  assert.equal(chunks.at(-1), finals[0]);
  assert.ok(
    chunks.every((c) => !('usage' in c)),
    'no usage without stream_options.include_usage',
  );
  assert.equal(
    chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''),
    '你好，我是旅行助手，很高兴为您服务。',
  );

  const raw = await rawStream({ messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(raw.status, 200);
  assert.match(String(raw.headers['content-type']), /^text\/event-stream/);
  assert.equal(raw.headers['x-accel-buffering'], 'no');
  assert.equal(raw.headers['content-encoding'], undefined);
  assert.ok(!/^event:/m.test(raw.text), 'an event: line makes openai-node yield it instead of a chunk');
  assert.equal(dataLines(raw.text).at(-1), '[DONE]');
  assert.ok(raw.text.endsWith('data: [DONE]\n\n'));
});

test('chat.completions.stream().finalChatCompletion() resolves with the whole answer, reasoning first', async () => {
  h = await startHarness(KEYS);
  h.coze.setResponder(() => ({
    reasoning: '用户在打招呼，应当礼貌回应。',
    text: '您好！有什么可以帮您？',
    followUps: ['还有别的问题吗？'],
  }));
  const s = client().chat.completions.stream({ model: MODEL, messages: [{ role: 'user', content: '你好' }] });
  const order: string[] = [];
  s.on('chunk', (c) => {
    const d = c.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
    if (d?.reasoning_content) order.push('reasoning');
    if (d?.content) order.push('content');
  });
  const final = await s.finalChatCompletion();
  assert.equal(
    final.choices[0]!.message.content,
    '您好！有什么可以帮您？',
    'follow-up suggestions never leak into the answer',
  );
  assert.equal(final.choices[0]!.finish_reason, 'stop');
  assert.ok(order.includes('reasoning'));
  assert.equal(
    order.lastIndexOf('reasoning') < order.indexOf('content'),
    true,
    'all reasoning before the answer',
  );

  // Non-stream: reasoning next to the content.
  const r = await client().chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: '你好' }],
  });
  assert.equal(
    (r.choices[0]!.message as { reasoning_content?: string }).reasoning_content,
    '用户在打招呼，应当礼貌回应。',
  );
  assert.equal(r.choices[0]!.message.content, '您好！有什么可以帮您？');
});

test('stream_options.include_usage: a last chunk with no choices and the Coze token counts; other chunks usage null', async () => {
  h = await startHarness(KEYS);
  h.coze.setResponder(() => 'abcdef');
  const stream = await client().chat.completions.create({
    model: MODEL,
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'hello' }],
  });
  const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  const last = chunks.at(-1)!;
  assert.deepEqual(last.choices, []);
  assert.deepEqual(last.usage, { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });
  assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
  assert.equal(chunks.filter((c) => c.usage).length, 1);
});

test('history: system folded into the first user turn, assistant turns kept without <think>, last turn the question; Coze stores nothing', async () => {
  h = await startHarness(KEYS);
  await client().chat.completions.create({
    model: MODEL,
    messages: [
      { role: 'system', content: '你是旅行助手。' },
      { role: 'user', content: '我想去杭州' },
      { role: 'assistant', content: '<think>用户想去杭州</think>杭州很好，什么时候出发？' },
      { role: 'user', content: [{ type: 'text', text: '下周' }] },
      { role: 'assistant', content: '好的，预算多少？' },
      { role: 'developer', content: '回答要简短。' },
      { role: 'user', content: '三千元' },
    ],
  });
  const chat = h.coze.chats[0]!;
  assert.deepEqual(
    chat.messages.map((m) => [m.role, m.type, m.content]),
    [
      ['user', 'question', 'System instructions:\n你是旅行助手。\n\n回答要简短。\n\n我想去杭州'],
      ['assistant', 'answer', '杭州很好，什么时候出发？'],
      ['user', 'question', '下周'],
      ['assistant', 'answer', '好的，预算多少？'],
      ['user', 'question', '三千元'],
    ],
  );
  assert.equal(chat.autoSaveHistory, false);
  const conv = h.coze.conversations.get(chat.conversationId);
  assert.equal(
    conv?.messages.length ?? 0,
    0,
    'auto_save_history off: nothing is saved into a Coze conversation',
  );

  // A long chat is cut to the newest 100 messages Coze accepts, the question last.
  const long: OpenAI.Chat.ChatCompletionMessageParam[] = [];
  for (let i = 0; i < 130; i++) long.push({ role: i % 2 ? 'assistant' : 'user', content: `m${i}` });
  long.push({ role: 'user', content: 'last' });
  await client().chat.completions.create({ model: MODEL, messages: long });
  const sent = h.coze.chats[1]!.messages;
  assert.equal(sent.length, 100);
  assert.equal(sent.at(-1)!.content, 'last');
  assert.equal(sent.at(-2)!.content, 'm129');
});

test('an image as a data URL is uploaded to Coze and sent as object_string; bad images and file parts are 400s', async () => {
  h = await startHarness(KEYS);
  const r = await client().chat.completions.create({
    model: MODEL,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: '旧图' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
        ],
      },
      { role: 'assistant', content: '看到了' },
      {
        role: 'user',
        content: [
          { type: 'text', text: '这是什么？' },
          {
            type: 'image_url',
            image_url: { url: `data:image/png;base64,${PNG.toString('base64')}`, detail: 'auto' },
          },
        ],
      },
    ],
  });
  assert.equal(h.coze.files.size, 1, 'only the current turn’s image is uploaded');
  const file = [...h.coze.files.values()][0]!;
  assert.deepEqual(file.data, PNG);
  assert.match(file.name, /\.png$/);
  const last = h.coze.chats[0]!.messages.at(-1)!;
  assert.equal(last.content_type, 'object_string');
  assert.deepEqual(last.content, [
    { type: 'text', text: '这是什么？' },
    { type: 'image', file_id: file.id },
  ]);
  assert.equal(h.coze.chats[0]!.messages[0]!.content, '旧图\n[image]');
  assert.match(r.choices[0]!.message.content ?? '', new RegExp(`file_id=${file.id}`));

  await assert.rejects(
    client().chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'x' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,@@@' } },
          ],
        },
      ],
    }),
    (e: unknown) => {
      assert.ok(e instanceof BadRequestError);
      assert.equal(e.param, 'messages[0].content[1].image_url.url');
      return true;
    },
  );
  await assert.rejects(
    client().chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'image_url',
              image_url: { url: `data:text/plain;base64,${Buffer.from('hello').toString('base64')}` },
            },
          ],
        },
      ],
    }),
    BadRequestError,
  );
  await assert.rejects(
    client().chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'read this' },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } },
          ],
        },
      ],
    }),
    (e: unknown) => {
      assert.ok(e instanceof BadRequestError);
      assert.match(e.message, /"file" are not supported/);
      assert.equal(e.param, 'messages[0].content[1]');
      return true;
    },
  );
  await assert.rejects(
    client().chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] },
      ],
    }),
    BadRequestError,
  );
  assert.equal(h.coze.chats.length, 1);
});

test('request validation: typed 400s with param, tools tolerated unless forced, invalid JSON in the OpenAI envelope', async () => {
  h = await startHarness(KEYS);
  const c = client();
  const bad = async (body: Record<string, unknown>, param: string | null) => {
    await assert.rejects(c.chat.completions.create({ model: MODEL, ...body } as never), (e: unknown) => {
      assert.ok(e instanceof BadRequestError, `expected a 400 for ${JSON.stringify(body)}`);
      assert.equal(e.type, 'invalid_request_error');
      assert.equal(e.param, param);
      return true;
    });
  };
  await bad({ messages: [] }, 'messages');
  await bad(
    {
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'yo' },
      ],
    },
    'messages[1].role',
  );
  await bad({ messages: [{ role: 'wizard', content: 'hi' }] }, 'messages[0].role');
  await bad({ messages: [{ role: 'user', content: 'hi' }], n: 2 }, 'n');
  await bad(
    {
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
      tool_choice: 'required',
    },
    'tool_choice',
  );
  await bad(
    {
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
    },
    'tool_choice',
  );
  assert.equal(h.coze.chats.length, 0);

  const ok = await c.chat.completions.create({
    model: MODEL,
    n: 1,
    messages: [{ role: 'user', content: 'hi' }],
    tools: [{ type: 'function', function: { name: 'memory', parameters: {} } }],
    tool_choice: 'auto',
    parallel_tool_calls: true,
    user: { id: 'x', name: 'n' } as unknown as string,
  });
  assert.equal(ok.choices[0]!.message.tool_calls, undefined);
  assert.equal(ok.choices[0]!.finish_reason, 'stop');

  const res = await request(`${h.server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: '{"model":',
  });
  assert.equal(res.statusCode, 400);
  const body = (await res.body.json()) as { error: { message: string; type: string } };
  assert.equal(body.error.type, 'invalid_request_error');
  const notFound = await request(`${h.server.url}/v1/embeddings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}` },
  });
  assert.equal(notFound.statusCode, 404);
  assert.ok(((await notFound.body.json()) as { error?: unknown }).error);
});

test('schema 400s read naturally: the missing or wrong field named once, with param, in the OpenAI envelope', async () => {
  h = await startHarness(KEYS);
  const post = async (body: unknown) => {
    const res = await request(`${h!.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.statusCode, 400);
    return (
      (await res.body.json()) as {
        error: { message: string; type: string; param: string | null; code: string };
      }
    ).error;
  };
  const missing = await post({ model: MODEL });
  assert.equal(missing.type, 'invalid_request_error');
  assert.equal(missing.param, 'messages');
  assert.equal(missing.message, 'Invalid request: `messages` is required.');
  assert.doesNotMatch(missing.message, /must have required property/);
  const role = await post({ model: MODEL, messages: [{ role: 'wizard', content: 'hi' }] });
  assert.equal(role.param, 'messages[0].role');
  assert.match(role.message, /^Invalid request: `messages\[0\]\.role` must be one of: system, .*user/);
  const notObject = await post([1, 2]);
  assert.equal(notObject.param, null);
  assert.equal(notObject.message, 'Invalid request: the request body must be object.');
  assert.equal(h.coze.chats.length, 0);
});

test('Coze failures before the stream: 429 with Retry-After for rate limits, 5xx otherwise, even when streaming was asked', async () => {
  h = await startHarness(KEYS);
  h.coze.failNext(1, 'rate_limit');
  await assert.rejects(
    client().chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    }),
    (e: unknown) => {
      assert.ok(e instanceof RateLimitError);
      assert.ok(Number(e.headers?.get('retry-after')) > 0);
      return true;
    },
  );
  h.coze.failNext(1, 'http500');
  await assert.rejects(
    client().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
    (e: unknown) => {
      assert.ok(e instanceof InternalServerError);
      assert.equal(e.status, 502);
      return true;
    },
  );
  await h.close();
  // A bot Coze does not know: the operator must fix the configuration; the SDK is told not to retry.
  h = await startHarness({ ...KEYS, COZE_BOT_ID: '7000000000000000001' });
  let calls = 0;
  const c = client(KEY, {
    maxRetries: 2,
    fetch: (i, init) => {
      calls++;
      return fetch(i, init);
    },
  });
  await assert.rejects(
    c.chat.completions.create({
      model: 'coze-bot-7000000000000000001',
      messages: [{ role: 'user', content: 'hi' }],
    }),
    (e: unknown) => {
      assert.ok(e instanceof APIError);
      assert.equal(e.status, 503);
      assert.match(e.message, /COZE_BOT_ID/);
      assert.doesNotMatch(e.message, /pat_test_token/);
      return true;
    },
  );
  assert.equal(calls, 1);
});

test('a Coze failure mid-stream: the text so far, then an error the SDK throws, then [DONE]; never a fake finish_reason', async () => {
  h = await startHarness(KEYS);
  h.coze.setResponder(() => '这是一段会被打断的回答');
  h.coze.failNext(1, 'error-event-midstream');
  const stream = await client().chat.completions.create({
    model: MODEL,
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
  });
  let text = '';
  let finish: string | null | undefined;
  await assert.rejects(
    async () => {
      for await (const c of stream) {
        text += c.choices[0]?.delta.content ?? '';
        finish ??= c.choices[0]?.finish_reason;
      }
    },
    (e: unknown) => {
      assert.ok(e instanceof APIError);
      assert.match(e.message, /internal error/);
      return true;
    },
  );
  assert.equal(text, '这是一');
  assert.equal(finish ?? null, null);

  h.coze.failNext(1, 'chat.failed');
  const raw = await rawStream({ messages: [{ role: 'user', content: 'hi' }] });
  const lines = dataLines(raw.text);
  assert.equal(lines.at(-1), '[DONE]');
  const err = JSON.parse(lines.at(-2)!) as { error?: { message: string }; choices?: unknown };
  assert.ok(err.error);
  assert.equal(err.choices, undefined);
  assert.ok(!lines.some((l) => l.includes('"finish_reason":"stop"')));
});

test('identity: Open-WebUI user headers from a trusted key give each person their own Coze user; other keys cannot use them', async () => {
  h = await startHarness(KEYS);
  const owui = (user: string) => ({
    'X-OpenWebUI-User-Id': user,
    'X-OpenWebUI-User-Name': encodeURIComponent('张 三'),
    'X-OpenWebUI-User-Email': `${user}@example.com`,
    'X-OpenWebUI-Chat-Id': 'chat-1',
  });
  const trusted = client(TRUSTED);
  const ask = (c: OpenAI, headers: Record<string, string>, extra: Record<string, unknown> = {}) =>
    c.chat.completions.create(
      {
        model: MODEL,
        messages: [{ role: 'user', content: 'hi' }],
        ...extra,
      } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
      { headers },
    );
  await ask(trusted, owui('11111111-aaaa'));
  await ask(trusted, owui('22222222-bbbb'));
  await ask(trusted, owui('11111111-aaaa'));
  const [a1, b, a2] = h.coze.chats.map((c) => c.userId);
  assert.notEqual(a1, b);
  assert.equal(a1, a2);
  const store = h.server.store;
  assert.equal(
    a1,
    await store.resolveUser('web', `${scopeOf(TRUSTED)}/owui:11111111-aaaa`, Date.now()),
    'the internal user of the web identity is what Coze sees',
  );
  assert.match(a1!, /^u_/);

  // A plain key's headers are ignored: anyone can send headers.
  await ask(client(KEY), owui('11111111-aaaa'));
  const spoofed = h.coze.chats[3]!.userId;
  assert.notEqual(spoofed, a1);
  assert.equal(
    spoofed,
    await store.resolveUser(
      'web',
      `key:${createHash('sha256').update(KEY).digest('hex').slice(0, 16)}`,
      Date.now(),
    ),
  );
  // Without headers: the `user` field, else the key's own identity.
  await ask(client(KEY), {}, { user: 'bob' });
  await ask(client(KEY), {}, { user: 'bob' });
  assert.equal(h.coze.chats[4]!.userId, h.coze.chats[5]!.userId);
  assert.equal(
    h.coze.chats[4]!.userId,
    await store.resolveUser('web', `${scopeOf(KEY)}/user:bob`, Date.now()),
  );
  assert.notEqual(h.coze.chats[4]!.userId, spoofed);
});

const TITLE_TASK = `### Task:
Generate a concise, 3-5 word title with an emoji summarizing the chat history.
### Output:
JSON format: { "title": "your concise title here" }
### Chat History:
<chat_history>
USER: 下周去杭州玩三天，帮我安排行程
ASSISTANT: 好的，第一天可以去西湖……
</chat_history>`;

test('an Open-WebUI "### Task:" request never touches the person’s Coze memory or conversation', async () => {
  h = await startHarness(KEYS);
  const store = h.server.store;
  const alice = await store.resolveUser('web', `${scopeOf(TRUSTED)}/owui:alice-uuid`, Date.now());
  // Alice already has a Coze conversation (say, from WeChat): it must stay as it is.
  h.coze.conversations.set('7390000000000000001', {
    id: '7390000000000000001',
    botId: BOT_ID,
    created_at: 1,
    messages: [
      { id: '1', role: 'user', type: 'question', content: 'old', content_type: 'text', created_at: 1 },
    ],
  });
  await store.setConversation(alice, `bot:${BOT_ID}`, '7390000000000000001', Date.now());
  h.coze.setResponder(() => '{"title":"🏞️ 杭州三日游"}');
  const r = await client(TRUSTED).chat.completions.create(
    { model: MODEL, messages: [{ role: 'user', content: TITLE_TASK }] },
    { headers: { 'X-OpenWebUI-User-Id': 'alice-uuid' } },
  );
  assert.equal(JSON.parse(r.choices[0]!.message.content!).title, '🏞️ 杭州三日游');
  const chat = h.coze.chats[0]!;
  assert.notEqual(chat.userId, alice, 'tasks run as a background user, not as Alice');
  assert.equal(chat.autoSaveHistory, false);
  assert.notEqual(chat.conversationId, '7390000000000000001');
  assert.equal(h.coze.conversations.get('7390000000000000001')!.messages.length, 1);
  assert.equal(await store.getConversation(alice, `bot:${BOT_ID}`), '7390000000000000001');
  await h.close();

  // WXCOZE_OPENAI_TASKS=local: answered here, for free, in the JSON Open-WebUI parses.
  h = await startHarness({ ...KEYS, WXCOZE_OPENAI_TASKS: 'local' });
  const t = await client(TRUSTED).chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: TITLE_TASK }],
  });
  assert.equal(JSON.parse(t.choices[0]!.message.content!).title, '下周去杭州玩三天，帮我安排行程');
  const f = await client().chat.completions.create({
    model: MODEL,
    messages: [
      {
        role: 'user',
        content:
          '### Task:\nSuggest 3-5 relevant follow-up questions\nJSON format: { "follow_ups": ["Question 1?"] }\n<chat_history>\nUSER: hi\n</chat_history>',
      },
    ],
  });
  assert.deepEqual(JSON.parse(f.choices[0]!.message.content!), { follow_ups: [] });
  const s = await client()
    .chat.completions.stream({ model: MODEL, messages: [{ role: 'user', content: TITLE_TASK }] })
    .finalChatCompletion();
  assert.ok(JSON.parse(s.choices[0]!.message.content!).title);
  // An ordinary chat still reaches the bot.
  await client().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(h.coze.chats.length, 1);
});

test('keep-alive comments while the bot thinks do not disturb the SDK', async () => {
  h = await startHarness({ ...KEYS, WXCOZE_OPENAI_KEEPALIVE_MS: '100' });
  h.coze.setResponder(() => ({ text: '想好了', delayMs: 450 }));
  const raw = await rawStream({ messages: [{ role: 'user', content: 'hi' }] });
  assert.match(raw.text, /^: keep-alive$/m);
  const final = await client()
    .chat.completions.stream({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
    .finalChatCompletion();
  assert.equal(final.choices[0]!.message.content, '想好了');
});

test('a client that leaves mid-stream cancels the Coze chat', async () => {
  h = await startHarness(KEYS);
  h.coze.setResponder(() => ({ text: '很长的回答'.repeat(200), chunkDelayMs: 20 }));
  const stream = await client().chat.completions.create({
    model: MODEL,
    stream: true,
    messages: [{ role: 'user', content: 'long please' }],
  });
  let got = '';
  for await (const c of stream) {
    got += c.choices[0]?.delta.content ?? '';
    if (got.length > 6) break; // leaves the loop: the SDK aborts the request
  }
  await waitFor('the Coze chat to stop', () => h!.coze.runningChats() === 0, 3000);
  const run = h.coze.chats.at(-1)!;
  await settle(100);
  assert.equal(h.coze.runningChats(), 0);
  // It stopped long before its natural end (about 7 s of chunks).
  assert.ok(Date.now() - run.at < 3000);
});
