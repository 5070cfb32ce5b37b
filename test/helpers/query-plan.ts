import { CompiledQuery } from 'kysely';
import type { SqlDb } from '../../src/store/sql/db.js';

/**
 * How the engine would run `q`: one line per table read, naming the index or saying it scans
 * (SQLite's EXPLAIN QUERY PLAN detail; MariaDB's EXPLAIN as "table: type T key K rows R extra").
 */
export async function queryPlan(db: SqlDb, engine: 'sqlite' | 'mysql', q: CompiledQuery): Promise<string[]> {
  const explain = CompiledQuery.raw(`${engine === 'sqlite' ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN'} ${q.sql}`, [
    ...q.parameters,
  ]);
  const rows = await db.rows<Record<string, unknown>>(explain);
  return rows.map((r) =>
    engine === 'sqlite'
      ? String(r.detail)
      : `${String(r.table)}: type ${String(r.type)} key ${String(r.key)} rows ${String(r.rows)} ${String(r.Extra ?? '')}`.trim(),
  );
}
