/**
 * The inbox keeps its rows (retention erases their content; the charts count them), so a statement
 * that reads every row grows with every message a shop ever received: at a million rows a GROUP BY
 * state took 50 ms, a retention batch 430 ms and the alerts' failed count 200 ms, each on the HTTP
 * thread for SQLite. The statements the server runs on its own (scrapes, the health page, the
 * alert timer, the daily erase) must each reach the inbox through an index range that bounds them
 * to what they read, on both engines, whatever the planner's statistics say.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { CompiledQuery } from 'kysely';
import type { SqlStore } from '../../src/store/sql/sql-store.js';
import { recordQueries } from '../helpers/count-statements.js';
import { queryPlan } from '../helpers/query-plan.js';
import { storeEngines } from '../helpers/store-engines.js';

const engines = await storeEngines('wxcoze-bounded-reads-');
const DAY = 24 * 3600_000;
const KF = 'wkA';

/** A month of history, mostly answered, a few waiting, some failed: 3,000 messages, one every 15 minutes. */
async function seed(store: SqlStore, now: number): Promise<void> {
  const { db } = store;
  const STATES = ['done', 'done', 'done', 'done', 'done', 'done', 'skipped', 'failed', 'cancelled'];
  for (let batch = 0; batch < 6; batch++)
    await db.run(
      db.qb.insertInto('inbox').values(
        Array.from({ length: 500 }, (_, i) => {
          const n = batch * 500 + i;
          const at = now - (2999 - n) * 900_000; // seq follows creation, as the puller writes them
          return {
            msgid: `m${n}`,
            open_kfid: n % 3 ? KF : 'wkB',
            external_userid: `wm${n % 300}`,
            origin: 3,
            msgtype: 'text',
            send_time: Math.floor(at / 1000),
            payload: '{}',
            state: n % 250 === 249 ? 'received' : STATES[n % STATES.length]!,
            created_at: at,
            updated_at: at,
          };
        }),
      ),
    );
  // 300 customers of the account, each with their newest message (what the puller keeps).
  await db.run(
    db.qb.insertInto('customers').values(
      Array.from({ length: 300 }, (_, u) => ({
        open_kfid: KF,
        external_userid: `wm${u}`,
        last_seq: 2701 + u, // seq = n + 1
        updated_at: now,
      })),
    ),
  );
  // The server's own statistics (SQLite's PRAGMA optimize), as the planner will have them.
  store.keepPlannerStats(false);
  if (store.kind === 'sqlite') {
    // And as a year-old shop's are: what PRAGMA optimize (analysis_limit 400) wrote at a million
    // inbox rows of one account, where `state = ?` and `open_kfid = ?` are rated ~400 rows each
    // though they match 30,000 and all. The planner reads them again after ANALYZE sqlite_schema.
    const raw = (store.db as unknown as { raw: { exec(sql: string): void } }).raw;
    raw.exec(`
      DELETE FROM sqlite_stat1 WHERE tbl = 'inbox';
      INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
        ('inbox', 'inbox_created', '1000000 45 45 13 10 1 1'),
        ('inbox', 'inbox_failed', '1000000 401 401 1'),
        ('inbox', 'inbox_updated', '1000000 1'),
        ('inbox', 'inbox_pending', '0 0'),
        ('inbox', 'inbox_customer', '1000000 401 81 1'),
        ('inbox', 'sqlite_autoindex_inbox_1', '1000000 1');
      ANALYZE sqlite_schema;`);
  }
}

/** Runs `fn`, then asks the engine how it ran each statement that read the inbox. */
async function plansOf(store: SqlStore, engine: 'sqlite' | 'mysql', fn: () => Promise<unknown>) {
  const seen = recordQueries(store.db);
  await fn();
  const out: { q: CompiledQuery; lines: string[] }[] = [];
  for (const q of seen.splice(0)) {
    if (!/\binbox\b/.test(q.sql)) continue;
    out.push({
      q,
      lines: (await queryPlan(store.db, engine, q)).filter((l) =>
        /\binbox\b|^(SEARCH|SCAN) [imf] |^[imf]:|optimized away/.test(l),
      ),
    });
  }
  return out;
}

/** Each read of the inbox is an index range (SQLite SEARCH; MariaDB range/ref), never a scan. */
function assertBounded(
  engine: 'sqlite' | 'mysql',
  plans: { q: CompiledQuery; lines: string[] }[],
  index?: RegExp,
) {
  assert.ok(plans.length > 0, 'a statement read the inbox');
  for (const { q, lines } of plans) {
    assert.ok(lines.length > 0, `a plan for the inbox: ${q.sql}`);
    for (const l of lines) {
      if (engine === 'sqlite') assert.match(l, /^SEARCH /, `${q.sql}: ${l}`);
      else assert.match(l, /type (range|ref|eq_ref|const) |Select tables optimized away/, `${q.sql}: ${l}`);
      if (index && !/optimized away/.test(l)) assert.match(l, index, `${q.sql}: ${l}`);
    }
  }
}

for (const engine of engines) {
  describe(`${engine.name}: what the server reads on its own is bounded`, { skip: engine.skip }, () => {
    let store: SqlStore;
    let now: number;
    before(async () => {
      if (engine.skip) return;
      store = await engine.open();
      now = Date.now();
      await seed(store, now);
    });

    test('the waiting messages and the last day by state (/metrics, the health page)', async () => {
      const waiting = await store.countWaiting();
      const day = await store.countSince(now - DAY + 1);
      // What they count: 12 waiting over the month (every 250th), 96 in the last 24 hours.
      assert.deepEqual(waiting, { received: 12, answered: 0, sending: 0 });
      assert.equal(
        Object.values(day).reduce((a, b) => a + b, 0),
        96,
        `the last 24 hours' messages: ${JSON.stringify(day)}`,
      );
      assertBounded(engine.name, await plansOf(store, engine.name, () => store.countWaiting()));
      assertBounded(engine.name, await plansOf(store, engine.name, () => store.countSince(now - DAY)));
    });

    test("the alert timer: the oldest waiting message, the last half hour's failures, Coze's last outcome", async () => {
      const facts = await store.alerts.inboxFacts({ failedSince: now - 1800_000, cozeSince: now - 600_000 });
      assert.equal(facts.failed.count, 0, 'no failure in the last half hour (the month has 333)');
      assert.ok(facts.oldestPendingAt !== null && facts.oldestPendingAt < now - 20 * DAY);
      const plans = await plansOf(store, engine.name, () =>
        store.alerts.inboxFacts({ failedSince: now - 1800_000, cozeSince: now - 600_000 }),
      );
      assertBounded(engine.name, plans);
      // The failures by the half hour (inbox_updated), not every undismissed failure (inbox_failed).
      const failures = plans.filter((p) => p.q.sql.includes('dismissed_at'));
      assert.equal(failures.length, 1);
      assertBounded(engine.name, failures, /inbox_updated/);
    });

    test("one account's chart reads its date range, and the health page its newest message", async () => {
      const range = { from: now - 2 * DAY, to: now + 1, bucketMs: 3600_000, openKfId: KF };
      const fresh = () => new (store.stats.constructor as new (db: unknown) => typeof store.stats)(store.db);
      const series = await fresh().series(range);
      assert.equal(series.total.in, 129, "two days of the account's messages (193 in all, 2 of every 3 its)");
      assertBounded(
        engine.name,
        await plansOf(store, engine.name, () => fresh().series(range)),
        /inbox_created/,
      );
      const last = await store.stats.lastMessageAt([KF]);
      assert.equal(last[KF], now, 'm2999, the newest');
      assertBounded(engine.name, await plansOf(store, engine.name, () => store.stats.lastMessageAt([KF])));
    });

    test("the console's list: the 48 hours' failures by their updates, each listed customer's latest message by seq", async () => {
      // A failure just now, on the newest message of wm296 (m2996).
      await store.db.run(
        store.db.qb
          .updateTable('inbox')
          .set({ state: 'failed', updated_at: now })
          .where('msgid', '=', 'm2996'),
      );
      const failedOnly = await store.conversations.list({ now, limit: 20, flag: 'failed' });
      // The newest failure first; the month's others within 48 h after it (every 9th message failed).
      assert.equal(failedOnly.items[0]?.externalUserId, 'wm296');
      assert.ok(failedOnly.items.length > 5);
      assert.ok(failedOnly.items.every((c) => c.flags.includes('failed')));
      for (const query of [
        { now, limit: 20 },
        { now, limit: 20, flag: 'failed' as const },
      ]) {
        const plans = await plansOf(store, engine.name, () => store.conversations.list(query));
        assertBounded(engine.name, plans);
        const failures = plans.filter((p) => p.q.sql.includes('dismissed_at'));
        assert.equal(failures.length, 1, 'one read of the failures for the page');
        assertBounded(engine.name, failures, /inbox_updated/);
      }
    });

    test('the daily erase walks the primary key in short ranges', async () => {
      const plans = await plansOf(store, engine.name, () => store.privacy.eraseBefore(now - 20 * DAY));
      assert.ok(plans.length > 10, `a statement per range, not one for all: ${plans.length}`);
      assertBounded(engine.name, plans);
    });
  });
}
