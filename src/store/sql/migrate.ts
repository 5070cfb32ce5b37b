import { MIGRATIONS, type Migration } from '../migrations.js';
import type { MysqlDb } from './mysql-db.js';
import type { SqliteDb } from './sqlite-db.js';

/**
 * Our own runner rather than Kysely's Migrator: existing installs record their versions in
 * `schema_migrations (version, name, applied_at)`, which Kysely's bookkeeping tables
 * (`kysely_migration`, `kysely_migration_lock`, keyed by name) would not read; and MySQL's DDL
 * is not transactional, so a failed step is undone statement by statement, which Kysely's
 * Migrator leaves to the migration. The steps themselves are written once (src/store/migrations.ts).
 */
export async function migrateSqlite(db: SqliteDb): Promise<void> {
  const raw = db.raw;
  raw.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const done = new Set(
    raw
      .prepare('SELECT version FROM schema_migrations')
      .all()
      .map((r) => (r as { version: number }).version),
  );
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    // A failed migration rolls back whole: the data stays as it was.
    raw
      .transaction(() => {
        if ('sqlite' in m) raw.exec(m.sqlite);
        else for (const q of m.up(db.qb, 'sqlite')) raw.prepare(q.sql).run(...(q.parameters as unknown[]));
        raw
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.name, Date.now());
      })
      .immediate();
  }
}

function mysqlSteps(
  db: MysqlDb,
  m: Migration,
): { up: [string, unknown[]][]; undo: ([string, unknown[]] | null)[] } {
  if ('sqlite' in m) {
    // mysqlDown is newest first: the undo of statement i is at length-1-i.
    return {
      up: m.mysql.map((s) => [s, []]),
      undo: m.mysql.map((_, i) => [m.mysqlDown[m.mysqlDown.length - 1 - i]!, []]),
    };
  }
  return {
    up: m.up(db.qb, 'mysql').map((q) => [q.sql, q.parameters as unknown[]]),
    undo: m.down(db.qb, 'mysql').map((q) => (q ? [q.sql, q.parameters as unknown[]] : null)),
  };
}

export async function migrateMysql(pool: MysqlDb): Promise<void> {
  await pool.sql(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INT NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_at BIGINT NOT NULL) ENGINE=InnoDB',
  );
  // One migrator at a time across instances starting together: the lock lives on one connection.
  await pool.withConnection(async (c) => {
    try {
      const [lock] = await c.sql<{ ok: unknown }[]>("SELECT GET_LOCK('wxcoze_migrate', 30) AS ok");
      if (!lock || Number(lock.ok) !== 1)
        throw new Error('another wxcoze instance is migrating the database; try again in a minute');
      const rows = await c.sql<{ version: unknown }[]>('SELECT version FROM schema_migrations');
      const done = new Set(rows.map((r) => Number(r.version)));
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        const { up, undo } = mysqlSteps(c, m);
        let ran = 0;
        try {
          for (const [text, params] of up) {
            await c.sql(text, params);
            ran++;
          }
          await c.sql('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
            m.version,
            m.name,
            Date.now(),
          ]);
        } catch (err) {
          // MySQL commits DDL as it goes: undo what this step did so the data is as it was.
          for (let i = ran - 1; i >= 0; i--) {
            const step = undo[i];
            if (step) await c.sql(step[0], step[1]).catch(() => {});
          }
          throw new Error(
            `migration ${m.version} (${m.name}) failed and was rolled back: ${(err as Error).message}`,
          );
        }
      }
    } finally {
      await c.sql("SELECT RELEASE_LOCK('wxcoze_migrate')").catch(() => {});
    }
  });
}
