import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { KF, settle, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { inboxStates } from '../helpers/inbox-states.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

test('Coze failing 3 times, then succeeding → exactly one reply (the real answer)', async () => {
  h = await startHarness({ COZE_MAX_ATTEMPTS: '5' });
  h.coze.failNext(3, 'http500');
  await h.wecom.customerSends(KF, 'wmC', { text: '重试测试' });
  await waitFor('the reply', () => h!.wecom.sentTo('wmC').length === 1, 15_000);
  await settle(400);
  const sent = h.wecom.sentTo('wmC');
  assert.equal(sent.length, 1);
  assert.match(JSON.stringify(sent[0]), /收到：重试测试/);
});

test('Coze failing in every way it can mid-stream is retried; the customer sees one answer', async () => {
  h = await startHarness({ COZE_MAX_ATTEMPTS: '5' });
  h.coze.failNext(1, 'chat.failed');
  h.coze.failNext(1, 'error-event-midstream');
  await h.wecom.customerSends(KF, 'wmMid', { text: '你好' });
  await waitFor('the reply', () => h!.wecom.sentTo('wmMid').length === 1, 15_000);
  await settle(400);
  assert.equal(h.wecom.sentTo('wmMid').length, 1);
  assert.match(JSON.stringify(h.wecom.sentTo('wmMid')[0]), /收到：你好/);
});

test('Coze down for good → one short apology, message marked failed', async () => {
  h = await startHarness({ COZE_MAX_ATTEMPTS: '3', WXCOZE_APOLOGY_TEXT: '系统繁忙，请稍后再试' });
  h.coze.failNext(100, 'http500');
  await h.wecom.customerSends(KF, 'wmDown', { text: '在吗' });
  await waitFor('the apology', () => h!.wecom.sentTo('wmDown').length === 1, 15_000);
  await settle(300);
  assert.match(JSON.stringify(h.wecom.sentTo('wmDown')), /系统繁忙，请稍后再试/);
  await waitFor('failed state', async () => (await inboxStates(h!.server.store)).failed === 1);
});

test('WeCom send_msg failing twice → exactly one reply', async () => {
  h = await startHarness();
  h.wecom.failNextSends(2, 'http500');
  await h.wecom.customerSends(KF, 'wmS', { text: '发送重试' });
  await waitFor('the reply', () => h!.wecom.sentTo('wmS').length === 1, 15_000);
  await settle(500);
  assert.equal(h.wecom.sentTo('wmS').length, 1);
});

test('send outcome unknown (WeCom stored it, then answered 500): the resend with the same msgid is refused as a duplicate, shown once', async () => {
  h = await startHarness();
  h.wecom.failNextSends(1, 'accept-then-500');
  await h.wecom.customerSends(KF, 'wmU', { text: '未知结果' });
  await waitFor('done', async () => (await inboxStates(h!.server.store)).done === 1, 15_000);
  await settle(300);
  assert.equal(h.wecom.sentTo('wmU').length, 1);
});

test('access token expiring mid-flight is refreshed once and the reply goes out', async () => {
  h = await startHarness();
  await h.wecom.customerSends(KF, 'wmT', { text: '第一条' });
  await waitFor('first reply', () => h!.wecom.sentTo('wmT').length === 1);
  const tokensBefore = h.wecom.calls.filter((c) => c.path.includes('gettoken')).length;
  h.wecom.expireAllTokens();
  await h.wecom.customerSends(KF, 'wmT', { text: '第二条' });
  await waitFor('second reply', () => h!.wecom.sentTo('wmT').length === 2);
  const tokensAfter = h.wecom.calls.filter((c) => c.path.includes('gettoken')).length;
  assert.equal(tokensAfter - tokensBefore, 1, 'one refresh');
  await settle(300);
  assert.equal(h.wecom.sentTo('wmT').length, 2);
});

test('a session a human has taken (95018) is recorded as undeliverable, not retried', async () => {
  h = await startHarness();
  h.wecom.setSessionState(KF, 'wmH', 3);
  await h.wecom.customerSends(KF, 'wmH', { text: '你好' });
  await waitFor('failed', async () => (await inboxStates(h!.server.store)).failed === 1);
  const sends = h.wecom.calls.filter((c) => c.path.includes('send_msg')).length;
  await settle(500);
  assert.equal(h.wecom.calls.filter((c) => c.path.includes('send_msg')).length, sends, 'no blind retries');
  assert.equal(h.wecom.sent.length, 0);
});

test('a flood of callbacks while sync_msg fails does not become a flood of pulls (the backoff holds)', async () => {
  // WeCom answers every pull at once with 45009 (frequency limit): retrying per callback would make it worse.
  h = await startHarness({ WXCOZE_RETRY_BASE_MS: '300' });
  h.wecom.failNextSyncs(10_000, 'rate-limited');
  await h.wecom.customerSends(KF, 'wmFlood', { text: '在吗' }, { notify: false });
  for (let i = 0; i < 60; i++) await h.wecom.deliverCallback(KF, { times: 1 });
  const pulls = h.wecom.calls.filter((c) => c.path.includes('sync_msg')).length;
  assert.ok(pulls <= 10, `${pulls} sync_msg calls for 60 callbacks during an outage`);
  // When WeCom recovers, the message is still answered.
  h.wecom.failNextSyncs(0, 'http500');
  await h.wecom.deliverCallback(KF, { times: 1 });
  await waitFor('the reply after the outage', () => h!.wecom.sentTo('wmFlood').length === 1, 20_000);
});

test('a stored cursor WeCom no longer accepts (40058) is dropped: the pull starts over and nothing is answered twice', async () => {
  h = await startHarness();
  await h.wecom.customerSends(KF, 'wmCur', { text: '第一条' });
  await waitFor('first reply', () => h!.wecom.sentTo('wmCur').length === 1);
  // The cursor goes stale (3 days of downtime, a restored backup…).
  await h.server.store.commitPage(KF, 'stale-cursor-from-long-ago', [], Date.now());
  await h.wecom.customerSends(KF, 'wmCur', { text: '第二条' });
  await waitFor('second reply', () => h!.wecom.sentTo('wmCur').length === 2, 15_000);
  await settle(500);
  assert.deepEqual(
    h.wecom.sentTo('wmCur').map((s) => s.content),
    ['收到：第一条', '收到：第二条'],
  );
  assert.notEqual((await h.server.store.getAccount(KF))!.cursor, 'stale-cursor-from-long-ago');
});
