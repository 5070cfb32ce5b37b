/**
 * Only this app's kf accounts are pulled: a signed callback with a made-up open_kfid creates no
 * account and no pull; a listed (or configured) one works; while kf/account/list fails, a new
 * account's callback is deferred and handled once the list answers; junk stored by an older
 * wxcoze is neither pulled nor shown.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { KF, settle, startHarness, waitFor, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const syncsFor = (id: string) =>
  h!.wecom.calls.filter((c) => c.path === '/cgi-bin/kf/sync_msg' && c.body?.open_kfid === id).length;
const listCalls = () => h!.wecom.calls.filter((c) => c.path === '/cgi-bin/kf/account/list').length;
const storedIds = async () => (await h!.server.store.listAccounts()).map((a) => a.openKfId);

test('a signed callback with a made-up open_kfid is acknowledged but creates no account and no pull', async () => {
  h = await startHarness();
  const junk = [
    '__proto__',
    '../../etc/passwd',
    'wkMadeUpAccount0000000000000001',
    ...Array.from({ length: 20 }, (_, i) => `wkFuzzed${String(i).padStart(24, '0')}`),
  ];
  for (const id of junk) assert.deepEqual(await h.wecom.deliverCallback(id), [200]);
  // Long enough for the deferred ones to be checked again against a refreshed list.
  await settle(3000);
  for (const id of junk) assert.equal(syncsFor(id), 0, `no sync_msg for ${id}`);
  assert.deepEqual(await storedIds(), []);
  assert.ok(
    listCalls() <= 3,
    `kf/account/list is refreshed at most once per interval (${listCalls()} calls)`,
  );
  // The real account still works.
  await h.wecom.customerSends(KF, 'wmReal', { text: '你好' });
  await waitFor('the reply', () => h!.wecom.sentTo('wmReal').length === 1);
  assert.deepEqual(await storedIds(), [KF]);
});

test('an account added to the app later is accepted once WeCom lists it', async () => {
  h = await startHarness();
  const fresh = 'wkAJ2GCAAASSm4_AddedLater000000';
  h.wecom.addAccount(fresh, '新客服');
  await h.wecom.customerSends(fresh, 'wmNew', { text: '在吗' });
  await waitFor('the reply', () => h!.wecom.sentTo('wmNew').length === 1);
});

test("while kf/account/list fails, a new account's callback is deferred, then handled when the list answers", async () => {
  h = await startHarness();
  const fresh = 'wkAJ2GCAAASSm4_DuringOutage0000';
  h.wecom.addAccount(fresh, '新客服');
  h.wecom.failAccountList(-1);
  await h.wecom.customerSends(fresh, 'wmWait', { text: '在吗' });
  await settle(1000);
  assert.equal(syncsFor(fresh), 0, 'not pulled while unconfirmed');
  assert.ok(listCalls() >= 1);
  h.wecom.failAccountList(null);
  await waitFor('the reply after the list answers', () => h!.wecom.sentTo('wmWait').length === 1, 20_000);
});

test('an account named by the configuration is pulled even when WeCom does not list it', async () => {
  const configured = 'wkAJ2GCAAASSm4_Configured00000';
  h = await startHarness({ WECOM_OPEN_KFID: configured });
  h.wecom.failAccountList(48002);
  await h.wecom.customerSends(configured, 'wmConf', { text: '你好' });
  await waitFor('the reply', () => h!.wecom.sentTo('wmConf').length === 1);
  assert.equal(listCalls(), 0, 'no list call needed');
});

test('at start, stored junk accounts (from an older wxcoze) are not pulled and are removed; real ones are', async () => {
  h = await startHarness();
  await h.wecom.customerSends(KF, 'wmReal', { text: '你好' });
  await waitFor('the reply', () => h!.wecom.sentTo('wmReal').length === 1);
  const store = h.server.store;
  for (const id of ['__proto__', '../../etc/passwd', 'wkMadeUpAccount0000000000000002'])
    await store.touchAccount(id, Date.now());
  const before = h.wecom.calls.length;
  await h.server.pipeline.pullAllKnown();
  await waitFor('junk removed', async () => (await storedIds()).length === 1);
  await settle(300);
  assert.deepEqual(await storedIds(), [KF], '`status` lists only the real account');
  assert.ok(
    h.wecom.calls.slice(before).some((c) => c.path === '/cgi-bin/kf/sync_msg' && c.body?.open_kfid === KF),
    'the real account is pulled again',
  );
  for (const id of ['__proto__', '../../etc/passwd', 'wkMadeUpAccount0000000000000002'])
    assert.equal(syncsFor(id), 0);
});
