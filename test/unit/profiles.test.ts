import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProfileFetcher, PROFILE_RETRY_MS } from '../../src/pipeline/profiles.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import type { NewInboxMessage } from '../../src/store/types.js';
import { KF, captureLogger, startHarness } from '../helpers/wecom-fake.js';

const BATCHGET = '/cgi-bin/kf/customer/batchget';

function seen(user: string, msgid: string): NewInboxMessage {
  return {
    msgid,
    openKfId: KF,
    externalUserId: user,
    origin: 3,
    msgtype: 'text',
    sendTime: Math.floor(Date.now() / 1000),
    payload: { msgid, text: { content: 'hi' } },
    state: 'received',
  };
}

test('customers seen on a page get their WeChat nickname and avatar, each asked for once per interval', async () => {
  const h = await startHarness();
  const store = SqlStore.sqlite(':memory:');
  await store.migrate();
  let now = Date.now();
  try {
    await h.fake.customerSends(KF, 'wmAlice', { text: '你好' }, { notify: false });
    await h.fake.customerSends(KF, 'wmBob', { text: 'hi' }, { notify: false });
    h.fake.setProfile('wmAlice', { nickname: '爱丽丝', avatar: 'https://wx.qlogo.cn/mmhead/alice/0' });
    const fetcher = new ProfileFetcher({ store, wecom: h.api, logger: captureLogger([]), now: () => now });
    // wmGone never wrote to this WeCom: batchget names it invalid.
    const page = [seen('wmAlice', 'm1'), seen('wmBob', 'm2'), seen('wmGone', 'm3')];
    await store.commitPage(KF, 'c1', page, now);
    fetcher.note(page);
    await fetcher.idle();
    const alice = await store.conversations.summary(KF, 'wmAlice', now);
    assert.equal(alice!.nickname, '爱丽丝');
    assert.equal(alice!.avatar, 'https://wx.qlogo.cn/mmhead/alice/0');
    assert.match((await store.conversations.summary(KF, 'wmBob', now))!.nickname ?? '', /^微信用户/);
    assert.equal((await store.conversations.summary(KF, 'wmGone', now))!.nickname, null);
    assert.equal(h.callsTo(BATCHGET), 1);
    const asked = h.fake.calls.find((c) => c.path === BATCHGET)!.body.external_userid_list as string[];
    assert.deepEqual([...asked].sort(), ['wmAlice', 'wmBob', 'wmGone']);

    // Seen again: nobody is asked about (two known, one tried recently).
    fetcher.note([seen('wmAlice', 'm4'), seen('wmGone', 'm5')]);
    await fetcher.idle();
    assert.equal(h.callsTo(BATCHGET), 1);
    // After the interval the unknown one is asked again, alone.
    now += PROFILE_RETRY_MS + 1;
    fetcher.note([seen('wmAlice', 'm6'), seen('wmGone', 'm7')]);
    await fetcher.idle();
    assert.equal(h.callsTo(BATCHGET), 2);
    assert.deepEqual(h.fake.calls.filter((c) => c.path === BATCHGET)[1]!.body.external_userid_list, [
      'wmGone',
    ]);
    await fetcher.stop();
  } finally {
    await store.close();
    await h.close();
  }
});

test('a failing batchget is logged, blocks nothing, and is tried again later', async () => {
  const store = SqlStore.sqlite(':memory:');
  await store.migrate();
  const lines: string[] = [];
  let now = Date.now();
  let calls = 0;
  const fetcher = new ProfileFetcher({
    store,
    wecom: {
      batchGetCustomers: (ids) => {
        calls++;
        if (calls === 1) return Promise.reject(new Error('socket hang up'));
        return Promise.resolve({
          customers: ids.map((id) => ({ externalUserId: id, nickname: 'N', avatar: '' })),
          invalid: [],
        });
      },
    },
    logger: captureLogger(lines),
    now: () => now,
  });
  const page = [seen('wmA', 'm1')];
  await store.commitPage(KF, 'c1', page, now);
  fetcher.note(page);
  await fetcher.idle();
  assert.equal(calls, 1);
  assert.ok(lines.some((l) => l.includes('could not fetch') && l.includes('socket hang up')));
  fetcher.note(page); // right away: not again
  await fetcher.idle();
  assert.equal(calls, 1);
  now += 6 * 60_000;
  fetcher.note(page);
  await fetcher.idle();
  assert.equal(calls, 2);
  assert.equal((await store.conversations.summary(KF, 'wmA', now))!.nickname, 'N');
  await fetcher.stop();
  await store.close();
});

test('batchget takes at most 100 ids a call', async () => {
  const store = SqlStore.sqlite(':memory:');
  await store.migrate();
  const sizes: number[] = [];
  const fetcher = new ProfileFetcher({
    store,
    wecom: {
      batchGetCustomers: (ids) => {
        sizes.push(ids.length);
        return Promise.resolve({ customers: [], invalid: ids });
      },
    },
    logger: captureLogger([]),
  });
  const page = Array.from({ length: 250 }, (_, i) => seen(`wm${i}`, `m${i}`));
  await store.commitPage(KF, 'c1', page, Date.now());
  fetcher.note(page);
  await fetcher.idle();
  assert.deepEqual(sizes, [100, 100, 50]);
  await fetcher.stop();
  await store.close();
});
