/**
 * Text processing of request content in linear time, checked against the regexes it replaced
 * (which were right but quadratic) on random inputs made of the tags that matter.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stripReasoning } from '../../src/openai/content.js';
import { detectTask, localTaskAnswer } from '../../src/openai/tasks.js';

/** The previous implementation, kept as the reference for what must be removed. */
function stripReasoningByRegex(text: string): string {
  let t = text;
  for (const re of [
    /<think>[\s\S]*?<\/think>/gi,
    /<thinking>[\s\S]*?<\/thinking>/gi,
    /<reasoning>[\s\S]*?<\/reasoning>/gi,
    /<details\b[^>]*type=["']?reasoning["']?[^>]*>[\s\S]*?<\/details>/gi,
  ])
    t = t.replace(re, '');
  return t.trim();
}

const piece = fc.constantFrom(
  '<think>',
  '</think>',
  '<THINK>',
  '<thinking>',
  '</thinking>',
  '<reasoning>',
  '</Reasoning>',
  '<details',
  '<details ',
  '<details type="reasoning">',
  '<details type=\'reasoning\' done="true">',
  '<details type=reasoning>',
  '<details class="x">',
  '</details>',
  '<detailsx type="reasoning">',
  '>',
  '<',
  'type=',
  'reasoning',
  '"',
  ' ',
  '\n',
  'a',
  '答',
  '<!-- -->',
);

test('stripReasoning removes exactly what the old regexes removed (property, 2,000 random texts)', () => {
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
      const text = parts.join('');
      assert.equal(stripReasoning(text), stripReasoningByRegex(text));
    }),
    { numRuns: 2000 },
  );
});

test('stripReasoning on the attack texts: unclosed tags by the ten thousand are returned unchanged', () => {
  for (const unit of ['<details ', '<think>', '<details type="reasoning">', '<thinking>']) {
    const text = `x${unit.repeat(40_000)}y`;
    assert.equal(stripReasoning(text), text);
  }
  assert.equal(stripReasoning(`${'<details '.repeat(1000)}type="reasoning">r</details>answer`), 'answer');
});

test('a title task whose template repeats <chat_history> without closing it still gets a title', () => {
  const prompt = `### Task: Generate a concise title "title"\n${'<chat_history>'.repeat(30_000)}`;
  const task = detectTask([{ role: 'user', content: prompt }], undefined)!;
  assert.equal(task.kind, 'title');
  assert.deepEqual(JSON.parse(localTaskAnswer(task)), { title: 'New chat' });
  const ok = detectTask(
    [
      {
        role: 'user',
        content: '### Task: "title"\n<chat_history>\nUSER: 去北京怎么走\nASSISTANT: 坐火车\n</chat_history>',
      },
    ],
    undefined,
  )!;
  assert.deepEqual(JSON.parse(localTaskAnswer(ok)), { title: '去北京怎么走' });
});
