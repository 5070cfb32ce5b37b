import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import type { NewInboxMessage } from '../../src/store/types.js';
import { storeEngines } from '../helpers/store-engines.js';

// The console's charts and settings, asserted the same on both engines.
const engines = await storeEngines('wxcoze-cstore-');

const HOUR = 3600_000;
const T0 = Date.UTC(2026, 10, 1, 0, 0, 0);

const msg = (msgid: string, user: string, sendTime: number, extra: Partial<NewInboxMessage> = {}) =>
  ({
    msgid,
    openKfId: 'wk1',
    externalUserId: user,
    origin: 3,
    msgtype: 'text',
    sendTime: Math.floor(sendTime / 1000),
    payload: { msgid },
    state: 'received',
    ...extra,
  }) as NewInboxMessage;

/** Records a message at `at` and ends it `state` `latencyMs` after the customer sent it. */
async function seed(
  s: SqlStore,
  msgid: string,
  at: number,
  end: { state: 'done' | 'skipped' | 'failed'; latencyMs: number; note?: string } | null,
  extra: Partial<NewInboxMessage> = {},
) {
  await s.commitPage('wk1', `c-${msgid}`, [msg(msgid, `u-${msgid}`, at, extra)], at);
  if (!end) return;
  const [item] = await s.claim({ owner: 'o', leaseMs: 60_000, limit: 1, now: at });
  assert.equal(item?.msgid, msgid);
  assert.ok(await s.finish(msgid, 'o', end.state, end.note ?? null, at + end.latencyMs));
}

for (const engine of engines)
  describe(`console store on ${engine.name}`, { skip: engine.skip }, () => {
    test('charts: messages per hour by outcome, handoffs, latency p50/p95 from the customer sending to the answer', async () => {
      const s = await engine.open();
      // Hour 0: 20 answered with latencies 1..20 s, one of them a handoff; 2 skipped, 1 failed, 1 pending.
      for (let i = 1; i <= 20; i++)
        await seed(s, `a${i}`, T0 + i * 1000, {
          state: 'done',
          latencyMs: i * 1000,
          ...(i === 3 ? { note: 'handoff: asked by the customer' } : {}),
        });
      await seed(s, 's1', T0 + 100_000, { state: 'skipped', latencyMs: 10 });
      await seed(s, 's2', T0 + 101_000, { state: 'skipped', latencyMs: 10 });
      await seed(s, 'f1', T0 + 102_000, { state: 'failed', latencyMs: 10 });
      // Hour 2: one answered in 4 s; an event and a servicer's message do not count as messages in.
      await seed(s, 'b1', T0 + 2 * HOUR, { state: 'done', latencyMs: 4000 });
      await s.commitPage(
        'wk1',
        'c-ev',
        [
          msg('ev1', 'u-ev', T0 + 2 * HOUR, { origin: 4, msgtype: 'event', state: 'skipped' }),
          msg('sv1', 'u-ev', T0 + 2 * HOUR, { origin: 5, state: 'skipped' }),
        ],
        T0 + 2 * HOUR + 10,
      );
      // Outside the range: ignored.
      await seed(s, 'old', T0 - 5, { state: 'done', latencyMs: 1 });
      // Still waiting for its answer: counted in, in no outcome.
      await seed(s, 'p1', T0 + 103_000, null);

      const r = await s.stats.series({ from: T0, to: T0 + 3 * HOUR, bucketMs: HOUR });
      assert.equal(r.buckets.length, 3);
      const [h0, h1, h2] = r.buckets;
      assert.deepEqual(
        { ...h0 },
        {
          at: T0,
          in: 24,
          answered: 20,
          skipped: 2,
          failed: 1,
          handoffs: 1,
          // rank ceil(20 × 0.5) = 10 → 10 s; ceil(20 × 0.95) = 19 → 19 s, each read as the middle
          // of its histogram bin (1 s wide from 10 s on).
          p50Ms: 10_500,
          p95Ms: 19_500,
        },
      );
      assert.deepEqual(
        { ...h1 },
        { at: T0 + HOUR, in: 0, answered: 0, skipped: 0, failed: 0, handoffs: 0, p50Ms: null, p95Ms: null },
      );
      assert.equal(h2?.in, 1);
      assert.equal(h2?.p50Ms, 4050, '4 s, in a 100 ms bin');
      assert.equal(r.total.in, 25);
      assert.equal(r.total.answered, 21);
      // 21 latencies: 1..20 s and 4 s → rank 11 is 10 s, rank 20 is 19 s.
      assert.equal(r.total.p50Ms, 10_500);
      assert.equal(r.total.p95Ms, 19_500);

      const other = await s.stats.series({ from: T0, to: T0 + 3 * HOUR, bucketMs: HOUR, openKfId: 'wk2' });
      assert.equal(other.total.in, 0);

      // A shorter range first (its hours kept), then the longer one around it (7 days after 30, as
      // the page's buttons go): the kept hours are read again, not added to.
      const fresh = new (s.stats.constructor as new (db: unknown) => typeof s.stats)(s.db);
      await fresh.series({ from: T0 + HOUR, to: T0 + 3 * HOUR, bucketMs: HOUR });
      const longer = await fresh.series({ from: T0, to: T0 + 3 * HOUR, bucketMs: HOUR });
      assert.deepEqual(longer.total, r.total);
      assert.deepEqual(longer.buckets, r.buckets);
      const again = await fresh.series({ from: T0 + HOUR, to: T0 + 3 * HOUR, bucketMs: HOUR });
      assert.equal(again.total.in, 1, 'the kept hours were not changed in place');
    });

    test('settings: saved values read back, null follows the file again, the version always grows', async () => {
      const s = await engine.open();
      assert.equal(await s.consoleSettings.version(), 0);
      assert.deepEqual(await s.consoleSettings.list(), []);
      const v1 = await s.consoleSettings.save(
        [
          { scope: '*', key: 'welcomeText', value: '欢迎光临' },
          { scope: 'wk1', key: 'handoffKeywords', value: ['人工', '客服'] },
        ],
        'owner',
        1000,
      );
      assert.equal(v1, 1000);
      // Same millisecond (or a clock behind): still a newer version, so every instance sees it.
      const v2 = await s.consoleSettings.save([{ scope: '*', key: 'welcomeText', value: null }], null, 1000);
      assert.equal(v2, 1001);
      assert.equal(await s.consoleSettings.version(), 1001);
      const rows = (await s.consoleSettings.list()).sort((a, b) => a.scope.localeCompare(b.scope));
      assert.deepEqual(rows, [
        { scope: '*', key: 'welcomeText', value: null, updatedAt: 1001, updatedBy: null },
        {
          scope: 'wk1',
          key: 'handoffKeywords',
          value: ['人工', '客服'],
          updatedAt: 1000,
          updatedBy: 'owner',
        },
      ]);
    });
  });
