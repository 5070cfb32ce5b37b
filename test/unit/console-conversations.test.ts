import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewInboxMessage } from '../../src/store/types.js';
import { storeEngines } from '../helpers/store-engines.js';

// The console's conversation queries, asserted the same on both engines.
const engines = await storeEngines('wxcoze-conv-');

const NOW = 1_800_000_000_000;
const SEC = Math.floor(NOW / 1000);

function text(msgid: string, user: string, content: string, kf = 'wk1', origin = 3): NewInboxMessage {
  return {
    msgid,
    openKfId: kf,
    externalUserId: user,
    origin,
    msgtype: 'text',
    sendTime: SEC,
    payload: { msgid, open_kfid: kf, external_userid: user, origin, msgtype: 'text', text: { content } },
    state: origin === 3 ? 'received' : 'skipped',
  };
}

for (const engine of engines)
  describe(`console conversations on ${engine.name}`, { skip: engine.skip }, () => {
    test('the list shows each customer once, latest activity first, with the newest row, in pages', async () => {
      const s = await engine.open();
      await s.touchAccount('wk1', NOW);
      await s.commitPage('wk1', 'c1', [text('a1', 'wmA', '你好'), text('b1', 'wmB', '在吗')], NOW);
      await s.commitPage('wk1', 'c2', [text('c1', 'wmC', '价格多少'), text('a2', 'wmA', '还在吗')], NOW);
      const first = await s.conversations.list({ now: NOW, limit: 2 });
      assert.deepEqual(
        first.items.map((c) => [c.externalUserId, c.last.msgid]),
        [
          ['wmA', 'a2'],
          ['wmC', 'c1'],
        ],
      );
      assert.equal(first.more, true);
      const second = await s.conversations.list({ now: NOW, limit: 2, before: first.items[1]!.lastSeq });
      assert.deepEqual(
        second.items.map((c) => c.externalUserId),
        ['wmB'],
      );
      assert.equal(second.more, false);
      assert.equal(first.items[0]!.mode, 'ai');
      assert.equal(first.items[0]!.lastCustomerAt, SEC * 1000);
      // A duplicate page (WeCom replays) moves nothing.
      await s.commitPage('wk1', 'c3', [text('b1', 'wmB', '在吗')], NOW);
      assert.equal((await s.conversations.list({ now: NOW, limit: 1 })).items[0]!.externalUserId, 'wmA');
      // An operator's reply to wmB is activity too: wmB moves to the top.
      await s.setCustomerMode('wk1', 'wmB', 'console', NOW, NOW);
      assert.ok(
        await s.operatorActions.insertReply({
          msgid: 'op_test1',
          openKfId: 'wk1',
          externalUserId: 'wmB',
          operator: 'admin',
          text: '您好，我是客服小王',
          now: NOW,
        }),
      );
      const top = (await s.conversations.list({ now: NOW, limit: 1 })).items[0]!;
      assert.deepEqual([top.externalUserId, top.last.msgid], ['wmB', 'op_test1']);
    });

    test('filters by account, mode and the flags that need attention', async () => {
      const s = await engine.open();
      await s.commitPage('wk1', 'c1', [text('a1', 'wmA', 'hi'), text('b1', 'wmB', 'hi')], NOW);
      await s.commitPage('wk2', 'c1', [text('z1', 'wmZ', 'hi', 'wk2')], NOW);
      const ids = async (q: Parameters<typeof s.conversations.list>[0]) =>
        (await s.conversations.list(q)).items.map((c) => c.externalUserId);
      assert.deepEqual(await ids({ now: NOW, limit: 10, openKfId: 'wk2' }), ['wmZ']);

      await s.setCustomerMode('wk1', 'wmA', 'human', NOW - 1000, NOW);
      assert.deepEqual(await ids({ now: NOW, limit: 10, mode: 'human' }), ['wmA']);
      assert.deepEqual(await ids({ now: NOW, limit: 10, mode: 'ai' }), ['wmZ', 'wmB']);
      // A human session older than 48 h is over: the bot serves again.
      assert.deepEqual(await ids({ now: NOW + 49 * 3_600_000, limit: 10, mode: 'human' }), []);

      // Failed: a message of wmB failed.
      const [item] = await s.claim({ owner: 'o', leaseMs: 60_000, limit: 10, now: NOW });
      assert.ok(item);
      await s.finish(item.msgid, 'o', 'failed', 'Coze said no', NOW);
      const failedUser = item.externalUserId;
      assert.deepEqual(await ids({ now: NOW, limit: 10, flag: 'failed' }), [failedUser]);
      const listed = (await s.conversations.list({ now: NOW, limit: 10 })).items;
      assert.deepEqual(listed.find((c) => c.externalUserId === failedUser)!.flags, ['failed']);
      // Dismissed on the failed page: no longer flagged.
      assert.equal(await s.operatorActions.dismiss([item.msgid], NOW), 1);
      assert.deepEqual(await ids({ now: NOW, limit: 10, flag: 'failed' }), []);
      const after = (await s.conversations.list({ now: NOW, limit: 10 })).items;
      assert.deepEqual(after.find((c) => c.externalUserId === failedUser)!.flags, []);

      // Budget: five sends since wmZ's message.
      const [z] = await s.claim({ owner: 'o', leaseMs: 60_000, limit: 10, now: NOW });
      const zItem = z ?? (await s.get('z1'))!;
      await s.saveAnswer(
        zItem.msgid,
        'o',
        [1, 2, 3, 4, 5].map((n) => ({ kind: 'text' as const, content: `part ${n}` })),
        null,
        NOW,
      );
      for (let p = 0; p < 5; p++) await s.markPartSent(zItem.msgid, 'o', p, `out-${zItem.msgid}-${p}`, NOW);
      const zs = await s.conversations.summary('wk2', 'wmZ', NOW);
      assert.equal(zs!.budgetUsed, 5);
      assert.ok(zs!.flags.includes('budget'));
      assert.deepEqual(await ids({ now: NOW, limit: 10, flag: 'budget' }), ['wmZ']);

      // Handoff asked: the customer waits for an operator.
      await s.db.run(
        s.db.qb
          .updateTable('customers')
          .set({ mode: 'waiting', mode_since: NOW })
          .where('external_userid', '=', 'wmA'),
      );
      assert.deepEqual(await ids({ now: NOW, limit: 10, flag: 'handoff' }), ['wmA']);
      assert.equal((await s.conversations.summary('wk1', 'wmA', NOW))!.mode, 'waiting');
    });

    test('search by customer id, nickname, and text of messages and answers (as text, not patterns)', async () => {
      const s = await engine.open();
      await s.commitPage(
        'wk1',
        'c1',
        [
          text('a1', 'wmAlice', '我想退货'),
          text('b1', 'wmBob', '100% cotton?'),
          text('c1', 'wmCarol', 'Hello There'),
        ],
        NOW,
      );
      const [item] = await s.claim({ owner: 'o', leaseMs: 60_000, limit: 1, now: NOW });
      await s.saveAnswer(item!.msgid, 'o', [{ kind: 'text', content: '包邮到上海' }], null, NOW);
      await s.conversations.saveProfiles(
        [{ externalUserId: 'wmCarol', nickname: '小红', avatar: 'https://wx.qlogo.cn/a.png' }],
        ['wmCarol'],
        NOW,
      );
      const ids = async (q: string) =>
        (await s.conversations.list({ now: NOW, limit: 10, q })).items.map((c) => c.externalUserId);
      assert.deepEqual(await ids('退货'), ['wmAlice']);
      assert.deepEqual(await ids('wmBob'), ['wmBob']);
      assert.deepEqual(await ids('小红'), ['wmCarol']);
      assert.deepEqual(await ids('hello there'), ['wmCarol']);
      assert.deepEqual(await ids('上海'), [item!.externalUserId]);
      assert.deepEqual(await ids('100%'), ['wmBob']);
      assert.deepEqual(await ids('%'), ['wmBob']);
      assert.deepEqual(await ids('_'), []);
      assert.deepEqual(await ids('nothing like this'), []);
    });

    test('a thread holds every row of the customer, servicer messages and events too, newest last, in pages', async () => {
      const s = await engine.open();
      const event: NewInboxMessage = {
        msgid: 'e1',
        openKfId: 'wk1',
        externalUserId: 'wmA',
        origin: 4,
        msgtype: 'event',
        sendTime: SEC,
        payload: { msgtype: 'event', event: { event_type: 'enter_session', external_userid: 'wmA' } },
        state: 'skipped',
      };
      await s.commitPage('wk1', 'c1', [event, text('a1', 'wmA', 'q1'), text('x1', 'wmX', 'other')], NOW);
      await s.commitPage(
        'wk1',
        'c2',
        [text('s1', 'wmA', '人工回复', 'wk1', 5), text('a2', 'wmA', 'q2')],
        NOW,
      );
      const all = await s.conversations.thread('wk1', 'wmA', { limit: 10 });
      assert.deepEqual(
        all.items.map((i) => i.msgid),
        ['e1', 'a1', 's1', 'a2'],
      );
      assert.equal(all.more, false);
      const last2 = await s.conversations.thread('wk1', 'wmA', { limit: 2 });
      assert.deepEqual(
        last2.items.map((i) => i.msgid),
        ['s1', 'a2'],
      );
      assert.equal(last2.more, true);
      const older = await s.conversations.thread('wk1', 'wmA', { limit: 2, before: last2.items[0]!.seq });
      assert.deepEqual(
        older.items.map((i) => i.msgid),
        ['e1', 'a1'],
      );
    });

    test('changesSince names the messages and customers written since a moment', async () => {
      const s = await engine.open();
      await s.commitPage('wk1', 'c1', [text('a1', 'wmA', 'hi')], NOW);
      assert.deepEqual(await s.conversations.changesSince(NOW + 1, 100), []);
      await s.commitPage('wk1', 'c2', [text('b1', 'wmB', 'hi')], NOW + 10);
      const [item] = await s.claim({ owner: 'o', leaseMs: 60_000, limit: 1, now: NOW + 10 });
      await s.saveAnswer(item!.msgid, 'o', [{ kind: 'text', content: 'hello' }], null, NOW + 20);
      const changes = await s.conversations.changesSince(NOW + 1, 100);
      assert.deepEqual(
        changes.map((c) => [c.type, c.externalUserId, c.updatedAt]),
        [
          ['message', 'wmB', NOW + 10],
          ['customer', 'wmB', NOW + 10],
          ['message', 'wmA', NOW + 20],
        ].sort((a, b) => (a[2] as number) - (b[2] as number) || 0),
      );
    });

    test('profiles: asked once per interval, found ones kept, only https avatars', async () => {
      const s = await engine.open();
      await s.commitPage('wk1', 'c1', [text('a1', 'wmA', 'hi'), text('b1', 'wmB', 'hi')], NOW);
      await s.commitPage('wk2', 'c1', [text('a2', 'wmA', 'hi', 'wk2')], NOW);
      assert.deepEqual((await s.conversations.missingProfiles(['wmA', 'wmB', 'wmNever'], NOW)).sort(), [
        'wmA',
        'wmB',
      ]);
      await s.conversations.saveProfiles(
        [{ externalUserId: 'wmA', nickname: '张三', avatar: 'javascript:alert(1)' }],
        ['wmA', 'wmB'],
        NOW,
      );
      // wmB was asked (WeCom did not know it): not again before the interval.
      assert.deepEqual(await s.conversations.missingProfiles(['wmA', 'wmB'], NOW), []);
      assert.deepEqual(await s.conversations.missingProfiles(['wmA', 'wmB'], NOW + 1), ['wmB']);
      for (const kf of ['wk1', 'wk2']) {
        const a = await s.conversations.summary(kf, 'wmA', NOW);
        assert.equal(a!.nickname, '张三');
        assert.equal(a!.avatar, null);
      }
      await s.conversations.saveProfiles(
        [{ externalUserId: 'wmB', nickname: 'Bob', avatar: 'https://wx.qlogo.cn/b/0' }],
        ['wmB'],
        NOW + 2,
      );
      assert.equal((await s.conversations.summary('wk1', 'wmB', NOW))!.avatar, 'https://wx.qlogo.cn/b/0');
    });

    test("one row of a customer's thread by seq, only for that customer; a voice's transcript and a file's name kept on it", async () => {
      const s = await engine.open();
      const media = (msgid: string, user: string, msgtype: string): NewInboxMessage => ({
        ...text(msgid, user, ''),
        msgtype,
        payload: { msgid, msgtype, [msgtype]: { media_id: `media-${msgid}` } },
      });
      await s.commitPage(
        'wk1',
        'c1',
        [media('v1', 'wmA', 'voice'), media('f1', 'wmA', 'file'), media('i1', 'wmB', 'image')],
        NOW,
      );
      const rows = (await s.conversations.thread('wk1', 'wmA', { limit: 10 })).items;
      const [voice, file] = rows;
      const image = (await s.conversations.thread('wk1', 'wmB', { limit: 10 })).items[0]!;
      assert.equal((await s.conversations.message('wk1', 'wmA', voice!.seq))?.msgid, 'v1');
      // Another customer's seq, another account, a seq that does not exist: nothing.
      assert.equal(await s.conversations.message('wk1', 'wmA', image.seq), undefined);
      assert.equal(await s.conversations.message('wk2', 'wmA', voice!.seq), undefined);
      assert.equal(await s.conversations.message('wk1', 'wmA', image.seq + 100), undefined);
      assert.equal(voice!.transcript, null);
      assert.equal(file!.mediaFilename, null);

      const said = '请问有没有大一码的？'.repeat(500); // longer than kept
      await s.noteMedia('v1', { transcript: said }, NOW + 5);
      await s.noteMedia('f1', { filename: `报价单-${'长'.repeat(300)}.pdf` }, NOW + 6);
      const v = (await s.conversations.message('wk1', 'wmA', voice!.seq))!;
      assert.equal(v.transcript, [...said].slice(0, 4000).join(''));
      assert.equal(v.updatedAt, NOW + 5, 'the live feed sees the change');
      const f = (await s.conversations.message('wk1', 'wmA', file!.seq))!;
      assert.equal([...f.mediaFilename!].length, 200);
      assert.ok(f.mediaFilename!.startsWith('报价单-长'));
      assert.equal(f.transcript, null);
      // Nothing to note: the row is left as it was.
      await s.noteMedia('f1', {}, NOW + 9);
      assert.equal((await s.conversations.message('wk1', 'wmA', file!.seq))!.updatedAt, NOW + 6);
    });
  });
