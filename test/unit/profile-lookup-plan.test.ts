/**
 * The profile lookups (src/pipeline/profiles.ts: which new customers have no nickname yet, then one
 * UPDATE with the nicknames found) go by external_userid alone, across kf accounts: a nickname is
 * the WeChat user's. The customers table's primary key starts with open_kfid, so without an index
 * of their own both read every customer; on MariaDB the UPDATE also locked every row it read
 * (9,741 rows examined per batch at 10,000 customers, in the bench's slow log). Both engines must
 * find the asked customers through an index.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordQueries } from '../helpers/count-statements.js';
import { queryPlan } from '../helpers/query-plan.js';
import { storeEngines } from '../helpers/store-engines.js';

const engines = await storeEngines('wxcoze-profile-plan-');

for (const engine of engines) {
  test(
    `${engine.name}: profile lookups find customers by external_userid through an index`,
    { skip: engine.skip },
    async () => {
      const store = await engine.open();
      const now = Date.now();
      // Enough customers in two accounts that a planner with statistics would still rather scan
      // without the index; the rows are what the puller writes (activity + nickname columns).
      const { db } = store;
      for (let batch = 0; batch < 4; batch++)
        await db.run(
          db.qb.insertInto('customers').values(
            Array.from({ length: 250 }, (_, i) => ({
              open_kfid: batch % 2 ? 'wkA' : 'wkB',
              external_userid: `wm_${batch}_${i}`,
              last_seq: i,
              updated_at: now,
            })),
          ),
        );
      const asked = ['wm_0_1', 'wm_1_2', 'wm_3_3'];
      const seen = recordQueries(db);
      assert.deepEqual((await store.conversations.missingProfiles(asked, now + 1)).sort(), asked);
      await store.conversations.saveProfiles(
        [{ externalUserId: 'wm_0_1', nickname: '小王', avatar: 'https://wework.qpic.cn/a.png' }],
        asked,
        now,
      );
      const queries = seen.splice(0);
      assert.equal(queries.length, 2, 'one read and one write');
      for (const q of queries) {
        const lines = await queryPlan(db, engine.name, q);
        const customers = lines.filter((l) => /customers/.test(l));
        assert.ok(customers.length > 0, `a plan for the customers table: ${lines.join(' | ')}`);
        for (const l of customers)
          assert.match(l, /customers_external/, `reads customers through the index, not a scan: ${l}`);
      }
      // The write did what it says: the found customer's nickname, every asked one marked tried.
      const rows = await db.rows(
        db.qb
          .selectFrom('customers')
          .select(['external_userid', 'nickname', 'profile_at'])
          .where('external_userid', 'in', asked)
          .orderBy('external_userid'),
      );
      assert.deepEqual(
        rows.map((r) => [r.external_userid, r.nickname, Number(r.profile_at)]),
        [
          ['wm_0_1', '小王', now],
          ['wm_1_2', null, now],
          ['wm_3_3', null, now],
        ],
      );
    },
  );
}
