/**
 * An operator steering a chat through the domain (src/operator/), against the real server and
 * the fakes: take over (the AI pauses, an answer Coze is still writing is not sent), reply
 * (exactly once per action, through the same outbound path and budget), hand back, a handoff to
 * the console's queue, and retrying a failed message (answered exactly once).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, test } from 'node:test';
import { OperatorActions, type OperatorAuditEntry } from '../../src/operator/actions.js';
import { OperatorRefusal } from '../../src/operator/refusal.js';
import { KF, settle, startHarness, waitFor, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const texts = (user: string) => h!.wecom.sentTo(user).map((s) => s.content);
const transCalls = () => h!.wecom.calls.filter((c) => c.path.endsWith('service_state/trans'));

function desk(harness: Harness) {
  const audits: OperatorAuditEntry[] = [];
  const ops = new OperatorActions({
    store: harness.server.store,
    kick: () => harness.server.pipeline.kick(),
    audit: async (e) => {
      audits.push(e);
    },
  });
  return { ops, audits };
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OperatorRefusal) return err.code;
    throw err;
  }
  assert.fail('expected a refusal');
}

const stateOf = async (msgid: string) => (await h!.server.store.get(msgid))?.state;

test("take over: the operator's reply reaches the customer once (double submit), the customer's next message does not reach Coze", async () => {
  h = await startHarness();
  const { ops, audits } = desk(h);
  await h.wecom.customerSends(KF, 'wmOp1', { text: '你好' });
  await waitFor('the AI answer', () => texts('wmOp1').length === 1);
  assert.equal(h.coze.chats.length, 1);

  await ops.takeOver('boss', KF, 'wmOp1');
  assert.equal((await ops.control(KF, 'wmOp1')).mode, 'console');
  const action = randomUUID();
  // A double click: the same action twice, at once.
  const [a, b] = await Promise.all([
    ops.reply('boss', KF, 'wmOp1', action, '您好，我是店主，请问有什么可以帮您？'),
    ops.reply('boss', KF, 'wmOp1', action, '您好，我是店主，请问有什么可以帮您？'),
  ]);
  assert.equal(a.msgid, b.msgid);
  assert.equal([a.duplicate, b.duplicate].filter((d) => !d).length, 1, 'one of them stored it');
  await waitFor('the operator reply', () => texts('wmOp1').length === 2);
  // A retry of the request later (the browser did not see the answer): still one.
  assert.equal(
    (await ops.reply('boss', KF, 'wmOp1', action, '您好，我是店主，请问有什么可以帮您？')).duplicate,
    true,
  );
  await waitFor('the reply done', async () => (await stateOf(a.msgid)) === 'done');
  assert.deepEqual(texts('wmOp1'), ['收到：你好', '您好，我是店主，请问有什么可以帮您？']);
  assert.equal(
    h.wecom.calls.filter(
      (c) => c.path.endsWith('kf/send_msg') && c.body?.text?.content?.startsWith('您好，我是店主'),
    ).length,
    1,
    'one send_msg call for the reply',
  );
  assert.equal(
    h.wecom.getSessionState(KF, 'wmOp1') === 0 || h.wecom.getSessionState(KF, 'wmOp1') === 1,
    true,
    'still API-served',
  );
  assert.deepEqual(
    audits.map((e) => e.action),
    ['takeover', 'reply'],
  );

  const next = await h.wecom.customerSends(KF, 'wmOp1', { text: '我想退货' });
  await waitFor('the message recorded, not answered', async () => (await stateOf(next)) === 'skipped');
  assert.match((await h.server.store.get(next))!.note!, /operator/);
  assert.equal(h.coze.chats.length, 1, 'Coze was not asked');
  assert.equal(texts('wmOp1').length, 2);
});

test('an answer Coze is still writing when the operator takes over is not sent', async () => {
  h = await startHarness();
  const { ops } = desk(h);
  h.coze.setResponder(() => ({ text: '这是AI的回答', delayMs: 1500 }));
  const msgid = await h.wecom.customerSends(KF, 'wmOp2', { text: '在吗' });
  await waitFor('Coze writing', () => h!.coze.runningChats() === 1);
  const { cancelled } = await ops.takeOver('boss', KF, 'wmOp2');
  assert.equal(cancelled, 1);
  assert.equal(await stateOf(msgid), 'cancelled');
  await waitFor('Coze finished', () => h!.coze.runningChats() === 0);
  await ops.reply('boss', KF, 'wmOp2', randomUUID(), '我来回答您');
  await waitFor('the operator reply', () => texts('wmOp2').length === 1);
  await settle(500);
  assert.deepEqual(texts('wmOp2'), ['我来回答您'], "the AI's answer never went out");
  assert.equal(await stateOf(msgid), 'cancelled');
});

test('hand back: Coze answers the next message again', async () => {
  h = await startHarness();
  const { ops } = desk(h);
  await h.wecom.customerSends(KF, 'wmOp3', { text: '一' });
  await waitFor('the AI answer', () => texts('wmOp3').length === 1);
  await ops.takeOver('boss', KF, 'wmOp3');
  const skipped = await h.wecom.customerSends(KF, 'wmOp3', { text: '二' });
  await waitFor('skipped', async () => (await stateOf(skipped)) === 'skipped');
  assert.deepEqual(await ops.handBack('boss', KF, 'wmOp3'), { changed: true });
  assert.equal((await ops.control(KF, 'wmOp3')).mode, 'ai');
  await h.wecom.customerSends(KF, 'wmOp3', { text: '三' });
  await waitFor('the AI again', () => texts('wmOp3').length === 2);
  assert.deepEqual(texts('wmOp3'), ['收到：一', '收到：三']);
  assert.equal(h.coze.chats.length, 2);
  await refusal(ops.reply('boss', KF, 'wmOp3', randomUUID(), '还在吗')).then((code) =>
    assert.equal(code, 'not_taken_over', 'a reply while the AI has the chat is refused'),
  );
});

test('handoff to the console: the customer waits in the queue, WeCom is not asked, an operator reply takes them', async () => {
  h = await startHarness({ WXCOZE_HANDOFF_TO: 'console' });
  const { ops } = desk(h);
  await h.wecom.customerSends(KF, 'wmOp4', { text: '我要转人工' });
  await waitFor('the handoff text', () => texts('wmOp4').length === 1);
  assert.deepEqual(texts('wmOp4'), ['正在为您转接人工客服，请稍候。']);
  await waitFor('waiting', async () => (await ops.control(KF, 'wmOp4')).mode === 'waiting');
  assert.equal(transCalls().length, 0, 'no service_state/trans');
  const queue = await h.server.store.operatorActions.waitingQueue({ limit: 10, sinceAfter: 0 });
  assert.deepEqual(
    queue.map((q) => q.externalUserId),
    ['wmOp4'],
  );
  const next = await h.wecom.customerSends(KF, 'wmOp4', { text: '人呢？' });
  await waitFor('skipped', async () => (await stateOf(next)) === 'skipped');
  assert.equal(h.coze.chats.length, 0);

  await ops.reply('boss', KF, 'wmOp4', randomUUID(), '您好，我是人工客服');
  await waitFor('the operator reply', () => texts('wmOp4').length === 2);
  assert.equal(
    (await ops.control(KF, 'wmOp4')).mode,
    'console',
    'the reply took the customer out of the queue',
  );
  assert.equal((await h.server.store.operatorActions.waitingQueue({ limit: 10, sinceAfter: 0 })).length, 0);
});

test('handoff to WeCom (the default): the console cannot send, and says why', async () => {
  h = await startHarness();
  const { ops } = desk(h);
  await h.wecom.customerSends(KF, 'wmOp5', { text: '转人工' });
  await waitFor('the handoff', () => transCalls().length === 1);
  await waitFor('human', async () => (await ops.control(KF, 'wmOp5')).mode === 'human');
  assert.equal(await refusal(ops.takeOver('boss', KF, 'wmOp5')), 'human_mode');
  assert.equal(await refusal(ops.reply('boss', KF, 'wmOp5', randomUUID(), '你好')), 'human_mode');
});

test('the budget: 5 messages per customer message, then a clear refusal; none once the window is closed', async () => {
  h = await startHarness();
  const { ops } = desk(h);
  await h.wecom.customerSends(KF, 'wmOp6', { text: '你好' });
  await waitFor('the AI answer', () => texts('wmOp6').length === 1);
  await ops.takeOver('boss', KF, 'wmOp6');
  // The fake records the answer when it arrives; the bridge logs it against the budget right after.
  await waitFor('the answer counted', async () => (await ops.control(KF, 'wmOp6')).budget.left === 4);
  for (let i = 1; i <= 4; i++) await ops.reply('boss', KF, 'wmOp6', randomUUID(), `第${i}条`);
  assert.equal(await refusal(ops.reply('boss', KF, 'wmOp6', randomUUID(), '第5条')), 'budget_spent');
  await waitFor('four replies', () => texts('wmOp6').length === 5);
  const b = (await ops.control(KF, 'wmOp6')).budget;
  assert.equal(b.left, 0);
  assert.ok(b.windowClosesAt! > Date.now() + 47 * 3600_000);
  // The customer writes again: the budget is back. (WeCom's times are whole seconds: sends in the
  // same second as the customer's message count against it, so the message comes a second later.)
  await settle(1100);
  await h.wecom.customerSends(KF, 'wmOp6', { text: '还有问题' });
  await waitFor('budget back', async () => (await ops.control(KF, 'wmOp6')).budget.left === 5);

  // Never wrote: nothing may be sent.
  await ops.takeOver('boss', KF, 'wmNever');
  assert.equal(await refusal(ops.reply('boss', KF, 'wmNever', randomUUID(), '你好')), 'window_closed');
});

test('a failed message retried is answered exactly once (two retries at once), continuing after the apology', async () => {
  h = await startHarness({ COZE_MAX_ATTEMPTS: '1', WXCOZE_APOLOGY_TEXT: '系统繁忙' });
  const { ops, audits } = desk(h);
  h.coze.failNext(1, 'http500');
  const msgid = await h.wecom.customerSends(KF, 'wmOp7', { text: '价格多少' });
  await waitFor('failed', async () => (await stateOf(msgid)) === 'failed');
  assert.deepEqual(texts('wmOp7'), ['系统繁忙']);
  const listed = await h.server.store.operatorActions.listFailed({ limit: 10 });
  assert.deepEqual(
    listed.map((i) => i.msgid),
    [msgid],
  );

  const [r1, r2] = await Promise.all([ops.retry('boss', [msgid]), ops.retry('boss', [msgid])]);
  const outcomes = [...r1, ...r2];
  assert.equal(outcomes.filter((r) => r.ok).length, 1, 'one retry won');
  assert.equal(outcomes.find((r) => !r.ok)?.ok === false && outcomes.find((r) => !r.ok)!.code, 'not_failed');
  await waitFor('answered', async () => (await stateOf(msgid)) === 'done');
  await settle(500);
  assert.deepEqual(texts('wmOp7'), ['系统繁忙', '收到：价格多少']);
  assert.equal(audits.filter((a) => a.action === 'retry').length, 1);
  assert.equal((await h.server.store.operatorActions.listFailed({ limit: 10 })).length, 0);
});

test('dismissed failed messages leave the list; a retry while an operator has the chat is refused', async () => {
  h = await startHarness({ COZE_MAX_ATTEMPTS: '1', WXCOZE_APOLOGY_TEXT: '系统繁忙' });
  const { ops } = desk(h);
  h.coze.failNext(1, 'http500');
  const msgid = await h.wecom.customerSends(KF, 'wmOp8', { text: '一' });
  await waitFor('failed', async () => (await stateOf(msgid)) === 'failed');
  await ops.takeOver('boss', KF, 'wmOp8');
  const [r] = await ops.retry('boss', [msgid]);
  assert.equal(r!.ok === false && r!.code, 'taken_over');
  assert.equal(await h.server.store.operatorActions.countFailed(), 1);
  assert.equal(await ops.dismiss('boss', [msgid, msgid]), 1);
  assert.equal(await h.server.store.operatorActions.countFailed(), 0);
  assert.equal(await stateOf(msgid), 'failed', 'still failed, only no longer flagged');
});
