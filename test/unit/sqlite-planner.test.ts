/**
 * SQLite's planner statistics: without them the console's list checked each listed customer for a
 * failed message by walking every failed message of every customer (0.5–1 s at 10,000 customers;
 * bench/RESULTS.md, Console). With them (SqlStore.keepPlannerStats, run by the server at start and
 * hourly) it looks only at that customer's own messages.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { seedConsole } from '../../scripts/bench/console-seed.mjs';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { SqliteDb } from '../../src/store/sql/sqlite-db.js';

/** The query plan of the console's conversation list, as SQLite would run it now. */
async function listPlan(store: SqlStore, db: SqliteDb): Promise<string[]> {
  let compiled: { sql: string; parameters: readonly unknown[] } | undefined;
  const rows = db.rows.bind(db);
  db.rows = (async (q: Parameters<SqliteDb['rows']>[0]) => {
    compiled = 'compile' in q ? q.compile() : q;
    return rows(q);
  }) as SqliteDb['rows'];
  await store.conversations.list({ now: Date.now(), limit: 50 });
  db.rows = rows;
  return db.raw
    .prepare(`EXPLAIN QUERY PLAN ${compiled!.sql}`)
    .all(...compiled!.parameters)
    .map((r) => (r as { detail: string }).detail);
}

test("the console's list checks each customer's own messages once the planner has statistics", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxcoze-planner-'));
  const store = SqlStore.sqlite(join(dir, 'wxcoze.db'));
  const db = (store as unknown as { db: SqliteDb }).db;
  try {
    await store.migrate();
    await seedConsole(store, { messages: 3000, customers: 300, days: 7 });
    // The failed-message check of each listed customer: by the customer (inbox_customer), not by
    // walking the failed messages of everyone (inbox_failed).
    const failedCheck = (plan: string[]) => plan.filter((d) => /SEARCH f /.test(d));
    assert.match(
      failedCheck(await listPlan(store, db)).join(),
      /inbox_failed/,
      'without statistics: the slow plan',
    );
    store.keepPlannerStats(false);
    assert.match(failedCheck(await listPlan(store, db)).join(), /inbox_customer/);
    const stats = db.raw.prepare("SELECT count(*) AS n FROM sqlite_stat1 WHERE tbl = 'inbox'").get() as {
      n: number;
    };
    assert.ok(stats.n > 0, 'statistics kept in the file for every connection');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
