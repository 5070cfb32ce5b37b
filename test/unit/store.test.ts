import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import type { NewInboxMessage, Store } from '../../src/store/types.js';
import { freshDatabase } from '../helpers/mysql.js';
import { requireMysql } from '../helpers/requirements.js';
import { inboxStates } from '../helpers/inbox-states.js';

// The same behaviour is asserted on both engines.
const engines: { name: string; open: () => Promise<Store>; skip?: string }[] = [
  {
    name: 'sqlite',
    open: async () => {
      const s = SqlStore.sqlite(join(mkdtempSync(join(tmpdir(), 'wxcoze-store-')), 'wxcoze.db'));
      await s.migrate();
      return s;
    },
  },
];
const dropped: (() => Promise<void>)[] = [];
const opened: Store[] = [];
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

for (const engine of engines)
  describe(`store on ${engine.name}`, { skip: engine.skip }, () => {
    const open = engine.open;

    const msg = (
      msgid: string,
      user: string,
      state: 'received' | 'skipped' = 'received',
    ): NewInboxMessage => ({
      msgid,
      openKfId: 'wk1',
      externalUserId: user,
      origin: 3,
      msgtype: 'text',
      sendTime: 1700000000,
      payload: { msgid, text: { content: msgid } },
      state,
    });

    test('a page and its cursor commit together; a replayed msgid is ignored', async () => {
      const s = await open();
      await s.touchAccount('wk1', 1000);
      assert.deepEqual(await s.commitPage('wk1', 'c1', [msg('m1', 'u1'), msg('m2', 'u2')], 2000), {
        inserted: 2,
        duplicates: 0,
      });
      assert.deepEqual(await s.commitPage('wk1', 'c2', [msg('m2', 'u2'), msg('m3', 'u1')], 3000), {
        inserted: 1,
        duplicates: 1,
      });
      assert.equal((await s.getAccount('wk1'))!.cursor, 'c2');
      assert.deepEqual(await inboxStates(s), { received: 3 });
    });

    test('waiting messages count however old; the day count holds the last 24 hours by state', async () => {
      const s = await open();
      const now = Date.now();
      const DAY = 24 * 3600_000;
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c1', [msg('old1', 'u1'), msg('oldSkip', 'u2', 'skipped')], now - 2 * DAY);
      await s.commitPage('wk1', 'c2', [msg('new1', 'u3'), msg('newSkip', 'u4', 'skipped')], now);
      assert.deepEqual(await s.countWaiting(), { received: 2, answered: 0, sending: 0 });
      assert.deepEqual(await s.countSince(now - DAY), {
        received: 1,
        answered: 0,
        sending: 0,
        done: 0,
        skipped: 1,
        failed: 0,
        cancelled: 0,
      });
      assert.deepEqual(await inboxStates(s), { received: 2, skipped: 2 });
    });

    test('claims take one message per customer, oldest first, and never a later one before an earlier finishes', async () => {
      const s = await open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [msg('a1', 'A'), msg('b1', 'B'), msg('a2', 'A')], 0);
      const first = await s.claim({ owner: 'w1', leaseMs: 60_000, limit: 10, now: 1000 });
      assert.deepEqual(
        first.map((i) => i.msgid),
        ['a1', 'b1'],
      );
      assert.deepEqual(await s.claim({ owner: 'w2', leaseMs: 60_000, limit: 10, now: 1000 }), []);
      assert.ok(await s.saveAnswer('a1', 'w1', [{ kind: 'text', content: 'hi' }], null, 1100));
      assert.ok(await s.finish('a1', 'w1', 'done', null, 1200));
      const next = await s.claim({ owner: 'w2', leaseMs: 60_000, limit: 10, now: 1300 });
      assert.deepEqual(
        next.map((i) => i.msgid),
        ['a2'],
      );
    });

    test('an expired lease puts the message back where it was; the old owner can no longer write', async () => {
      const s = await open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [msg('m1', 'u1')], 0);
      await s.claim({ owner: 'dead', leaseMs: 1000, limit: 1, now: 0 });
      assert.ok(
        await s.saveAnswer(
          'm1',
          'dead',
          [
            { kind: 'text', content: 'x' },
            { kind: 'text', content: 'y' },
          ],
          null,
          10,
        ),
      );
      assert.ok(await s.markPartSent('m1', 'dead', 0, 'out0', 20));
      assert.deepEqual(await s.claim({ owner: 'w2', leaseMs: 1000, limit: 1, now: 500 }), []);
      const [taken] = await s.claim({ owner: 'w2', leaseMs: 1000, limit: 1, now: 1500 });
      assert.equal(taken!.state, 'sending');
      assert.equal(taken!.partsSent, 1, 'part 0 stays sent');
      assert.equal(taken!.parts!.length, 2, 'the stored answer is kept: Coze is not asked again');
      assert.equal(await s.finish('m1', 'dead', 'done', null, 1600), false);
      assert.equal(
        await s.noteDeliveryFailure('out0', 'x', 1700),
        'm1',
        'part 0 stays logged against the budget',
      );
    });

    test('renewing leases in one call: held ones move, lost and finished ones are reported', async () => {
      const s = await open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [msg('r1', 'u1'), msg('r2', 'u2'), msg('r3', 'u3'), msg('r4', 'u4')], 0);
      assert.equal((await s.claim({ owner: 'A', leaseMs: 1000, limit: 4, now: 0 })).length, 4);
      assert.ok(await s.finish('r3', 'A', 'done', null, 100));
      // r4's lease expires and B takes it over.
      assert.deepEqual(await s.extendLeases(['r1', 'r2'], 'A', 2500, 900), []);
      assert.equal((await s.claim({ owner: 'B', leaseMs: 1000, limit: 4, now: 1500 }))[0]!.msgid, 'r4');
      const lost = await s.extendLeases(['r1', 'r2', 'r3', 'r4'], 'A', 4000, 2000);
      assert.deepEqual(lost.sort(), ['r3', 'r4']);
      assert.equal((await s.get('r4'))!.leaseOwner, 'B', "B's lease is untouched");
      // Renewing to the same moment again still counts as held (MySQL reports such a row as unchanged).
      assert.deepEqual(await s.extendLeases(['r1', 'r2'], 'A', 4000, 2100), []);
      const later = await s.claim({ owner: 'C', leaseMs: 1000, limit: 4, now: 3000 });
      assert.deepEqual(
        later.map((i) => i.msgid),
        ['r4'],
        "at 3 s only B's expired lease is free: A's renewed ones (to 4 s) are not",
      );
      assert.deepEqual(await s.extendLeases([], 'A', 5000, 3000), []);
    });

    test('marking a part sent: only the lease holder, both the count and the budget log or neither, never backwards', async () => {
      const s = await open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [{ ...msg('p1', 'u7'), sendTime: 0 }], 0);
      await s.claim({ owner: 'w', leaseMs: 60_000, limit: 1, now: 10 });
      assert.ok(
        await s.saveAnswer(
          'p1',
          'w',
          [
            { kind: 'text', content: 'a' },
            { kind: 'text', content: 'b' },
            { kind: 'text', content: 'c' },
          ],
          null,
          20,
        ),
      );
      assert.equal(await s.markPartSent('p1', 'intruder', 0, 'out-p1-x', 30), false, 'not the lease holder');
      assert.equal(
        await s.noteDeliveryFailure('out-p1-x', 'x', 31),
        undefined,
        'nothing logged for the intruder',
      );
      assert.equal((await s.get('p1'))!.state, 'answered');
      assert.ok(await s.markPartSent('p1', 'w', 1, 'out-p1-1', 40));
      assert.ok(
        await s.markPartSent('p1', 'w', 0, 'out-p1-0', 50),
        'a late mark of an earlier part still succeeds',
      );
      const row = (await s.get('p1'))!;
      assert.equal(row.state, 'sending');
      assert.equal(row.partsSent, 2, 'parts_sent never goes backwards');
      assert.ok(
        await s.markPartSent('p1', 'w', 1, 'out-p1-1', 60),
        'the same part marked again (a re-send refused as duplicate)',
      );
      assert.equal(await s.budgetUsed('wk1', 'u7'), 2, 'each outbound msgid counted once');
      assert.ok(
        await s.markPartSent('p1', 'w', 2, null, 70),
        'a handoff part moves the count without a budget entry',
      );
      assert.equal(await s.budgetUsed('wk1', 'u7'), 2);
      assert.equal((await s.get('p1'))!.partsSent, 3);
    });

    test('an answer stored as the apology carries the flag; other answers do not', async () => {
      const s = await open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [msg('ap1', 'u1'), msg('ap2', 'u2')], 0);
      await s.claim({ owner: 'w', leaseMs: 60_000, limit: 5, now: 10 });
      assert.ok(
        await s.saveAnswer('ap1', 'w', [{ kind: 'text', content: 'sorry' }], 'failed: coze down', 20, true),
      );
      assert.ok(
        await s.saveAnswer(
          'ap2',
          'w',
          [{ kind: 'text', content: 'hello' }],
          'failed: is only words here',
          20,
        ),
      );
      assert.equal((await s.get('ap1'))!.apologized, true);
      assert.equal((await s.get('ap2'))!.apologized, false, "the note's wording decides nothing");
      assert.equal(
        (await s.claim({ owner: 'w2', leaseMs: 60_000, limit: 5, now: 70_000 }))[0]!.apologized,
        true,
        'the flag survives a lease expiry',
      );
    });

    test("the last part's mark finishes the message in the same write: done, or failed for the apology", async () => {
      const s = await open();
      await s.touchAccount('wk1', 0);
      await s.commitPage(
        'wk1',
        'c',
        [
          { ...msg('l1', 'u1'), sendTime: 0 },
          { ...msg('l2', 'u2'), sendTime: 0 },
        ],
        0,
      );
      await s.claim({ owner: 'w', leaseMs: 60_000, limit: 5, now: 10 });
      await s.saveAnswer('l1', 'w', [{ kind: 'text', content: 'hi' }], null, 20);
      await s.saveAnswer('l2', 'w', [{ kind: 'text', content: 'sorry' }], 'coze down', 20, true);
      assert.equal(
        await s.markPartSent('l1', 'intruder', 0, 'out-l1-x', 25, { state: 'done', note: null }),
        false,
        'not the lease holder: nothing finished',
      );
      assert.equal((await s.get('l1'))!.state, 'answered');
      assert.ok(await s.markPartSent('l1', 'w', 0, 'out-l1-0', 30, { state: 'done', note: null }));
      assert.ok(await s.markPartSent('l2', 'w', 0, 'out-l2-0', 30, { state: 'failed', note: 'coze down' }));
      const [l1, l2] = [(await s.get('l1'))!, (await s.get('l2'))!];
      assert.deepEqual([l1.state, l1.partsSent, l1.leaseOwner ?? null], ['done', 1, null]);
      assert.deepEqual([l2.state, l2.note], ['failed', 'coze down']);
      assert.equal(await s.budgetUsed('wk1', 'u1'), 1, 'the part is counted against the budget');
      assert.equal(
        await s.markPartSent('l1', 'w', 0, 'out-l1-0', 40, { state: 'done', note: null }),
        false,
        'a finished message is not marked again',
      );
      assert.deepEqual(await s.claim({ owner: 'w2', leaseMs: 60_000, limit: 5, now: 120_000 }), []);
    });

    test("the 5-message budget counts sends since the customer's latest message", async () => {
      const s = await open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [{ ...msg('b1', 'u9'), sendTime: 1 }], 0); // sent at 1 s
      await s.claim({ owner: 'w', leaseMs: 60_000, limit: 1, now: 2000 });
      await s.saveAnswer(
        'b1',
        'w',
        [
          { kind: 'text', content: 'a' },
          { kind: 'text', content: 'b' },
        ],
        null,
        2000,
      );
      await s.markPartSent('b1', 'w', 0, 'out-b1-0', 3000);
      await s.markPartSent('b1', 'w', 1, 'out-b1-1', 4000);
      assert.equal(await s.budgetUsed('wk1', 'u9'), 2);
      const b1 = (await s.get('b1'))!;
      assert.deepEqual(await s.budgetAndWaiting('wk1', 'u9', b1.seq), { used: 2, waiting: 0 });
      await s.commitPage('wk1', 'c2', [{ ...msg('b2', 'u9'), sendTime: 10 }], 10_000); // the customer writes again at 10 s
      assert.equal(await s.budgetUsed('wk1', 'u9'), 0, 'a newer customer message resets the budget');
      assert.deepEqual(
        await s.budgetAndWaiting('wk1', 'u9', b1.seq),
        { used: 0, waiting: 1 },
        'the later b2 waits for its answer',
      );
      assert.equal(await s.budgetUsed('wk1', 'nobody'), 0);
    });

    const run = (owner: string, instanceId: string, beatAt: number) => ({
      owner,
      instanceId,
      host: 'h',
      pid: 1,
      startedAt: beatAt,
      beatAt,
    });

    test('a lease whose owner stopped beating is claimable after the takeover time; with a fresh beat it is not', async () => {
      const s = await open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [msg('m1', 'u1'), msg('m2', 'u2')], 0);
      await s.beginRun(run('A', 'inst-a', 1000));
      await s.beginRun(run('B', 'inst-b', 1000));
      // A holds both with a 3-minute lease, answers m1 and sends its first part, then dies.
      assert.equal((await s.claim({ owner: 'A', leaseMs: 180_000, limit: 5, now: 1000 })).length, 2);
      assert.ok(
        await s.saveAnswer(
          'm1',
          'A',
          [
            { kind: 'text', content: 'x' },
            { kind: 'text', content: 'y' },
          ],
          null,
          1100,
        ),
      );
      assert.ok(await s.markPartSent('m1', 'A', 0, 'out-m1-0', 1200));
      assert.ok(await s.heartbeat('A', 4000));
      assert.ok(await s.heartbeat('B', 12_000));
      // A's beat is 9 s old: still alive for a 10 s takeover time.
      assert.deepEqual(
        await s.claim({ owner: 'B', leaseMs: 180_000, limit: 5, now: 13_000, takeoverMs: 10_000 }),
        [],
      );
      assert.equal(await s.nextWakeAt(13_000, 10_000), 14_000, 'the dispatcher wakes when A goes stale');
      assert.equal(await s.nextWakeAt(13_000), 181_000, 'without a takeover time: when the lease expires');
      // 11 s: A is taken over, long before its lease expires.
      const taken = await s.claim({
        owner: 'B',
        leaseMs: 180_000,
        limit: 5,
        now: 15_000,
        takeoverMs: 10_000,
      });
      assert.deepEqual(taken.map((i) => i.msgid).sort(), ['m1', 'm2']);
      const m1 = taken.find((i) => i.msgid === 'm1')!;
      assert.equal(m1.partsSent, 1, 'the part A sent stays sent');
      assert.equal(m1.leaseOwner, 'B');
      // A wakes up: none of its writes land.
      assert.equal(await s.markPartSent('m1', 'A', 1, 'out-m1-1', 15_100), false);
      assert.equal(await s.finish('m2', 'A', 'done', null, 15_100), false);
      assert.deepEqual(await s.extendLeases(['m2'], 'A', 200_000, 15_100), ['m2']);
      // A claimer never takes over its own lease, even when its own beat is late (a second worker).
      assert.deepEqual(
        await s.claim({ owner: 'B', leaseMs: 180_000, limit: 5, now: 40_000, takeoverMs: 10_000 }),
        [],
      );
      // B's lease is protected by B's fresh beat: A (or anyone) cannot take it back.
      assert.ok(await s.heartbeat('B', 16_000));
      assert.deepEqual(
        await s.claim({ owner: 'A', leaseMs: 180_000, limit: 5, now: 17_000, takeoverMs: 10_000 }),
        [],
      );
      assert.ok(await s.markPartSent('m1', 'B', 1, 'out-m1-1', 17_100));
      assert.equal((await s.get('m1'))!.partsSent, 2);
      assert.equal(await s.noteDeliveryFailure('out-m1-1', 'x', 17_200), 'm1', "B's part is logged");
    });

    test('a restart under the same instance id takes its own leases back at once; a stopped run frees its leases', async () => {
      const s = await open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [msg('m1', 'u1'), msg('m2', 'u2')], 0);
      await s.beginRun(run('old', 'inst-a', 1000));
      await s.beginRun(run('other', 'inst-b', 1000));
      assert.equal((await s.claim({ owner: 'old', leaseMs: 180_000, limit: 1, now: 1000 })).length, 1);
      assert.equal((await s.claim({ owner: 'other', leaseMs: 180_000, limit: 1, now: 1000 })).length, 1);
      assert.deepEqual(
        (await s.instanceRuns('inst-a')).map((r) => r.owner),
        ['old'],
      );
      // 'old' beat 1 s ago, but a new run of inst-a replaces it: its lease is claimable now.
      await s.beginRun(run('new', 'inst-a', 2000));
      assert.deepEqual(
        (await s.instanceRuns('inst-a')).map((r) => r.owner),
        ['new'],
      );
      assert.equal(await s.heartbeat('old', 2100), false, 'the replaced run learns it was replaced');
      const mine = await s.claim({ owner: 'new', leaseMs: 180_000, limit: 5, now: 2100, takeoverMs: 10_000 });
      assert.deepEqual(
        mine.map((i) => i.msgid),
        [(await s.get('m1'))!.leaseOwner === 'new' ? 'm1' : 'm2'],
        "only the previous run's message; the other instance's lease is untouched",
      );
      assert.equal((await s.get(mine[0]!.msgid === 'm1' ? 'm2' : 'm1'))!.leaseOwner, 'other');
      // 'other' stops gracefully without giving its lease back: claimable at once.
      await s.endRun('other');
      assert.equal(
        (await s.claim({ owner: 'new', leaseMs: 180_000, limit: 5, now: 2200, takeoverMs: 10_000 })).length,
        1,
      );
    });

    test('an owner without a heartbeat row (an older version) keeps its lease until it expires', async () => {
      const s = await open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [msg('m1', 'u1')], 0);
      await s.claim({ owner: 'legacy', leaseMs: 60_000, limit: 1, now: 0 });
      assert.deepEqual(
        await s.claim({ owner: 'w', leaseMs: 1000, limit: 1, now: 30_000, takeoverMs: 10_000 }),
        [],
      );
      assert.equal(await s.nextWakeAt(30_000, 10_000), 60_000);
      assert.equal(
        (await s.claim({ owner: 'w', leaseMs: 1000, limit: 1, now: 60_000, takeoverMs: 10_000 })).length,
        1,
      );
    });

    test('deferred retries wait until due and tell the dispatcher when to wake', async () => {
      const s = await open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [msg('m1', 'u1')], 0);
      await s.claim({ owner: 'w', leaseMs: 1000, limit: 1, now: 0 });
      assert.ok(await s.deferRetry('m1', 'w', 5000, 'coze down', 100));
      assert.deepEqual(await s.claim({ owner: 'w', leaseMs: 1000, limit: 1, now: 4000 }), []);
      assert.equal(await s.nextWakeAt(4000), 5000);
      assert.equal((await s.claim({ owner: 'w', leaseMs: 1000, limit: 1, now: 5000 })).length, 1);
    });

    test('skipped messages are recorded but never claimed', async () => {
      const s = await open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [msg('h1', 'u1', 'skipped')], 0);
      assert.deepEqual(await s.claim({ owner: 'w', leaseMs: 1000, limit: 5, now: 10 }), []);
      assert.equal((await s.get('h1'))!.state, 'skipped');
    });

    test('one internal user per channel identity, stable across calls', async () => {
      const s = await open();
      const a = await s.resolveUser('wecom', 'wmAAA', 0);
      const b = await s.resolveUser('wecom', 'wmBBB', 0);
      assert.notEqual(a, b);
      const again = await Promise.all([1, 2, 3].map(() => s.resolveUser('wecom', 'wmAAA', 5)));
      assert.deepEqual(again, [a, a, a]);
      await s.setConversation(a, 'bot:1', 'conv1', 0);
      await s.setConversation(a, 'bot:1', 'conv2', 1);
      assert.equal(await s.getConversation(a, 'bot:1'), 'conv2');
      await s.clearConversation(a, 'bot:1');
      assert.equal(await s.getConversation(a, 'bot:1'), undefined);
    });

    test('transactions started together do not step on each other (new users and links at once)', async () => {
      const s = await open();
      const users = await Promise.all(
        Array.from({ length: 8 }, (_, i) => s.resolveUser('wecom', `wmAtOnce${i}`, i)),
      );
      assert.equal(new Set(users).size, 8, 'eight people, eight users');
      const links = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          s.linkIdentities(
            { channel: 'wecom', externalId: `wmAtOnce${i}` },
            { channel: 'web', externalId: `owui-at-once-${i}` },
            100,
          ),
        ),
      );
      assert.deepEqual(
        links.map((l) => l.userId),
        users.slice(0, 4),
      );
      assert.deepEqual(
        await Promise.all([0, 1, 2, 3].map((i) => s.resolveUser('web', `owui-at-once-${i}`, 200))),
        users.slice(0, 4),
      );
    });

    test('customer mode follows the latest change only; notices are remembered', async () => {
      const s = await open();
      assert.deepEqual(await s.getCustomer('wk1', 'u1'), {
        mode: 'ai',
        modeSince: 0,
        fallbackSentAt: 0,
        quietNoticeAt: 0,
      });
      await s.setCustomerMode('wk1', 'u1', 'human', 2000, 2000);
      await s.setCustomerMode('wk1', 'u1', 'ai', 1000, 2100); // an older event replayed: ignored
      assert.equal((await s.getCustomer('wk1', 'u1')).mode, 'human');
      await s.setCustomerMode('wk1', 'u1', 'ai', 3000, 3000);
      assert.deepEqual(await s.getCustomer('wk1', 'u1'), {
        mode: 'ai',
        modeSince: 3000,
        fallbackSentAt: 0,
        quietNoticeAt: 0,
      });
      await s.markCustomerNotice('wk1', 'u1', 'fallback', 4000);
      await s.markCustomerNotice('wk1', 'u2', 'quiet', 5000);
      assert.equal((await s.getCustomer('wk1', 'u1')).fallbackSentAt, 4000);
      assert.equal((await s.getCustomer('wk1', 'u1')).mode, 'ai');
      assert.equal((await s.getCustomer('wk1', 'u2')).quietNoticeAt, 5000);
    });

    test('a recalled message is cancelled only before its reply starts going out', async () => {
      const s = await open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [msg('r1', 'u1'), msg('r2', 'u2')], 0);
      assert.ok(await s.cancelMessage('r1', 'recalled', 10));
      assert.equal((await s.get('r1'))!.state, 'cancelled');
      const [taken] = await s.claim({ owner: 'w', leaseMs: 1000, limit: 5, now: 20 });
      assert.equal(taken!.msgid, 'r2');
      await s.saveAnswer(
        'r2',
        'w',
        [
          { kind: 'text', content: 'a' },
          { kind: 'text', content: 'b' },
        ],
        null,
        30,
      );
      await s.markPartSent('r2', 'w', 0, 'out-r2-0', 40);
      assert.equal(await s.cancelMessage('r2', 'recalled', 50), false, 'too late: part 1 is out');
      assert.equal(await s.noteDeliveryFailure('out-r2-0', 'delivery failed: 5 session closed', 60), 'r2');
      assert.equal((await s.get('r2'))!.note, 'delivery failed: 5 session closed');
      assert.equal(await s.noteDeliveryFailure('unknown', 'x', 70), undefined);
    });

    test('an answer stored to go out at once is already sending: a recall after it is too late, one before it wins', async () => {
      const s = await open();
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [msg('g1', 'u1'), msg('g2', 'u2')], 0);
      await s.claim({ owner: 'w', leaseMs: 1000, limit: 5, now: 10 });
      assert.ok(await s.saveAnswer('g1', 'w', [{ kind: 'text', content: 'a' }], null, 20, false, true));
      assert.equal((await s.get('g1'))!.state, 'sending');
      assert.equal(await s.beginSending('g1', 'w', 21), false, 'nothing left to mark: it is going out');
      assert.equal(await s.cancelMessage('g1', 'recalled', 30), false);
      assert.ok(await s.markPartSent('g1', 'w', 0, 'out-g1-0', 40, { state: 'done', note: null }));
      assert.equal((await s.get('g1'))!.state, 'done');
      assert.ok(await s.cancelMessage('g2', 'recalled', 30));
      assert.equal(
        await s.saveAnswer('g2', 'w', [{ kind: 'text', content: 'b' }], null, 40, false, true),
        false,
        'cancelled first: not stored',
      );
      assert.equal((await s.get('g2'))!.state, 'cancelled');
    });

    test("the user and their conversation in one read: the same user resolveUser gives, the bot's own conversation", async () => {
      const s = await open();
      const made = await s.userWithConversation('wecom', 'wmNEW', 'bot:1', 0);
      assert.deepEqual(made.conversation, null, 'a user made now has no conversation');
      assert.equal(await s.resolveUser('wecom', 'wmNEW', 5), made.userId);
      assert.deepEqual(await s.userWithConversation('wecom', 'wmNEW', 'bot:1', 5), {
        userId: made.userId,
        conversation: null,
      });
      await s.setConversation(made.userId, 'bot:1', 'conv1', 6, 'oauth:app');
      await s.setConversation(made.userId, 'bot:2', 'conv2', 6);
      assert.deepEqual(await s.userWithConversation('wecom', 'wmNEW', 'bot:1', 7), {
        userId: made.userId,
        conversation: { conversationId: 'conv1', cozeAuth: 'oauth:app' },
      });
      assert.deepEqual((await s.userWithConversation('wecom', 'wmNEW', 'bot:3', 7)).conversation, null);
      const known = await s.resolveUser('web', 'owui-1', 8);
      assert.equal((await s.userWithConversation('web', 'owui-1', 'bot:1', 9)).userId, known);
    });

    test('a transaction that throws leaves nothing behind, and its connection serves the next one', async () => {
      const s = (await open()) as SqlStore;
      const { db } = s;
      await assert.rejects(
        db.tx(async (t) => {
          await t.run(t.qb.insertInto('users').values({ id: 'u_rolled_back', created_at: 1 }));
          throw new Error('boom');
        }),
        /boom/,
      );
      const users = () => db.rows(db.qb.selectFrom('users').select('id'));
      assert.deepEqual(await users(), []);
      await db.tx(async (t) => {
        await t.run(t.qb.insertInto('users').values({ id: 'u_kept', created_at: 2 }));
      });
      assert.deepEqual(await users(), [{ id: 'u_kept' }]);
    });

    test('the same new person met by several callers at once (two instances): one user, no user left over', async () => {
      const s = (await open()) as SqlStore;
      const { db } = s;
      // `unknown`: each caller has just read that the identity has no user, so each makes one.
      const made = await Promise.all(
        Array.from({ length: 6 }, () => s.userWithConversation('wecom', 'wmRace', 'bot:1', 10, true)),
      );
      assert.equal(new Set(made.map((m) => m.userId)).size, 1, 'every caller gets the same user');
      assert.equal(made.filter((m) => m.conversation === null).length, 1, 'one caller made it');
      assert.deepEqual(await db.rows(db.qb.selectFrom('users').select('id')), [{ id: made[0]!.userId }]);
      assert.equal(await s.resolveUser('wecom', 'wmRace', 11), made[0]!.userId);
    });

    test("a customer's state, user and conversation in one read: the same as read apart", async () => {
      const s = await open();
      assert.deepEqual(await s.customerWithUser('wk1', 'wmC', 'wecom', 'bot:1'), {
        customer: await s.getCustomer('wk1', 'wmC'),
      });
      await s.touchAccount('wk1', 0);
      await s.commitPage('wk1', 'c', [msg('cw1', 'wmC')], 0);
      await s.setCustomerMode('wk1', 'wmC', 'human', 100, 100);
      assert.deepEqual(await s.customerWithUser('wk1', 'wmC', 'wecom', 'bot:1'), {
        customer: await s.getCustomer('wk1', 'wmC'),
        user: null,
      });
      const userId = await s.resolveUser('wecom', 'wmC', 200);
      await s.setConversation(userId, 'bot:1', 'conv-c', 300);
      const both = await s.customerWithUser('wk1', 'wmC', 'wecom', 'bot:1');
      assert.equal(both.customer.mode, 'human');
      assert.deepEqual(both.user, { userId, conversation: { conversationId: 'conv-c', cozeAuth: 'token' } });
      assert.deepEqual((await s.customerWithUser('wk1', 'wmC', 'wecom', 'bot:2')).user, {
        userId,
        conversation: null,
      });
    });

    test("linking two identities gives them one internal user; the kept one's conversation wins", async () => {
      const s = await open();
      const wechat = await s.resolveUser('wecom', 'wmLink', 0);
      const web = await s.resolveUser('web', 'owui-1', 0);
      await s.setConversation(wechat, 'bot:1', 'conv-wechat', 0);
      await s.setConversation(web, 'bot:1', 'conv-web', 0);
      await s.setConversation(web, 'bot:2', 'conv-web-2', 0);
      const res = await s.linkIdentities(
        { channel: 'wecom', externalId: 'wmLink' },
        { channel: 'web', externalId: 'owui-1' },
        10,
      );
      assert.equal(res.userId, wechat);
      assert.equal(res.mergedUserId, web);
      assert.equal(res.droppedConversations, 1);
      assert.equal(res.movedConversations, 1);
      assert.equal(
        await s.resolveUser('web', 'owui-1', 20),
        wechat,
        'the web identity now is the WeChat customer',
      );
      assert.equal(await s.getConversation(wechat, 'bot:1'), 'conv-wechat');
      assert.equal(await s.getConversation(wechat, 'bot:2'), 'conv-web-2');
      const found = await s.findIdentities({ channel: 'web', externalId: 'owui-1' });
      assert.deepEqual(found!.identities.map((i) => `${i.channel}:${i.externalId}`).sort(), [
        'web:owui-1',
        'wecom:wmLink',
      ]);
      assert.equal(
        (
          await s.linkIdentities(
            { channel: 'wecom', externalId: 'wmLink' },
            { channel: 'web', externalId: 'owui-1' },
            30,
          )
        ).alreadyLinked,
        true,
      );
      const fresh = await s.linkIdentities(
        { channel: 'wecom', externalId: 'wmNew' },
        { channel: 'web', externalId: 'owui-new' },
        40,
      );
      assert.equal(await s.resolveUser('web', 'owui-new', 50), fresh.userId);
      assert.equal(await s.findIdentities({ channel: 'web', externalId: 'nobody' }), undefined);
    });

    test("listUsers: newest first, one page at a time, with each user's identities and the total", async () => {
      const s = await open();
      assert.deepEqual(await s.listUsers({ limit: 10, offset: 0 }), { total: 0, users: [] });
      const a = await s.resolveUser('wecom', 'wmOld', 100);
      const b = await s.resolveUser('wecom', 'wmMid', 200);
      const c = await s.resolveUser('web', 'owui-new', 300);
      await s.linkIdentities(
        { channel: 'wecom', externalId: 'wmMid' },
        { channel: 'web', externalId: 'owui-mid' },
        250,
      );
      const first = await s.listUsers({ limit: 2, offset: 0 });
      assert.equal(first.total, 3);
      assert.deepEqual(
        first.users.map((u) => u.userId),
        [c, b],
        'newest first, two per page',
      );
      assert.equal(first.users[0]!.createdAt, 300);
      assert.deepEqual(
        first.users[1]!.identities.map((i) => `${i.channel}:${i.externalId}`),
        ['wecom:wmMid', 'web:owui-mid'],
      );
      const second = await s.listUsers({ limit: 2, offset: 2 });
      assert.deepEqual(
        second.users.map((u) => u.userId),
        [a],
      );
      assert.deepEqual(second.users[0]!.identities, [{ channel: 'wecom', externalId: 'wmOld' }]);
      assert.deepEqual((await s.listUsers({ limit: 2, offset: 4 })).users, []);
    });

    test('a second migrate is a no-op', async () => {
      const s = await open();
      await s.migrate();
      assert.deepEqual(await inboxStates(s), {});
    });
  });

test('sqlite: identities and conversations survive closing and reopening the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxcoze-store-'));
  const s1 = SqlStore.sqlite(join(dir, 'db'));
  await s1.migrate();
  const a = await s1.resolveUser('wecom', 'wmAAA', 0);
  const b = await s1.resolveUser('wecom', 'wmBBB', 0);
  assert.notEqual(a, b);
  assert.equal(await s1.resolveUser('wecom', 'wmAAA', 5), a);
  await s1.setConversation(a, 'bot:1', 'conv1', 0);
  await s1.close();
  const s2 = SqlStore.sqlite(join(dir, 'db'));
  await s2.migrate();
  assert.equal(await s2.resolveUser('wecom', 'wmAAA', 9), a);
  assert.equal(await s2.getConversation(a, 'bot:1'), 'conv1');
  await s2.clearConversation(a, 'bot:1');
  assert.equal(await s2.getConversation(a, 'bot:1'), undefined);
});
