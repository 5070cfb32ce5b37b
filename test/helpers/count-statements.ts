import { CompiledQuery } from 'kysely';
import { compiled, type SqlDb } from '../../src/store/sql/db.js';

type Mutable = { -readonly [K in keyof SqlDb]: SqlDb[K] };

/**
 * Records every statement `db` runs from now on, compiled (SQL and parameters; BEGIN and COMMIT
 * for a transaction), for tests that hold the number of database round trips a step costs or ask
 * the engine how it runs them. Patches the instance the store's parts share, and each
 * transaction's own connection.
 */
export function recordQueries(db: SqlDb): CompiledQuery[] {
  const seen: CompiledQuery[] = [];
  const patch = (d: SqlDb, inTx: boolean): void => {
    const m = d as Mutable;
    const rows = d.rows.bind(d);
    const run = d.run.bind(d);
    const tx = d.tx.bind(d);
    m.rows = (q) => {
      seen.push(compiled(q));
      return rows(q);
    };
    // Through the original rows: MySQL's first reads through rows, SQLite's does not.
    m.first = async (q) => {
      seen.push(compiled(q));
      return (await rows(q))[0];
    };
    m.run = (q) => {
      seen.push(compiled(q));
      return run(q);
    };
    m.tx = inTx
      ? (fn) => fn(d)
      : (fn) =>
          tx(async (inner) => {
            seen.push(CompiledQuery.raw('BEGIN'));
            patch(inner, true);
            const v = await fn(inner);
            seen.push(CompiledQuery.raw('COMMIT'));
            return v;
          });
  };
  patch(db, false);
  return seen;
}
