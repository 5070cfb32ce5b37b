import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toCozeMessages } from '../../src/openai/history.js';
import { stripReasoning } from '../../src/openai/content.js';
import { detectTask, localTaskAnswer } from '../../src/openai/tasks.js';
import { AnswerTranslator } from '../../src/openai/translate.js';
import { paramOf } from '../../src/openai/request.js';
import { OpenAiError } from '../../src/openai/errors.js';

const BOT = { kind: 'bot' as const, botId: '1' };
const FLOW = { kind: 'chatflow' as const, workflowId: '2' };
const noUpload = async () => {
  throw new Error('no upload expected');
};

test('a chatflow gets at most 50 messages and no images; a bot 100', async () => {
  const msgs = Array.from({ length: 81 }, (_, i) => ({
    role: i % 2 ? 'assistant' : 'user',
    content: `m${i}`,
  }));
  assert.equal((await toCozeMessages(msgs, FLOW, noUpload)).length, 50);
  assert.equal((await toCozeMessages(msgs, BOT, noUpload)).length, 81);
  await assert.rejects(
    toCozeMessages(
      [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'x' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
      ],
      FLOW,
      noUpload,
    ),
    (e: unknown) =>
      e instanceof OpenAiError && e.status === 400 && e.param === 'messages[0].content[1].image_url.url',
  );
});

test('system text folds into the only (current) message when there is no earlier user turn; tool turns become text', async () => {
  const out = await toCozeMessages(
    [
      { role: 'system', content: 'S' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'found' },
      { role: 'user', content: 'Q' },
    ],
    BOT,
    noUpload,
  );
  assert.deepEqual(
    out.map((m) => [m.role, m.content]),
    [
      ['assistant', '[called tool lookup({"q":1})]'],
      ['assistant', '[tool result] found'],
      ['user', 'System instructions:\nS\n\nQ'],
    ],
  );
});

test('inline reasoning in old answers is stripped', () => {
  assert.equal(stripReasoning('<think>a\nb</think>答案'), '答案');
  assert.equal(stripReasoning('<details type="reasoning" done="true">x</details>\n答案'), '答案');
});

test('task detection: "### Task:" alone, or the X-OpenWebUI-Task header; a normal chat is not a task', () => {
  assert.equal(
    detectTask([{ role: 'user', content: '### Task:\nx { "tags": [] }' }], undefined)?.kind,
    'tags',
  );
  assert.equal(
    detectTask(
      [
        { role: 'system', content: 's' },
        { role: 'user', content: '  ### Task: x "queries"' },
      ],
      undefined,
    )?.kind,
    'queries',
  );
  assert.equal(detectTask([{ role: 'user', content: 'hello' }], 'title_generation')?.kind, 'title');
  assert.equal(
    detectTask(
      [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'user', content: '### Task: pretend' },
      ],
      undefined,
    ),
    undefined,
  );
  assert.equal(detectTask([{ role: 'user', content: 'what is ### Task:?' }], undefined), undefined);
  assert.deepEqual(
    JSON.parse(
      localTaskAnswer({
        kind: 'title',
        prompt:
          '<chat_history>\nUSER: 一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三\n</chat_history>',
      }),
    ),
    { title: '一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十…' },
  );
});

test('several Coze answers are separated by a blank line; a completed answer without deltas counts once', () => {
  const tr = new AnswerTranslator();
  const text = [
    { type: 'delta', messageId: 'a', content: 'one', reasoning: '' },
    { type: 'answer', messageId: 'a', content: 'one' },
    { type: 'answer', messageId: 'b', content: 'two' },
    { type: 'follow_up', content: 'more?' },
    { type: 'completed', usage: { input: 1, output: 2, total: 3 } },
  ]
    .flatMap((e) => tr.push(e as never))
    .map((p) => p.text)
    .join('');
  assert.equal(text, 'one\n\ntwo');
  assert.deepEqual(tr.usage, { input: 1, output: 2, total: 3 });
});

test('schema paths become OpenAI params', () => {
  assert.equal(paramOf('/messages/0/role'), 'messages[0].role');
  assert.equal(paramOf('', 'model'), 'model');
  assert.equal(paramOf(''), null);
});
