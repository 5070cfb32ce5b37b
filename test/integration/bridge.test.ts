import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { BACKEND, KF, settle, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { inboxStates } from '../helpers/inbox-states.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const textsTo = (user: string) =>
  h.wecom.sentTo(user).map((s: any) => s.content ?? s.payload?.text?.content ?? s.text?.content);

test('a customer text is answered once, by the bot, in the same chat', async () => {
  await h.wecom.customerSends(KF, 'wmCustomerA', { text: '你们几点开门？' });
  await waitFor('the reply', () => h.wecom.sentTo('wmCustomerA').length === 1);
  await settle();
  const sent = h.wecom.sentTo('wmCustomerA');
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.open_kfid, KF);
  assert.equal(sent[0]!.msgtype, 'text');
  assert.equal(textsTo('wmCustomerA')[0], '收到：你们几点开门？');
  assert.equal(h.coze.chats.length, 1);
  assert.equal(
    h.server.store.kind,
    BACKEND === 'mysql' ? 'mysql' : 'sqlite',
    'the suite runs on the backend it claims',
  );
  assert.equal(h.server.coordinator.kind, BACKEND === 'mysql' ? 'redis' : 'memory');
});

test('the same callback 4 times and a replayed sync_msg page still give one reply', async () => {
  await h.wecom.customerSends(KF, 'wmDup', { text: '在吗' }, { notify: false });
  const statuses = await Promise.all([1, 2, 3, 4].map(() => h.wecom.deliverCallback(KF)));
  for (const s of statuses) assert.equal(s[0], 200);
  await waitFor('the reply', () => h.wecom.sentTo('wmDup').length >= 1);
  h.wecom.replayNextSync();
  await h.wecom.deliverCallback(KF);
  await settle(500);
  assert.equal(h.wecom.sentTo('wmDup').length, 1);
  assert.equal(h.coze.chats.length, 1);
});

test('two customers get two stable, distinct Coze users; each second message continues the same conversation', async () => {
  await h.wecom.customerSends(KF, 'wmAlice', { text: 'A1' });
  await h.wecom.customerSends(KF, 'wmBob', { text: 'B1' });
  await waitFor(
    'both first replies',
    () => h.wecom.sentTo('wmAlice').length === 1 && h.wecom.sentTo('wmBob').length === 1,
  );
  await h.wecom.customerSends(KF, 'wmAlice', { text: 'A2' });
  await h.wecom.customerSends(KF, 'wmBob', { text: 'B2' });
  await waitFor(
    'both second replies',
    () => h.wecom.sentTo('wmAlice').length === 2 && h.wecom.sentTo('wmBob').length === 2,
  );
  const byText = (t: string) => h.coze.chats.find((c: any) => JSON.stringify(c.messages).includes(t))!;
  const [a1, a2, b1, b2] = ['A1', 'A2', 'B1', 'B2'].map(byText);
  assert.equal(a1!.userId, a2!.userId);
  assert.equal(b1!.userId, b2!.userId);
  assert.notEqual(a1!.userId, b1!.userId);
  assert.doesNotMatch(a1!.userId, /wmAlice/, 'Coze sees the internal id, not the WeChat id');
  assert.ok(a1!.conversationId && a1!.conversationId === a2!.conversationId);
  assert.ok(b1!.conversationId && b1!.conversationId === b2!.conversationId);
  assert.notEqual(a1!.conversationId, b1!.conversationId);
  // Coze keeps the history: the conversation holds both turns.
  assert.equal(
    h.coze.conversations.get(a1!.conversationId)!.messages.filter((m: any) => m.role === 'user').length,
    2,
  );
});

test('a customer image reaches Coze as an uploaded file (extension from the bytes) in an object_string message', async () => {
  // A real PNG, labelled as JPEG by the sender: the bytes decide.
  const png = Buffer.from(
    '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
    'hex',
  );
  await h.wecom.customerSends(KF, 'wmImg', { image: png, contentType: 'image/jpeg' });
  await waitFor('the reply', () => h.wecom.sentTo('wmImg').length === 1);
  assert.equal(h.coze.files.size, 1);
  const [file] = [...h.coze.files.values()];
  assert.match(file!.name, /\.png$/);
  assert.deepEqual(file!.data, png);
  const chat = h.coze.chats.at(-1)!;
  const m = chat.messages.at(-1) as any;
  assert.equal(m.content_type, 'object_string');
  const items = typeof m.content === 'string' ? JSON.parse(m.content) : m.content;
  assert.ok(items.some((i: any) => i.type === 'image' && [...h.coze.files.keys()].includes(i.file_id)));
  assert.ok(items.some((i: any) => i.type === 'text'));
});

test('a long Chinese answer with emoji is split into ≤2048-byte parts, in order, nothing lost or garbled', async () => {
  const answer = '欢迎光临本店😀！我们提供多种服务，请问您需要什么帮助？👨‍👩‍👧‍👦\n'.repeat(60);
  h.coze.setResponder(() => answer);
  await h.wecom.customerSends(KF, 'wmLong', { text: '介绍一下' });
  await waitFor('all parts', async () => {
    await settle(100);
    return h.wecom.sentTo('wmLong').length >= 2;
  });
  await settle(300);
  const parts = textsTo('wmLong');
  assert.ok(parts.length >= 3 && parts.length <= 5, `got ${parts.length} parts`);
  for (const p of parts) assert.ok(Buffer.byteLength(p) <= 2048);
  assert.equal(parts.join('\n').replace(/\n+/g, '\n').trim(), answer.trim());
  const ids = h.wecom.sentTo('wmLong').map((s: any) => s.msgid);
  assert.equal(new Set(ids).size, ids.length);
});

test('a message typed by a human servicer (origin 5) is recorded and never sent to Coze', async () => {
  await h.wecom.customerSends(KF, 'wmHuman', { text: '我是人工客服' }, { origin: 5 });
  await settle(600);
  assert.equal(h.coze.chats.length, 0);
  assert.equal(h.wecom.sent.length, 0);
  assert.ok(
    h.wecom.calls.some((c) => c.path.includes('sync_msg')),
    'the callback was pulled',
  );
});

test("an account's first pull does not answer history from before the install", async () => {
  const old = Math.floor(Date.now() / 1000) - 3600;
  await h.wecom.customerSends(KF, 'wmOld', { text: '昨天的问题' }, { notify: false, sendTime: old });
  await h.wecom.customerSends(KF, 'wmOld', { text: '还有一个旧问题' }, { notify: false, sendTime: old + 60 });
  await h.wecom.customerSends(KF, 'wmNew', { text: '现在的问题' });
  await waitFor('the new reply', () => h.wecom.sentTo('wmNew').length === 1);
  await settle(300);
  assert.equal(h.wecom.sentTo('wmOld').length, 0);
  assert.equal(h.coze.chats.length, 1);
  const counts = await inboxStates(h.server.store);
  assert.equal(counts.skipped, 2);
});

test('a location reaches Coze as a text description; a video gets the polite text, never silence', async () => {
  await h.wecom.customerSends(KF, 'wmLoc', {
    msgtype: 'location',
    payload: { latitude: 23.1, longitude: 113.3, name: '广州塔', address: '广州' },
  });
  await waitFor('the reply', () => h.wecom.sentTo('wmLoc').length === 1);
  assert.equal(textsTo('wmLoc')[0], '收到：[位置] 广州塔 广州（纬度 23.1，经度 113.3）');
  await h.wecom.customerSends(KF, 'wmVid', { msgtype: 'video', payload: { media_id: 'mid-video-1' } });
  await waitFor('the reply', () => h.wecom.sentTo('wmVid').length === 1);
  assert.match(textsTo('wmVid')[0]!, /文字/);
  assert.equal(h.coze.chats.length, 1, 'the video never reached Coze');
});

test("two quick questions both get an answer within WeCom's 5 messages: the first long answer leaves room for the second", async () => {
  const long = '这是一个很长的回答。'.repeat(700); // ≈ 21 KB: more than five 2048-byte parts
  h.coze.setResponder((chat) =>
    JSON.stringify(chat.messages).includes('问题一') ? long : '第二个问题的答案',
  );
  await h.wecom.customerSends(KF, 'wmTwo', { text: '问题一' }, { notify: false });
  await h.wecom.customerSends(KF, 'wmTwo', { text: '问题二' }, { notify: false });
  await h.wecom.deliverCallback(KF);
  await waitFor('both answered', async () => (await inboxStates(h.server.store)).done === 2, 15_000);
  const sent = textsTo('wmTwo');
  assert.ok(sent.length <= 5, `${sent.length} messages: WeCom allows 5 after the customer's last message`);
  assert.equal(sent.at(-1), '第二个问题的答案');
  assert.ok(sent.slice(0, -1).join('').startsWith('这是一个很长的回答。'));
  assert.ok(sent.at(-2)!.endsWith('…'), 'the long answer is cut, visibly, to fit');
});
