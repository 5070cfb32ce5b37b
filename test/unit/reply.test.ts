import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  composeReply,
  cutToBytes,
  MAX_TEXT_BYTES,
  outboundMsgid,
  splitText,
} from '../../src/pipeline/reply.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

test('a short answer is one part, unchanged', () => {
  assert.deepEqual(composeReply('你好！有什么可以帮您？', 5), [
    { kind: 'text', content: '你好！有什么可以帮您？' },
  ]);
});

test('a long Chinese answer splits on sentences, each part ≤ 2048 bytes, nothing lost', () => {
  const sentence = '这是一个用于测试分段的句子，包含中文标点。';
  const text = sentence.repeat(200); // ~12.6 KB
  const parts = splitText(text, 10);
  assert.ok(parts.length > 1);
  for (const p of parts) {
    assert.ok(bytes(p) <= MAX_TEXT_BYTES, `part has ${bytes(p)} bytes`);
    assert.ok(p.endsWith('。'), 'each part ends at a sentence boundary');
  }
  assert.equal(parts.join(''), text);
});

test('an emoji sitting on a part boundary is never cut in half', () => {
  // 2046 bytes of ASCII then a 4-byte emoji and a ZWJ family emoji: a byte split would break them.
  const family = '👨‍👩‍👧‍👦';
  const text = 'a'.repeat(2046) + '😀' + family + '结束';
  const parts = splitText(text, 5);
  for (const p of parts) {
    assert.ok(bytes(p) <= MAX_TEXT_BYTES);
    assert.ok(!p.includes('\uFFFD'));
    assert.equal(Buffer.from(p, 'utf8').toString('utf8'), p);
  }
  assert.equal(parts.join(''), text);
  assert.ok(
    parts.some((p) => p.includes(family)),
    'the ZWJ sequence stays whole in one part',
  );
});

test('more text than 5 parts can carry: 5 parts, the last cut with an ellipsis, never 6', () => {
  const text = '长句子。'.repeat(3000);
  const parts = splitText(text, 5);
  assert.equal(parts.length, 5);
  assert.ok(parts[4]!.endsWith('…'));
  for (const p of parts) assert.ok(bytes(p) <= MAX_TEXT_BYTES);
});

test('short paragraphs are merged into as few parts as fit', () => {
  const text = Array.from({ length: 30 }, (_, i) => `第${i}段。`).join('\n');
  assert.equal(splitText(text, 5).length, 1);
});

test('markdown images become image parts with their link as fallback; text keeps order', () => {
  const parts = composeReply('看这只猫：\n![白猫](https://img.example/cat.png)\n喜欢吗？', 5);
  assert.deepEqual(
    parts.map((p) => p.kind),
    ['text', 'image', 'text'],
  );
  assert.equal(parts[1]!.content, 'https://img.example/cat.png');
  assert.equal(parts[1]!.fallback, '白猫: https://img.example/cat.png');
});

test('with a budget of 1 part, images fold back into text instead of being dropped', () => {
  const parts = composeReply('A ![x](https://i.example/1.png) B ![y](https://i.example/2.png) C', 1);
  assert.equal(parts.length, 1);
  assert.equal(parts[0]!.kind, 'text');
  assert.match(parts[0]!.content, /i\.example\/1\.png[\s\S]*i\.example\/2\.png/);
});

test('outbound msgids are deterministic, distinct per part, and fit send_msg rules', () => {
  const a0 = outboundMsgid('from_msgid_4622416642169452483', 0);
  assert.equal(a0, outboundMsgid('from_msgid_4622416642169452483', 0));
  assert.notEqual(a0, outboundMsgid('from_msgid_4622416642169452483', 1));
  assert.notEqual(a0, outboundMsgid('from_msgid_4622416642169452484', 0));
  for (const id of [a0, outboundMsgid('x'.repeat(200), 4)]) {
    assert.match(id, /^[0-9A-Za-z_-]{1,32}$/);
    assert.ok(bytes(id) <= 32);
  }
});

test('cutToBytes keeps a whole emoji or drops it, never half', () => {
  assert.equal(cutToBytes(`${'a'.repeat(125)}😀`, 128), 'a'.repeat(125));
  assert.equal(cutToBytes(`${'a'.repeat(124)}😀`, 128), `${'a'.repeat(124)}😀`);
  assert.equal(cutToBytes('你好世界', 7), '你好');
});
