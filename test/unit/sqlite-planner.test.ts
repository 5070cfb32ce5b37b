/**
 * SQLite's planner statistics (SqlStore.keepPlannerStats, run by the server at start and hourly)
 * are kept in the file for every connection. The console's list once depended on them: without
 * statistics its per-customer failed check walked every failed message of every customer (0.5–1 s
 * at 10,000 customers; bench/RESULTS.md, Console). It now reads the 48 hours' failures once per page
 * by their updates (console-conversations.ts, failingPairs), the same plan with statistics or
 * without; test/unit/bounded-reads.test.ts holds it against a year-old shop's statistics.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { seedConsole } from '../../scripts/bench/console-seed.mjs';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { SqliteDb } from '../../src/store/sql/sqlite-db.js';

/** The query plan of the list's read of the failures, as SQLite would run it now. */
async function failuresPlan(store: SqlStore, db: SqliteDb): Promise<string[]> {
  const seen: { sql: string; parameters: readonly unknown[] }[] = [];
  const rows = db.rows.bind(db);
  db.rows = (async (q: Parameters<SqliteDb['rows']>[0]) => {
    seen.push('compile' in q ? q.compile() : q);
    return rows(q);
  }) as SqliteDb['rows'];
  await store.conversations.list({ now: Date.now(), limit: 50 });
  db.rows = rows;
  const failures = seen.filter((q) => q.sql.includes('dismissed_at'));
  assert.equal(failures.length, 1, 'one read of the failures for the page');
  return db.raw
    .prepare(`EXPLAIN QUERY PLAN ${failures[0]!.sql}`)
    .all(...failures[0]!.parameters)
    .map((r) => (r as { detail: string }).detail);
}

test("planner statistics are kept for every connection; the console's list reads the failures by their time either way", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxcoze-planner-'));
  const store = SqlStore.sqlite(join(dir, 'wxcoze.db'));
  const db = (store as unknown as { db: SqliteDb }).db;
  try {
    await store.migrate();
    await seedConsole(store, { messages: 3000, customers: 300, days: 7 });
    // By the 48 hours' updates (inbox_updated), never by walking everyone's failures (inbox_failed).
    assert.match(
      (await failuresPlan(store, db)).join(),
      /SEARCH inbox USING INDEX inbox_updated/,
      'without statistics',
    );
    store.keepPlannerStats(false);
    assert.match(
      (await failuresPlan(store, db)).join(),
      /SEARCH inbox USING INDEX inbox_updated/,
      'with statistics',
    );
    const stats = db.raw.prepare("SELECT count(*) AS n FROM sqlite_stat1 WHERE tbl = 'inbox'").get() as {
      n: number;
    };
    assert.ok(stats.n > 0, 'statistics kept in the file for every connection');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
