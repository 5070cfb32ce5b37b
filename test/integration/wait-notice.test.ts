import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { KF, settle, startHarness, waitFor, type Harness } from '../helpers/harness.js';

const NOTICE = '正在为您查询，请稍候…';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const texts = (user: string) => h!.wecom.sentTo(user).map((s) => s.content ?? s.msgtype);

test('a slow Coze answer: exactly one waiting notice, then the answer', async () => {
  h = await startHarness({ WXCOZE_WAIT_NOTICE: 'on', WXCOZE_WAIT_NOTICE_MS: '100' });
  h.coze.setResponder(() => ({ text: '您的订单已发货。', delayMs: 3000 }));
  await h.wecom.customerSends(KF, 'wmSlow', { text: '我的订单到哪了？' });
  await waitFor('the answer', () => texts('wmSlow').includes('您的订单已发货。'));
  await settle();
  assert.deepEqual(texts('wmSlow'), [NOTICE, '您的订单已发货。']);
  // Notice and answer carry different msgids (the notice's is its own, derived from the message's).
  const ids = h.wecom.sentTo('wmSlow').map((s) => s.msgid);
  assert.equal(new Set(ids).size, 2);
});

test('a fast answer gets no notice, and the stopped timer never fires later', async () => {
  h = await startHarness({ WXCOZE_WAIT_NOTICE: 'on', WXCOZE_WAIT_NOTICE_MS: '3000' });
  h.coze.setResponder(() => '马上为您办理。');
  await h.wecom.customerSends(KF, 'wmFast', { text: '我要退货' });
  await waitFor('the answer', () => texts('wmFast').length === 1);
  // Past the notice's time: a timer left running would have sent it by now.
  await settle(3500);
  assert.deepEqual(texts('wmFast'), ['马上为您办理。']);
});

test('no notice when the 5-message budget has no room for it beside the answers still owed', async () => {
  h = await startHarness({ WXCOZE_WAIT_NOTICE: 'on', WXCOZE_WAIT_NOTICE_MS: '100' });
  h.coze.setResponder((chat) => ({ text: `答：${chat.messages.at(-1)?.content as string}`, delayMs: 600 }));
  // Five questions at once: each needs one of the five messages, so none is left for a notice.
  for (let i = 1; i <= 5; i++)
    await h.wecom.customerSends(KF, 'wmBusy', { text: `问题${i}` }, { notify: false });
  await h.wecom.deliverCallback(KF);
  await waitFor('five answers', () => texts('wmBusy').length >= 5, 30_000);
  await settle();
  assert.deepEqual(texts('wmBusy'), ['答：问题1', '答：问题2', '答：问题3', '答：问题4', '答：问题5']);
});

test('off by default: a slow answer comes alone', async () => {
  h = await startHarness({ WXCOZE_WAIT_NOTICE_MS: '100' });
  h.coze.setResponder(() => ({ text: '好的。', delayMs: 1000 }));
  await h.wecom.customerSends(KF, 'wmOff', { text: '在吗' });
  await waitFor('the answer', () => texts('wmOff').length === 1);
  await settle();
  assert.deepEqual(texts('wmOff'), ['好的。']);
});
