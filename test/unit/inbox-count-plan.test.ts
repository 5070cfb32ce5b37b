/**
 * The inbox keeps its rows (retention erases their content; the charts count them), so a count
 * over every row grows with every message a shop ever received: a GROUP BY state over the whole
 * inbox took 50 ms at a million rows, on the HTTP thread for SQLite, at each /metrics scrape and
 * health page. The two counts the server reads (the waiting messages; the last 24 hours') must
 * each go through an index that bounds them to what they count, on both engines.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordQueries } from '../helpers/count-statements.js';
import { queryPlan } from '../helpers/query-plan.js';
import { storeEngines } from '../helpers/store-engines.js';

const engines = await storeEngines('wxcoze-count-plan-');
const DAY = 24 * 3600_000;

for (const engine of engines) {
  test(
    `${engine.name}: the waiting and the last day's counts read an index range, not the inbox`,
    { skip: engine.skip },
    async () => {
      const store = await engine.open();
      const { db } = store;
      const now = Date.now();
      // A month of history, mostly answered, a few waiting: the shape a planner with statistics
      // would otherwise scan.
      const STATES = ['done', 'done', 'done', 'done', 'done', 'done', 'skipped', 'failed', 'cancelled'];
      for (let batch = 0; batch < 6; batch++)
        await db.run(
          db.qb.insertInto('inbox').values(
            Array.from({ length: 500 }, (_, i) => {
              const n = batch * 500 + i;
              return {
                msgid: `m${n}`,
                open_kfid: 'wkA',
                external_userid: `wm${n % 300}`,
                origin: 3,
                msgtype: 'text',
                send_time: Math.floor((now - n * 900_000) / 1000),
                payload: '{}',
                state: n % 250 === 0 ? 'received' : STATES[n % STATES.length]!,
                created_at: now - n * 900_000, // one every 15 minutes: 96 a day, back 31 days
                updated_at: now - n * 900_000,
              };
            }),
          ),
        );
      if (engine.name === 'mysql') await db.run(db.qb.selectFrom('inbox').select('msgid').limit(0)); // warm
      const seen = recordQueries(db);
      const waiting = await store.countWaiting();
      const day = await store.countSince(now - DAY + 1);
      // What they count: 12 waiting over the month (every 250th), 96 in the last 24 hours.
      assert.deepEqual(waiting, { received: 12, answered: 0, sending: 0 });
      assert.equal(
        Object.values(day).reduce((a, b) => a + b, 0),
        96,
        `the last 24 hours' messages: ${JSON.stringify(day)}`,
      );
      assert.equal(day.received, 1);
      const queries = seen.splice(0);
      assert.equal(queries.length, 2, 'one statement each');
      for (const q of queries) {
        const lines = await queryPlan(db, engine.name, q);
        const inbox = lines.filter((l) => /inbox/.test(l));
        assert.ok(inbox.length > 0, `a plan for the inbox: ${lines.join(' | ')}`);
        for (const l of inbox)
          if (engine.name === 'sqlite')
            assert.match(l, /^SEARCH inbox USING (COVERING )?INDEX/, `${q.sql}: ${l}`);
          // MariaDB: a range of an index ("index" would be a full index scan, "ALL" the table).
          else assert.match(l, /type range key \w+/, `${q.sql}: ${l}`);
      }
    },
  );
}
