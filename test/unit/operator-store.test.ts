/**
 * The inbox transitions and reads the operator console relies on, on both engines: a takeover
 * cancels what has not started going out (and nothing once beginSending ran), operator rows are
 * stored once per action and reset no budget, a retry moves a failed message back exactly once
 * (asked anew after the apology with a new reply round, or continuing after the parts sent),
 * dismissed messages leave the list, and the waiting queue is oldest first.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import type { NewInboxMessage, Store } from '../../src/store/types.js';
import { freshDatabase } from '../helpers/mysql.js';
import { requireMysql } from '../helpers/requirements.js';

const engines: { name: string; open: () => Promise<Store>; skip?: string }[] = [
  {
    name: 'sqlite',
    open: async () => {
      const s = SqlStore.sqlite(join(mkdtempSync(join(tmpdir(), 'wxcoze-opstore-')), 'wxcoze.db'));
      await s.migrate();
      return s;
    },
  },
];
const opened: Store[] = [];
const dropped: (() => Promise<void>)[] = [];
const needsMysql = await requireMysql();
engines.push({
  name: 'mysql',
  ...(needsMysql ? { skip: needsMysql } : {}),
  open: async () => {
    const db = await freshDatabase();
    dropped.push(db.drop);
    const s = await SqlStore.mysql(db.url);
    await s.migrate();
    opened.push(s);
    return s;
  },
});
after(async () => {
  for (const s of opened) await s.close();
  for (const d of dropped) await d();
});

const msg = (msgid: string, user: string, sendTime = 1700000000): NewInboxMessage => ({
  msgid,
  openKfId: 'wk1',
  externalUserId: user,
  origin: 3,
  msgtype: 'text',
  sendTime,
  payload: { msgid, text: { content: msgid } },
  state: 'received',
});
const reply = (msgid: string, user: string, now: number) => ({
  msgid,
  openKfId: 'wk1',
  externalUserId: user,
  operator: 'boss',
  text: '您好',
  now,
});

for (const engine of engines)
  describe(`operator store on ${engine.name}`, { skip: engine.skip }, () => {
    test('a takeover cancels what has not started going out; after beginSending nothing is cancelled', async () => {
      const s = await engine.open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [msg('a1', 'u1'), msg('a2', 'u2')], 0);
      const taken = await s.claim({ owner: 'w', leaseMs: 60_000, limit: 5, now: 10 });
      assert.equal(taken.length, 2);
      await s.saveAnswer('a1', 'w', [{ kind: 'text', content: 'x' }], null, 20);
      await s.saveAnswer('a2', 'w', [{ kind: 'text', content: 'y' }], null, 20);
      assert.equal(await s.beginSending('a2', 'w', 30), true);
      assert.equal(await s.operatorActions.cancelForTakeover('wk1', 'u1', 'taken over', 40), 1);
      assert.equal(
        await s.operatorActions.cancelForTakeover('wk1', 'u2', 'taken over', 40),
        0,
        'already going out',
      );
      assert.equal((await s.get('a1'))!.state, 'cancelled');
      assert.equal(await s.beginSending('a1', 'w', 50), false, 'the worker must not send it');
      assert.equal(await s.markPartSent('a1', 'w', 0, 'out-a1', 50), false);
      assert.equal(await s.cancelMessage('a2', 'recalled', 60), false, 'a recall is too late as well');
    });

    test('an operator reply is stored once per action, is claimable in order, and resets no budget', async () => {
      const s = await engine.open();
      await s.touchAccount('wk1', 0);
      const t = 1700000000;
      await s.commitPage('wk1', 'c', [msg('b1', 'u3', t)], 0);
      assert.equal(await s.operatorActions.insertReply(reply('op_1', 'u3', t * 1000 + 5000)), true);
      assert.equal(await s.operatorActions.insertReply(reply('op_1', 'u3', t * 1000 + 6000)), false);
      const row = (await s.get('op_1'))!;
      assert.equal(row.state, 'answered');
      assert.equal(row.origin, 0);
      assert.deepEqual(row.parts, [{ kind: 'text', content: '您好' }]);
      // The customer's message comes first; the reply waits for it.
      const first = await s.claim({ owner: 'w', leaseMs: 60_000, limit: 5, now: t * 1000 + 7000 });
      assert.deepEqual(
        first.map((i) => i.msgid),
        ['b1'],
      );
      await s.finish('b1', 'w', 'skipped', 'operator has it', t * 1000 + 7100);
      const [op] = await s.claim({ owner: 'w', leaseMs: 60_000, limit: 5, now: t * 1000 + 7200 });
      assert.equal(op!.msgid, 'op_1');
      assert.deepEqual(await s.operatorActions.budgetFacts('wk1', 'u3'), {
        used: 0,
        pendingReplies: 1,
        lastCustomerAt: t * 1000,
      });
      assert.equal(await s.beginSending('op_1', 'w', t * 1000 + 7300), true);
      await s.markPartSent('op_1', 'w', 0, 'out-op1', t * 1000 + 7400);
      await s.finish('op_1', 'w', 'done', null, t * 1000 + 7500);
      assert.deepEqual(await s.operatorActions.budgetFacts('wk1', 'u3'), {
        used: 1,
        pendingReplies: 0,
        lastCustomerAt: t * 1000,
      });
      assert.equal(await s.lastCustomerMessageAt('wk1', 'u3'), t * 1000, 'origin 0 is not the customer');
      assert.equal(await s.lastCustomerMessageAt('wk1', 'nobody'), null);
    });

    test('retry: after the apology asked anew (new round), a cut-off reply continues; once; dismiss', async () => {
      const s = await engine.open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [msg('c1', 'u4'), msg('c2', 'u5'), msg('c3', 'u6')], 0);
      await s.claim({ owner: 'w', leaseMs: 60_000, limit: 5, now: 10 });
      // c1: the apology went out. c2: two parts, the second undeliverable. c3: Coze failed, nothing stored.
      await s.saveAnswer('c1', 'w', [{ kind: 'text', content: 'sorry' }], 'failed: down', 20, true);
      await s.markPartSent('c1', 'w', 0, 'out-c1', 30);
      await s.finish('c1', 'w', 'failed', 'failed: down', 40);
      const two = [
        { kind: 'text' as const, content: 'p1' },
        { kind: 'text' as const, content: 'p2' },
      ];
      await s.saveAnswer('c2', 'w', two, null, 20);
      await s.markPartSent('c2', 'w', 0, 'out-c2', 30);
      await s.finish('c2', 'w', 'failed', '95002: window closed', 40);
      await s.finish('c3', 'w', 'failed', 'failed: down (apology already sent)', 40);
      assert.equal(await s.operatorActions.countFailed(), 3);

      assert.equal(await s.operatorActions.retry('c1', 'retried', 50), 'received');
      assert.equal(await s.operatorActions.retry('c1', 'retried', 51), null, 'a second retry does nothing');
      const c1 = (await s.get('c1'))!;
      assert.deepEqual(
        [c1.parts, c1.partsSent, c1.apologized, c1.replyRound, c1.attempts],
        [null, 0, false, 1, 0],
      );
      assert.equal(await s.operatorActions.retry('c2', 'retried', 50), 'sending');
      assert.equal((await s.get('c2'))!.partsSent, 1, 'continues after the part already sent');
      assert.equal(await s.operatorActions.retry('c3', 'retried', 50), 'received');
      assert.equal(await s.operatorActions.retry('nope', 'retried', 50), null);
      assert.equal(await s.operatorActions.countFailed(), 0);

      // Failed again, then dismissed: off the list, still failed.
      const again = await s.claim({ owner: 'w2', leaseMs: 60_000, limit: 5, now: 60 });
      assert.equal(again.length, 3);
      for (const i of again) await s.finish(i.msgid, 'w2', 'failed', 'again', 70);
      assert.deepEqual(
        (await s.operatorActions.listFailed({ limit: 2 })).map((i) => i.msgid),
        ['c3', 'c2'],
        'newest first',
      );
      assert.deepEqual(
        (await s.operatorActions.listFailed({ limit: 5, beforeSeq: (await s.get('c2'))!.seq })).map(
          (i) => i.msgid,
        ),
        ['c1'],
      );
      assert.equal(await s.operatorActions.dismiss(['c1', 'c2', 'c2'], 80), 2);
      assert.equal(await s.operatorActions.dismiss(['c1'], 81), 0);
      assert.deepEqual(
        (await s.operatorActions.listFailed({ limit: 5 })).map((i) => i.msgid),
        ['c3'],
      );
      assert.equal((await s.get('c1'))!.state, 'failed');
    });

    test('the waiting queue: customers handed to the console, oldest first; lapsed and answered ones left out', async () => {
      const s = await engine.open();
      await s.setCustomerMode('wk1', 'late', 'waiting', 3000, 3000);
      await s.setCustomerMode('wk1', 'early', 'waiting', 2000, 2000);
      await s.setCustomerMode('wk1', 'old', 'waiting', 100, 100);
      await s.setCustomerMode('wk1', 'served', 'waiting', 2500, 2500);
      await s.setCustomerMode('wk1', 'served', 'console', 2600, 2600);
      assert.deepEqual(
        (await s.operatorActions.waitingQueue({ limit: 10, sinceAfter: 1000 })).map((w) => w.externalUserId),
        ['early', 'late'],
      );
      assert.equal((await s.getCustomer('wk1', 'served')).mode, 'console');
    });
  });
